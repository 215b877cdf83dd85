// Element types. int64 values are stored as JS numbers (Float64Array): exact up to 2^53, which covers
// every shape, index and count a model holds; the ONNX codec converts at the boundary.
import { checkShape } from '../limits.ts';

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

export type TypedArray = Float32Array | Float64Array | Int32Array | Int8Array | Uint8Array;

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int64', 'int32', 'int8', 'uint8', 'bool'];

/** Every tensor's storage comes from here: a size past the element limit is an LC085 error, not a V8 crash. */
export function allocArray(dtype: DType, n: number): TypedArray {
  if (!(n >= 0 && n <= 2 ** 20)) checkShape([n], `a ${dtype} tensor`);
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': case 'int64': return new Float64Array(n);
    case 'int32': return new Int32Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
  }
}

export function isFloat(d: DType): boolean { return d === 'float32' || d === 'float64'; }
export function isInteger(d: DType): boolean { return !isFloat(d) && d !== 'bool'; }

/** Bytes per element as stored in ONNX / safetensors (int64 is 8 even though we hold it as f64). */
export function byteSize(d: DType): number {
  return { float32: 4, float64: 8, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 }[d];
}
