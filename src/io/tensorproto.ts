// ONNX TensorProto <-> Tensor. Data comes either as raw_data (little-endian bytes) or in the typed
// repeated fields (float_data holds float32, int32_data holds int32/int8/uint8/bool, int64_data, double_data).
// int64 is held as JS numbers (exact to 2^53). Unsupported element types are refused by name (LC012).
import onnx from 'onnx-proto';
import { allocArray, byteSize, type DType } from '../ir/dtype.ts';
import { float32From, Tensor, type ByteSource } from '../ir/tensor.ts';
import { isLayercError, lcError } from '../diagnostics.ts';
import { checkShape, type Limits } from '../limits.ts';

const P = onnx.onnx;
const T = P.TensorProto.DataType;

const FROM_ONNX: Record<number, DType> = {
  [T.FLOAT]: 'float32', [T.DOUBLE]: 'float64', [T.INT64]: 'int64', [T.INT32]: 'int32',
  [T.INT8]: 'int8', [T.UINT8]: 'uint8', [T.BOOL]: 'bool',
};
const TO_ONNX: Record<DType, number> = {
  float32: T.FLOAT, float64: T.DOUBLE, int64: T.INT64, int32: T.INT32, int8: T.INT8, uint8: T.UINT8, bool: T.BOOL,
};

export function dtypeFromOnnx(code: number, what: string): DType {
  const d = FROM_ONNX[code];
  if (!d) throw lcError('LC012', [`${P.TensorProto.DataType[code] ?? code} (${what})`]);
  return d;
}
export function dtypeToOnnx(d: DType): number { return TO_ONNX[d]; }

/** protobufjs gives int64 as number or Long ({ low, high, toNumber }). */
type LongLike = { toNumber(): number };
export function toNumber(x: number | LongLike | null | undefined): number {
  if (x === null || x === undefined) return 0;
  return typeof x === 'number' ? x : x.toNumber();
}

/** True when the tensor's bytes live in another file (ONNX external data). */
export function usesExternalData(t: onnx.onnx.ITensorProto): boolean {
  return t.dataLocation === P.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0;
}

/**
 * `limits`: the importer passes its own (reading them from the environment per tensor was most of a small load).
 * `adopt`: raw_data is a view of bytes the importer owns and decoded already (a file it read itself), so a float32
 * tensor may become a view of them instead of a copy (see adoptFloat32). `inFile`: raw_data left in the model file
 * (loadOnnxFile, float32 on a little-endian host): the tensor reads it when its data is first read.
 */
export function tensorFromProto(t: onnx.onnx.ITensorProto, what = t.name || '<unnamed tensor>', limits?: Limits, adopt = false, inFile?: ByteSource): Tensor {
  if (usesExternalData(t)) throw lcError('LC013', [what]);
  const dtype = dtypeFromOnnx(t.dataType ?? 0, what);
  const shape = (t.dims ?? []).map(toNumber);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw lcError('LC017', [what, `bad dims [${shape}]`]);
  const n = checkShape(shape, `tensor ${what}`, limits); // limits before allocating: a .pb input can declare any dims
  const raw = t.rawData, rawBytes = inFile ? inFile.byteLength : raw?.length ?? 0;
  if (rawBytes > 0 && rawBytes !== n * byteSize(dtype)) {
    throw lcError('LC017', [what, `raw_data has ${rawBytes} bytes, shape [${shape}] of ${dtype} needs ${n * byteSize(dtype)}`]);
  }
  // raw_data still in the model file (little-endian float32 only: the importer reads anything else first)
  if (inFile && dtype === 'float32' && LITTLE_ENDIAN) return float32From(shape, inFile);
  if (inFile) throw new Error(`tensorFromProto: ${what}: raw_data left in the file must be little-endian float32`);
  if (adopt && raw && raw.length >= ADOPT_MIN_BYTES && dtype === 'float32' && LITTLE_ENDIAN) return new Tensor(dtype, shape, adoptFloat32(t, raw));
  const out = allocArray(dtype, n);
  if (raw && raw.length > 0) {
    // float32/float64/int32/int8/uint8 are stored as their typed array's own bytes on a little-endian host:
    // one copy (element-wise DataView reads took most of a ResNet-18 load). int64 and bool convert per element.
    if (LITTLE_ENDIAN && dtype !== 'int64' && dtype !== 'bool') {
      new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(raw);
      return new Tensor(dtype, shape, out);
    }
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) out[i] = readLE(dv, dtype, i);
    return new Tensor(dtype, shape, out);
  }
  const src: ArrayLike<number | LongLike> =
    dtype === 'float32' ? t.floatData ?? [] :
    dtype === 'float64' ? t.doubleData ?? [] :
    dtype === 'int64' ? t.int64Data ?? [] : t.int32Data ?? [];
  if (src.length !== n) throw lcError('LC017', [what, `has ${src.length} values, shape [${shape}] needs ${n}`]);
  for (let i = 0; i < n; i++) out[i] = toNumber(src[i]);
  return new Tensor(dtype, shape, out);
}

