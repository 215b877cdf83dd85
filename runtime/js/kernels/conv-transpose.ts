// ConvTranspose (1-D or 2-D, any groups/strides/dilations/pads/output_padding/output_shape) as generated JS in
// gather form: each output element sums the input positions that scatter onto it,
//   y[n, m, oy, ox] = b[m] + sum_{c in m's group, ky, kx} x[n, c, iy, ix] * w[c, m mod Mg, ky, kx]
// where oy + padTop - ky * dilation = iy * stride (only exact multiples contribute). Output rows split across
// threads; float64 sums. The geometry is the reference's (src/ops/conv.ts convTransposeGeometry).
// A Fused(ConvTranspose) node (runtime/js/fusion.ts) applies its epilogue to each output row right after the
// row is summed, while it is in cache: the JS steps of ../epilogue.ts (operands per channel, full or scalar).
import { convTransposeGeometry } from '../../../src/ops/conv.ts';
import { readWindowAttrs } from '../../../src/ops/window.ts';
import { RAISE } from '../../../src/ops/dims.ts';
import { fusedView } from '../../../src/ops/fused-contract.ts';
import { splitEpilogue, tailPassJs } from '../epilogue.ts';
import { split, staticShape, type KernelFactory } from '../kernel.ts';

/** ConvTranspose, or Fused with a ConvTranspose base. */
export const convTransposeKernel: KernelFactory = (node) => {
  const v = fusedView(node);
  if (!v || v.base !== 'ConvTranspose' || [...node.inputs, node.outputs[0]].some((x) => x && x.type.dtype !== 'float32')) return null;
  const attrs = v.attrs;
  const xs = staticShape(node.inputs[0]), ws = staticShape(node.inputs[1]), ys = staticShape(node.outputs[0]);
  if (xs.length !== 4 && xs.length !== 3) return null;
  // The epilogue (the bias is summed in the main loop, not a step) in the JS form, on the output as [N*M rows of OH*OW].
  const ep = splitEpilogue(node, v.epilogue, ys, 1, false);
  if (!ep) return null;
  const kernel1 = (attrs.kernel_shape as number[] | undefined) ?? ws.slice(2);
  const win = readWindowAttrs(RAISE, 'ConvTranspose', attrs, kernel1);
  const geo = convTransposeGeometry(RAISE, win, attrs, xs.slice(2));
  // 1-D runs as 2-D with a unit height (same memory layout: [N, C, 1, W], weights [C, Mg, 1, k]).
  const lift = (a: readonly number[], unit: number) => (xs.length === 3 ? [a[0]!, a[1]!, unit, ...a.slice(2)] : [...a]);
  const lift2 = (a: readonly number[], unit: number) => (xs.length === 3 ? [unit, ...a] : [...a]);
  const [N, C, H, W] = lift(xs, 1) as [number, number, number, number];
  const [, M, OH, OW] = lift(ys, 1) as [number, number, number, number];
  const group = Number(attrs.group ?? 1), Cg = C / group, Mg = ws[1]!;
  const kernel = lift2(kernel1, 1);
  const [KH, KW] = kernel as [number, number], [sy, sx] = lift2(win.strides, 1) as [number, number], [dy, dx] = lift2(win.dilations, 1) as [number, number];
  const [pt, pl] = lift2(geo.map((p) => p[0]!), 0) as [number, number];
  const bias = v.bias ? node.inputs[v.bias.input] : null;
  return {
    kind: `ConvTranspose ${xs.join('x')}->${ys.join('x')} k${KH}x${KW} s${sy}x${sx}${ep.tail.length ? ` + ${ep.tail.length} epilogue steps` : ''}`,
    emit: (ctx) => {
      const X = ctx.at(node.inputs[0]) / 4, Wt = ctx.at(node.inputs[1]) / 4, Y = ctx.at(node.outputs[0]) / 4;
      const B = bias ? ctx.at(bias) / 4 : -1;
      // One output line (plane nm = n * M + m, row oy), summed in float64.
      const line = `const m = nm % ${M}, n = (nm / ${M}) | 0;
      const g = (m / ${Mg}) | 0, mm = m - g * ${Mg}, y0 = ${Y} + (nm * ${OH} + oy) * ${OW};
      for (let ox = 0; ox < ${OW}; ox++) {
        let s = ${B >= 0 ? `F[${B} + m]` : '0'};
        for (let ky = 0; ky < ${KH}; ky++) {
          const ty = oy + ${pt} - ky * ${dy};
          if (ty < 0 || ty % ${sy} !== 0) continue;
          const iy = ty / ${sy};
          if (iy >= ${H}) continue;
          for (let kx = 0; kx < ${KW}; kx++) {
            const tx = ox + ${pl} - kx * ${dx};
            if (tx < 0 || tx % ${sx} !== 0) continue;
            const ix = tx / ${sx};
            if (ix >= ${W}) continue;
            for (let c = g * ${Cg}; c < (g + 1) * ${Cg}; c++) s += F[${X} + ((n * ${C} + c) * ${H} + iy) * ${W} + ix] * F[${Wt} + ((c * ${Mg} + mm) * ${KH} + ky) * ${KW} + kx];
          }
        }
        F[y0 + ox] = s;
      }`;
      // Without an epilogue threads split output lines; with one, whole planes, each finished by the epilogue's
      // tail pass over that plane (as a row of OH * OW: its channel is nm % M) while it is in cache.
      if (!ep.tail.length) return { phases: [{ js: `${split(N * M * OH)}
    for (let row = lo; row < hi; row++) {
      const oy = row % ${OH}, nm = (row / ${OH}) | 0;
      ${line}
    }` }] };
      const tail = tailPassJs(ep.tail, { y: String(Y), cols: OH * OW, channels: M, operand: (i) => String(ctx.at(node.inputs[i]) / 4) });
      return { phases: [{ js: `${split(N * M, 'p0', 'p1')}
    for (let nm = p0; nm < p1; nm++) {
      for (let oy = 0; oy < ${OH}; oy++) {
      ${line}
      }
      { const lo = nm, hi = nm + 1;
      ${tail} }
    }` }] };
    },
  };
};
