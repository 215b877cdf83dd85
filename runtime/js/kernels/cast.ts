// Cast between any two dtypes as generated JS over typed views of the arena (./typed.ts): the reference's rule
// (src/ops/shape.ts castValue) per element, then the store into the target's view rounds (float32) or wraps
// (integers) exactly as the interpreter's typed arrays do. At -O0 the expanded LayerNormalization node tests
// cast a computed int64 size to float; `compile --target js` refused such models (no reference in emitted code).
import { isFloat } from '../../../src/ir/dtype.ts';
import { prod, split, staticShape, type KernelFactory } from '../kernel.ts';
import { elementAt, viewDecl } from './typed.ts';

export const castKernel: KernelFactory = (node) => {
  const [x] = node.inputs, y = node.outputs[0];
  if (node.domain || node.op !== 'Cast' || !x || !y || (x.const && x.type.dtype !== 'float32')) return null;
  const from = x.type.dtype, to = y.type.dtype, n = prod(staticShape(y));
  // castValue as an expression of v: a bool target first, then a float target keeps v, float -> int truncates.
  const expr = to === 'bool' ? '(v !== 0 ? 1 : 0)' : isFloat(to) || !isFloat(from) ? 'v' : '(Number.isFinite(v) ? Math.trunc(v) : 0)';
  return {
    kind: `Cast ${from}->${to} ${n}`,
    emit: (ctx) => {
      const X = elementAt(ctx, x), Y = elementAt(ctx, y);
      return { phases: [{ js: `${viewDecl('A', from)}\n    ${viewDecl('B', to)}\n    ${split(n)}
    for (let i = lo; i < hi; i++) { const v = A[${X} + i]; B[${Y} + i] = ${expr}; }` }] };
    },
  };
};
