// Clip whose min/max are run-time scalars (graph inputs; ./elementwise.ts takes constant bounds). Same rule
// as the reference, min(max(x, lo), hi), so min > max gives max; absent bounds are -Infinity / Infinity.
import { prod, split, staticShape, type KernelFactory } from '../kernel.ts';

export const clipRuntimeKernel: KernelFactory = (node) => {
  if (node.domain || node.op !== 'Clip' || [...node.inputs, ...node.outputs].some((v) => v && v.type.dtype !== 'float32')) return null;
  const n = prod(staticShape(node.outputs[0]));
  const [x, lo, hi] = node.inputs;
  return {
    kind: `clip-runtime ${n}`,
    emit(ctx) {
      const X = ctx.at(x) / 4, Y = ctx.at(node.outputs[0]) / 4;
      const bound = (v: typeof lo, none: string) => (v ? `F[${ctx.at(v) / 4}]` : none);
      return { phases: [{ js: `${split(n)}
    const a = ${bound(lo, '-Infinity')}, b = ${bound(hi, 'Infinity')};
    for (let i = lo; i < hi; i++) F[${Y} + i] = Math.min(Math.max(F[${X} + i], a), b);` }] };
    },
  };
};