export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function readLE(dv: DataView, d: DType, i: number): number {
  switch (d) {
    case 'float32': return dv.getFloat32(i * 4, true);
    case 'float64': return dv.getFloat64(i * 8, true);
    case 'int64': return Number(dv.getBigInt64(i * 8, true));
    case 'int32': return dv.getInt32(i * 4, true);
    case 'int8': return dv.getInt8(i);
    case 'uint8': return dv.getUint8(i);
    case 'bool': return dv.getUint8(i) ? 1 : 0;
  }
}

/** Below this, raw_data's length takes one varint byte: too little room to move the data (and too little to matter). */
const ADOPT_MIN_BYTES = 128;

/**
 * float32 raw_data as a view of the protobuf bytes it was decoded from: a copy less of every weight (a model's
 * weights were copied once more on load, fresh memory that is much of the time to get a model ready). A
 * Float32Array needs a 4-byte aligned start, which protobuf does not give: the data is moved down to the
 * boundary below, over its own field tag and length (1 byte + at least 2 for 128 bytes or more, both decoded
 * already), so no other field's bytes are touched, and t.rawData follows the move. The bytes are changed: only for
 * bytes the importer owns.
 */
function adoptFloat32(t: onnx.onnx.ITensorProto, raw: Uint8Array): Float32Array {
  const shift = raw.byteOffset % 4;
  if (shift) {
    new Uint8Array(raw.buffer).copyWithin(raw.byteOffset - shift, raw.byteOffset, raw.byteOffset + raw.length);
    t.rawData = new Uint8Array(raw.buffer, raw.byteOffset - shift, raw.length); // where the data is now (a second read)
  }
  return new Float32Array(raw.buffer, raw.byteOffset - shift, raw.length / 4);
}

/** Little-endian bytes of a tensor, as ONNX raw_data / .npy payload store them. */
export function tensorBytes(t: Tensor): Uint8Array {
  const bytes = new Uint8Array(t.size * byteSize(t.dtype));
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < t.size; i++) {
    const v = t.data[i];
    switch (t.dtype) {
      case 'float32': dv.setFloat32(i * 4, v, true); break;
      case 'float64': dv.setFloat64(i * 8, v, true); break;
      case 'int64': dv.setBigInt64(i * 8, BigInt(Math.trunc(v)), true); break;
      case 'int32': dv.setInt32(i * 4, v, true); break;
      case 'int8': dv.setInt8(i, v); break;
      case 'uint8': dv.setUint8(i, v); break;
      case 'bool': dv.setUint8(i, v ? 1 : 0); break;
    }
  }
  return bytes;
}

export function tensorToProto(t: Tensor, name: string): onnx.onnx.ITensorProto {
  return { name, dataType: TO_ONNX[t.dtype], dims: [...t.shape], rawData: tensorBytes(t) };
}

export function decodeTensorProto(bytes: Uint8Array, file: string): Tensor {
  let proto: onnx.onnx.TensorProto;
  try { proto = P.TensorProto.decode(bytes); } catch (e) {
    throw lcError('LC010', [`${file} is not a TensorProto (${(e as Error).message})`], { file });
  }
  try { return tensorFromProto(proto, proto.name || file); } catch (e) { throw isLayercError(e) ? e.within({ file }) : e; }
}

export function encodeTensorProto(t: Tensor, name = ''): Uint8Array {
  return P.TensorProto.encode(tensorToProto(t, name)).finish();
}
