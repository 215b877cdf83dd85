// A dense, row-major tensor with static shape. The reference interpreter, constants and checkpoints use it.
// Its data may be given as a function, computed when `data` is first read (a derived constant: see rowScaled):
// a pass can then describe a large constant without writing it, and a backend that packs it anyway (weights into
// wasm memory) computes it on the way, while anything else that reads `data` sees an ordinary array.
import { allocArray, type DType, type TypedArray } from './dtype.ts';

export class Tensor {
  declare readonly data: TypedArray;
  constructor(readonly dtype: DType, readonly shape: readonly number[], data: TypedArray | (() => TypedArray)) {
    const n = sizeOf(shape);
    if (typeof data === 'function') { deferData(this, n, data); return; }
    if (data.length !== n) throw new Error(`Tensor: data length ${data.length} != product of shape [${shape}] = ${n}`);
    (this as { data: TypedArray }).data = data;
  }
  static zeros(dtype: DType, shape: readonly number[]): Tensor { return new Tensor(dtype, shape, allocArray(dtype, sizeOf(shape))); }
  static fromArray(dtype: DType, shape: readonly number[], values: ArrayLike<number>): Tensor {
    const data = allocArray(dtype, values.length);
    for (let i = 0; i < values.length; i++) data[i] = values[i];
    return new Tensor(dtype, shape, data);
  }
  static scalar(dtype: DType, v: number): Tensor { return Tensor.fromArray(dtype, [], [v]); }
  get size(): number { return this.data.length; }
  get rank(): number { return this.shape.length; }
  /** onnxruntime's name for `shape` (InferenceSession users read `output.dims`). */
  get dims(): readonly number[] { return this.shape; }
  /** Values as plain numbers (for int64 shape tensors and small attribute-like inputs). */
  toNumbers(): number[] { return Array.from(this.data as ArrayLike<number>); }
  reshape(shape: readonly number[]): Tensor { return new Tensor(this.dtype, shape, this.data); }
  clone(): Tensor { return new Tensor(this.dtype, [...this.shape], this.data.slice() as TypedArray); }
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}

/**
 * `data` as an accessor that computes it once (then an ordinary read-only property): enumerable like the plain
 * property, so comparisons and structured clones see the values; `size` is known without computing them.
 */
function deferData(t: Tensor, n: number, compute: () => TypedArray): void {
  Object.defineProperty(t, 'size', { value: n });
  Object.defineProperty(t, 'data', {
    enumerable: true, configurable: true,
    get() {
      const data = compute();
      if (data.length !== n) throw new Error(`Tensor: data length ${data.length} != product of shape [${t.shape}] = ${n}`);
      Object.defineProperty(t, 'data', { value: data, enumerable: true });
      rowScales.delete(t); // the recipe's source may be collected now
      byteSources.delete(t);
      return data;
    },
  });
}

/** Whether `t.data` is still to be computed (a derived tensor not read yet). */
export const isDeferred = (t: Tensor): boolean => !!Object.getOwnPropertyDescriptor(t, 'data')?.get;

/** A float32 tensor whose row r (its `rowLength` consecutive elements) is `source`'s row r times `scale[r]`. */
export interface RowScaled { source: Float32Array | Tensor; scale: ArrayLike<number>; rowLength: number }
const rowScales = new WeakMap<Tensor, RowScaled>();

/**
 * A float32 tensor of `shape` with data[i] = source[i] * scale[floor(i / rowLength)] (each product in float64,
 * rounded to float32 once), computed when its data is first read. Until then `rowScaledOf` gives the recipe, so a
 * packer can apply the scale while it copies the source (fold-batchnorm's folded conv weights: the folded array is
 * never written when every consumer packs it).
 */
export function rowScaled(shape: readonly number[], source: Float32Array | Tensor, scale: ArrayLike<number>): Tensor {
  const rowLength = source instanceof Tensor ? source.size / scale.length : source.length / scale.length; // a Tensor source: not read yet
  const t = new Tensor('float32', shape, () => {
    const src = source instanceof Tensor ? source.data as Float32Array : source, d = new Float32Array(src.length);
    for (let r = 0; r < scale.length; r++) { const k = scale[r]!; for (let i = r * rowLength, e = i + rowLength; i < e; i++) d[i] = src[i]! * k; }
    return d;
  });
  rowScales.set(t, { source, scale, rowLength });
  return t;
}

/** The recipe of a rowScaled tensor whose data has not been computed (and so not read) yet, else undefined. */
export const rowScaledOf = (t: Tensor): RowScaled | undefined => rowScales.get(t);

/** Bytes kept outside the heap (a model file's raw_data), read on demand: `read(into, at)` fills `into` from byte `at`. */
export interface ByteSource { readonly byteLength: number; read(into: Uint8Array, at: number): void }
const byteSources = new WeakMap<Tensor, ByteSource>();

/**
 * A float32 tensor of `shape` whose little-endian bytes are `src`'s, read when its data is first read (a large weight
 * of a model file: loadOnnxFile). Until then `byteSourceOf` gives the source, so a packer can read the bytes straight
 * to where it puts them (wasm memory is little-endian; a caller on a big-endian host must not use this).
 */
export function float32From(shape: readonly number[], src: ByteSource): Tensor {
  const t = new Tensor('float32', shape, () => {
    const d = new Float32Array(src.byteLength / 4);
    src.read(new Uint8Array(d.buffer), 0);
    return d;
  });
  byteSources.set(t, src);
  return t;
}

/** The source of a float32From tensor whose data has not been read yet, else undefined. */
export const byteSourceOf = (t: Tensor): ByteSource | undefined => byteSources.get(t);
