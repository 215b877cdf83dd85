// A dense, row-major tensor with static shape. The reference interpreter, constants and checkpoints use it.
import { allocArray, type DType, type TypedArray } from './dtype.ts';

export class Tensor {
  constructor(readonly dtype: DType, readonly shape: readonly number[], readonly data: TypedArray) {
    const n = sizeOf(shape);
    if (data.length !== n) throw new Error(`Tensor: data length ${data.length} != product of shape [${shape}] = ${n}`);
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
