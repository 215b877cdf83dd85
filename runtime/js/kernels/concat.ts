// Concat of float32 tensors: per outer index, each input's contiguous chunk is copied with copyWithin
// (a memmove inside the one memory). Threads split the outer index.
import { prod, split, staticShape, type KernelFactory } from '../kernel.ts';

export const concatKernel: KernelFactory = (node) => {
  if (node.domain || node.op !== 'Concat' || node.outputs[0]?.type.dtype !== 'float32') return null;
  if (node.inputs.some((v) => !v || v.type.dtype !== 'float32')) return null;
  const y = staticShape(node.outputs[0]);
  let axis = Number(node.attrs.axis);
  if (axis < 0) axis += y.length;
  const outer = prod(y.slice(0, axis)), inner = prod(y.slice(axis + 1));
  const rowY = y[axis]! * inner;
  return {
    kind: `concat ${node.inputs.length} x ${outer}`,
    emit: (ctx) => {
      const Y = ctx.at(node.outputs[0]) / 4;
      let off = 0;
      const copies = node.inputs.map((v) => {
        const chunk = staticShape(v)[axis]! * inner;
        const X = ctx.at(v) / 4;
        const line = `F.copyWithin(${Y + off} + o * ${rowY}, ${X} + o * ${chunk}, ${X} + (o + 1) * ${chunk});`;
        off += chunk;
        return line;
      });
      return { phases: [{ js: `${split(outer)}\n    for (let o = lo; o < hi; o++) {\n      ${copies.join('\n      ')}\n    }` }] };
    },
  };
};
