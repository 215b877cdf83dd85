// Softmax / LogSoftmax (opset 13+: along one axis) as generated JS: the tensor is viewed as
// [outer, L, inner]; each (outer, inner) line is max-shifted, exponentiated and normalized in float64
// sums, lines split across threads.
import { prod, split, staticShape, type KernelFactory } from '../kernel.ts';

export const softmaxKernel: KernelFactory = (node) => {
  if (node.domain || (node.op !== 'Softmax' && node.op !== 'LogSoftmax') || node.inputs[0]?.type.dtype !== 'float32') return null;
  const x = staticShape(node.inputs[0]);
  let axis = Number(node.attrs.axis ?? -1);
  if (axis < 0) axis += x.length;
  const outer = prod(x.slice(0, axis)), L = x[axis]!, inner = prod(x.slice(axis + 1));
  const log = node.op === 'LogSoftmax';
  return {
    kind: `${node.op} ${outer}x${L}x${inner}`,
    emit: (ctx) => {
      const X = ctx.at(node.inputs[0]) / 4, Y = ctx.at(node.outputs[0]) / 4;
      return { phases: [{ js: `${split(outer * inner)}
    for (let line = lo; line < hi; line++) {
      const o = (line / ${inner}) | 0, j = line - o * ${inner}, base = o * ${L * inner} + j;
      let m = -Infinity;
      for (let k = 0; k < ${L}; k++) m = Math.max(m, F[${X} + base + k * ${inner}]);
      let s = 0;
      for (let k = 0; k < ${L}; k++) { const e = Math.exp(F[${X} + base + k * ${inner}] - m); s += e; ${log ? '' : `F[${Y} + base + k * ${inner}] = e;`} }
      ${log ? `const ls = Math.log(s) + m; for (let k = 0; k < ${L}; k++) F[${Y} + base + k * ${inner}] = F[${X} + base + k * ${inner}] - ls;`
        : `const inv = 1 / s; for (let k = 0; k < ${L}; k++) F[${Y} + base + k * ${inner}] *= inv;`}
    }` }] };
    },
  };
};
