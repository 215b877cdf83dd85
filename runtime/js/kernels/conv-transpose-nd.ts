// ConvTranspose over any number of spatial axes (./conv-transpose.ts serves 1-D and 2-D) as generated JS in
// the same gather form: each output element sums the input positions that scatter onto it,
//   y[n, m, o...] = b[m] + sum_{c in m's group, k...} x[n, c, i...] * w[c, m mod Mg, k...]
// where along every axis o + padBegin - k * dilation = i * stride (only exact multiples contribute). The tap
// loops nest one per spatial axis (the last one innermost), each carrying its partial x and w offsets. Output
// lines (all axes but the last) split across threads; float64 sums. Geometry is the reference's
// (src/ops/conv.ts convTransposeGeometry); a Fused(ConvTranspose) runs its epilogue per plane in the JS tail
// pass (../epilogue.ts), as the 2-D kernel does.
import { convTransposeGeometry } from '../../../src/ops/conv.ts';
import { readWindowAttrs } from '../../../src/ops/window.ts';
import { RAISE } from '../../../src/ops/dims.ts';
import { fusedView } from '../../../src/ops/fused-contract.ts';
import { stridesOf } from '../../../src/ir/tensor.ts';
import { splitEpilogue, tailPassJs } from '../epilogue.ts';
import { prod, split, staticShape, type KernelFactory } from '../kernel.ts';

/** ConvTranspose, or Fused with a ConvTranspose base, with 3 or more spatial axes. */
export const convTransposeNdKernel: KernelFactory = (node) => {
  const v = fusedView(node);
  if (!v || v.base !== 'ConvTranspose' || [...node.inputs, node.outputs[0]].some((x) => x && x.type.dtype !== 'float32')) return null;
  const xs = staticShape(node.inputs[0]), ws = staticShape(node.inputs[1]), ys = staticShape(node.outputs[0]);
  if (xs.length < 5) return null;
  const ep = splitEpilogue(node, v.epilogue, ys, 1, false);
  if (!ep) return null;
  const d = xs.length - 2, inSp = xs.slice(2), outSp = ys.slice(2);
  const kernel = (v.attrs.kernel_shape as number[] | undefined) ?? ws.slice(2);
  const win = readWindowAttrs(RAISE, 'ConvTranspose', v.attrs, kernel);
  const padBegin = convTransposeGeometry(RAISE, win, v.attrs, inSp).map((g) => g[0]);
  const [N, C] = xs as [number, number], M = ys[1]!, group = Number(v.attrs.group ?? 1), Cg = C / group, Mg = ws[1]!;
  const inStride = stridesOf(inSp), kStride = stridesOf(kernel), outStride = stridesOf(outSp);
  const S = prod(inSp), K = prod(kernel), P = prod(outSp), L = outSp[d - 1]!, lines = P / L;
  const bias = v.bias ? node.inputs[v.bias.input] : null;
  return {
    kind: `ConvTranspose ${xs.join('x')}->${ys.join('x')} k${kernel.join('x')} s${win.strides.join('x')}${ep.tail.length ? ` + ${ep.tail.length} epilogue steps` : ''}`,
    emit: (ctx) => {
      const X = ctx.at(node.inputs[0]) / 4, Wt = ctx.at(node.inputs[1]) / 4, Y = ctx.at(node.outputs[0]) / 4;
      // One tap loop per axis a (o_a: the output coordinate; the last axis's is ox), carrying xi_a / wk_a.
      const taps = Array.from({ length: d }, (_, a) => {
        const o = a === d - 1 ? 'ox' : `o${a}`, xi = a ? `xi${a - 1}` : '0', wk = a ? `wk${a - 1}` : '0';
        return `for (let k${a} = 0; k${a} < ${kernel[a]}; k${a}++) {
          const t${a} = ${o} + ${padBegin[a]} - k${a} * ${win.dilations[a]};
          if (t${a} < 0 || t${a} % ${win.strides[a]} !== 0) continue;
          const i${a} = t${a} / ${win.strides[a]};
          if (i${a} >= ${inSp[a]}) continue;
          const xi${a} = ${xi} + i${a} * ${inStride[a]}, wk${a} = ${wk} + k${a} * ${kStride[a]};`;
      }).join('\n          ');
      const decode = Array.from({ length: d - 1 }, (_, a) => `const o${a} = ((q / ${outStride[a]! / L}) | 0) % ${outSp[a]};`).join(' ');
      // Output line q of plane nm (n * M + m): the last axis summed point by point.
      const line = `const m = nm % ${M}, n = (nm / ${M}) | 0, g = (m / ${Mg}) | 0, mm = m - g * ${Mg};
      ${decode}
      const y0 = ${Y} + nm * ${P} + q * ${L};
      for (let ox = 0; ox < ${L}; ox++) {
        let s = ${bias ? `F[${ctx.at(bias) / 4} + m]` : '0'};
        ${taps}
          for (let c = g * ${Cg}; c < (g + 1) * ${Cg}; c++) s += F[${X} + (n * ${C} + c) * ${S} + xi${d - 1}] * F[${Wt} + (c * ${Mg} + mm) * ${K} + wk${d - 1}];
        ${'}'.repeat(d)}
        F[y0 + ox] = s;
      }`;
      if (!ep.tail.length) return { phases: [{ js: `${split(N * M * lines)}
    for (let row = lo; row < hi; row++) {
      const q = row % ${lines}, nm = (row / ${lines}) | 0;
      ${line}
    }` }] };
      const tail = tailPassJs(ep.tail, { y: String(Y), cols: P, channels: M, operand: (i) => String(ctx.at(node.inputs[i]) / 4) });
      return { phases: [{ js: `${split(N * M, 'p0', 'p1')}
    for (let nm = p0; nm < p1; nm++) {
      for (let q = 0; q < ${lines}; q++) {
      ${line}
      }
      { const lo = nm, hi = nm + 1;
      ${tail} }
    }` }] };
    },
  };
};
