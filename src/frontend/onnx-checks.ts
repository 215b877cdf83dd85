// Checks on decoded ONNX structures that must run BEFORE anything is allocated from them: a 300-byte file can
// declare a tensor of 2^40 elements, and the decoder only gives us what the file says. Each tensor's dims are
// checked against the limits (rank, dims, element count), its data must have exactly dims x dtype bytes or
// values, and the bytes all inline tensors declare together cannot exceed the file that holds them.
import onnx from 'onnx-proto';
import { lcError } from '../diagnostics.ts';
import { byteSize } from '../ir/dtype.ts';
import { checkShape, exceed, type Limits } from '../limits.ts';
import { dtypeFromOnnx, toNumber, usesExternalData } from '../io/tensorproto.ts';


/** Running total of inline tensor bytes, bounded by the model file's size. */
export interface ByteBudget { fileBytes: number; used: number }

/** Validates a TensorProto's dims and data size; returns the bytes its data needs (dims x dtype). */
/** `rawBytes`: raw_data's length when its bytes were left in the file (loadOnnxFile), else t.rawData's. */
export function checkTensorProto(t: onnx.onnx.ITensorProto, what: string, limits: Limits, budget: ByteBudget, rawBytes = t.rawData?.length ?? 0): number {
  const dtype = dtypeFromOnnx(t.dataType ?? 0, what);
  const dims = (t.dims ?? []).map(toNumber);
  if (dims.length > limits.maxRank) exceed(`tensor ${what} has rank ${dims.length}`, 'maxRank', limits);
  for (const d of dims) if (!Number.isSafeInteger(d) || d < 0) throw lcError('LC017', [what, `dimension ${d} in [${dims.join(', ')}] is negative or not an integer`]);
  const n = checkShape(dims, `tensor ${what}`, limits);
  const bytes = n * byteSize(dtype);
  if (usesExternalData(t)) return bytes; // checked against its own file when inlined
  const raw = rawBytes;
  if (raw > 0) {
    if (raw !== bytes) throw lcError('LC017', [what, `raw_data has ${raw} bytes, dims [${dims.join(', ')}] of ${dtype} need ${bytes}`]);
  } else {
    const typed = dtype === 'float32' ? t.floatData : dtype === 'float64' ? t.doubleData : dtype === 'int64' ? t.int64Data : t.int32Data;
    const count = typed?.length ?? 0;
    if (count !== n) throw lcError('LC017', [what, `has ${count} values, dims [${dims.join(', ')}] need ${n}`]);
  }
  budget.used += bytes;
  // Typed fields can be denser than dims x dtype only by a small factor (varints); more means a lie about size.
  if (budget.used > 8 * budget.fileBytes + 64) throw lcError('LC017', [what, `tensors declare ${budget.used} bytes, more than the ${budget.fileBytes}-byte file can hold`]);
  return bytes;
}

/** Dims of a graph input/output/value_info: rank and each fixed dim within the limits. */
export function checkValueDims(dims: readonly number[], what: string, limits: Limits): void {
  if (dims.length > limits.maxRank) exceed(`${what} has rank ${dims.length}`, 'maxRank', limits);
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw lcError('LC010', [`${what} has an invalid dimension ${d}`]);
    if (d > limits.maxDim) exceed(`${what} has dimension ${d}`, 'maxDim', limits);
  }
}
