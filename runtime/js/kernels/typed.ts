// Typed views for kernels on values that are not float32. The arena is byte-addressed: runtime/plan.ts gives
// every value its dtype's width (int64 is held as float64, src/ir/dtype.ts) at a 64-byte aligned offset, and
// only the phase functions' `F` is a Float32Array. A kernel for int8/uint8/int32/int64/float64 values reads
// and writes them through a view of the same memory (`new Int8Array(F.buffer)`, O(1) per phase call), so
// storing into the view rounds or wraps exactly as the reference interpreter's typed arrays do.
import type { Value } from '../../../src/ir/graph.ts';
import type { DType } from '../../../src/ir/dtype.ts';
import type { EmitContext } from '../kernel.ts';

const ARRAY: Record<DType, string> = {
  float32: 'Float32Array', float64: 'Float64Array', int64: 'Float64Array', int32: 'Int32Array', int8: 'Int8Array', uint8: 'Uint8Array', bool: 'Uint8Array',
};
const BYTES: Record<DType, number> = { float32: 4, float64: 8, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 };

/** JS statement declaring `name` as the memory seen as `dtype` elements (F itself for float32). */
export const viewDecl = (name: string, dtype: DType): string => (dtype === 'float32' ? `const ${name} = F;` : `const ${name} = new ${ARRAY[dtype]}(F.buffer);`);

/** The element index of value `v` (not a non-float32 constant) in its dtype's view. */
export const elementAt = (ctx: EmitContext, v: Value): number => ctx.at(v) / BYTES[v.type.dtype];

/** A non-float32 constant whose every element is a float32 exactly (int8/uint8, small int32): it can be placed
 *  among the float32 constants (KernelBuild.consts) and read through F. */
export const asFloat32 = (v: Value): Float32Array | null => {
  const d = v.const?.toNumbers();
  if (!d || d.some((x) => Math.fround(x) !== x)) return null;
  return Float32Array.from(d.length ? d : [0]);
};
