// Sum and Mean of any number of inputs, with broadcasting, as generated JS: the elementwise kernel's merged
// loops over every operand at once; the sum runs in float64 in input order (the reference's order).
import { coalesce, broadcastStrides, loopsJs } from './elementwise.ts';
import { lit, staticShape, type KernelFactory } from '../kernel.ts';

export const sumMeanKernel: KernelFactory = (node) => {
  if (node.domain || (node.op !== 'Sum' && node.op !== 'Mean') || [...node.inputs, node.outputs[0]].some((v) => v?.type.dtype !== 'float32')) return null;
  const out = staticShape(node.outputs[0]);
  const shapes = [out, ...node.inputs.map((v) => staticShape(v))];
  const { dims, strides } = coalesce(out, shapes.map((s) => broadcastStrides(s, out)));
  const n = node.inputs.length;
  return {
    kind: `${node.op} of ${n} ${dims.join('x')}`,
    emit: (ctx) => ({ phases: [{ js: loopsJs(dims, strides, [node.outputs[0], ...node.inputs].map((v) => ctx.at(v) / 4),
      (xs) => (node.op === 'Mean' ? `(${xs.join(' + ')}) / ${lit(n)}` : xs.join(' + '))) }] }),
  };
};
