// Concat of float32 tensors: per outer index, each input's contiguous chunk is copied by a wasm SIMD copy (a
// one-row ../wasm/pad-plane.ts; F.copyWithin is ~5x slower on the 2-thread programs' SharedArrayBuffer). Inputs and
// output never overlap (the memory plan gives them separate slots). Threads split the outer index.
import { emitPadPlane } from '../wasm/pad-plane.ts';
import type { WasmFunction } from '../wasm/encode.ts';
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
      const Y = ctx.at(node.outputs[0]);
      let off = 0;
      const wasm: WasmFunction[] = [];
      const copies = node.inputs.map((v) => {
        const chunk = staticShape(v)[axis]! * inner, fn = ctx.wasmName('copy');
        wasm.push({ name: fn, code: ctx.code(emitPadPlane, { H: 1, W: chunk, PT: 0, PL: 0, PW: chunk, floats: 0, fill: 0 }) });
        const line = `W.${fn}(${ctx.at(v)} + o * ${chunk * 4}, ${Y + off * 4} + o * ${rowY * 4});`;
        off += chunk;
        return line;
      });
      return { phases: [{ js: `${split(outer)}\n    for (let o = lo; o < hi; o++) {\n      ${copies.join('\n      ')}\n    }` }], wasm };
    },
  };
};
