// Pooling gradients (2-D, NCHW; src/ops/conv-grad.ts defines them) as generated JS. Windows never leave
// their (image, channel) plane, so threads split the planes; each plane of dX is zeroed, then every output
// cell scatters its dY: MaxPoolGrad to the first maximum of its window (the cell the forward picked),
// AveragePoolGrad divided by the window's size (in-bounds taps, plus padding taps with count_include_pad;
// ceil-mode overhang never counts) to every in-bounds tap. Overlapping windows accumulate in float32.
// MaxPoolGrad with disjoint windows (stride = kernel, no padding or dilation: LeNet's and most CNNs' 2x2/2)
// writes every window cell once, dY or 0, with the taps unrolled: no zero-fill pass, no bounds checks; 2x2
// windows (with SIMD) take four at a time in wasm (../wasm/max-pool-grad.ts).
import { split, staticShape, type EmitContext, type KernelFactory } from '../kernel.ts';
import { emitMaxPoolGrad2x2 } from '../wasm/max-pool-grad.ts';

export const poolGradKernel: KernelFactory = (node, opts) => {
  if (node.domain !== 'ai.layerc' || (node.op !== 'MaxPoolGrad' && node.op !== 'AveragePoolGrad')) return null;
  if (![...node.inputs, ...node.outputs].every((v) => v?.type.dtype === 'float32')) return null;
  const xs = staticShape(node.inputs[1]), ys = staticShape(node.inputs[0]);
  if (xs.length !== 4) return null;
  const [N, C, H, W] = xs as [number, number, number, number], [OH, OW] = [ys[2]!, ys[3]!];
  const [KH, KW] = node.attrs.kernel_shape as number[];
  const [SH, SW] = (node.attrs.strides as number[] | undefined) ?? [1, 1];
  const [PT, PL, PB, PR] = (node.attrs.pads as number[] | undefined) ?? [0, 0, 0, 0];
  const [DH, DW] = (node.attrs.dilations as number[] | undefined) ?? [1, 1];
  const max = node.op === 'MaxPoolGrad';
  const includePad = !!node.attrs.count_include_pad;
  const planes = N * C, plane = H * W;
  // Window taps of output (oh, ow): ih = oh*SH - PT + kh*DH, iw = ow*SW - PL + kw*DW.
  const taps = (body: string) => `for (let kh = 0; kh < ${KH}; kh++) {
          const ih = h0 + kh * ${DH};
          for (let kw = 0; kw < ${KW}; kw++) {
            const iw = w0 + kw * ${DW};
            ${body}
          }
        }`;
  const inside = 'ih >= 0 && ih < ' + H + ' && iw >= 0 && iw < ' + W;
  const scatter = max
    ? `let best = -1, bv = 0;
        ${taps(`if (${inside}) { const v = F[X + ih * ${W} + iw]; if (best < 0 || v > bv) { best = ih * ${W} + iw; bv = v; } }`)}
        if (best >= 0) F[DX + best] += g;`
    : `let size = 0;
        ${taps(`if (${inside}) size++;${includePad ? ` else if (ih >= ${-PT} && ih < ${H + PB} && iw >= ${-PL} && iw < ${W + PR}) size++;` : ''}`)}
        const share = g / size;
        ${taps(`if (${inside}) F[DX + ih * ${W} + iw] += share;`)}`;
  const disjoint = max && SH === KH && SW === KW && [PT, PL, PB, PR].every((p) => p === 0) && DH === 1 && DW === 1 && KH * KW <= 16;
  if (disjoint) return disjointMaxGrad(node, [N, C, H, W], [OH, OW], [KH, KW], opts.simd);
  return {
    kind: `${node.op} ${N}x${C}x${H}x${W} k${KH}x${KW} s${SH}x${SW}`,
    emit(ctx) {
      const DY0 = ctx.at(node.inputs[0]) / 4, X0 = ctx.at(node.inputs[1]) / 4, DX0 = ctx.at(node.outputs[0]) / 4;
      return { phases: [{ js: `${split(planes)}
    for (let p = lo; p < hi; p++) {
      const DX = ${DX0} + p * ${plane}, X = ${X0} + p * ${plane}, DY = ${DY0} + p * ${OH * OW};
      F.fill(0, DX, DX + ${plane});
      for (let oh = 0; oh < ${OH}; oh++) {
        const h0 = oh * ${SH} - ${PT};
        for (let ow = 0; ow < ${OW}; ow++) {
          const w0 = ow * ${SW} - ${PL}, g = F[DY + oh * ${OW} + ow];
          ${scatter}
        }
      }
    }` }] };
    },
  };
};

/** MaxPoolGrad over disjoint KH x KW windows: each window's first maximum gets dY, its other cells 0. */
function disjointMaxGrad(node: Parameters<KernelFactory>[0], [N, C, H, W]: number[], [OH, OW]: number[], [KH, KW]: number[], simd: boolean) {
  const taps = Array.from({ length: KH * KW }, (_, t) => ((t / KW) | 0) * W + (t % KW));
  // Strictly greater replaces, so ties and NaN keep the first tap, as the reference's scan does.
  const pick = taps.slice(1).map((o, t) => `{ const v = F[x + ${o}]; if (v > bv) { bv = v; best = ${t + 1}; } }`).join(' ');
  const write = taps.map((o, t) => `F[d + ${o}] = best === ${t} ? g : 0;`).join(' ');
  // Rows and columns past the last full window get no gradient.
  const uncovered = OH * KH < H || OW * KW < W;
  return {
    kind: `MaxPoolGrad ${N}x${C}x${H}x${W} k${KH}x${KW} disjoint`,
    emit(ctx: EmitContext) {
      const DY0 = ctx.at(node.inputs[0]) / 4, X0 = ctx.at(node.inputs[1]) / 4, DX0 = ctx.at(node.outputs[0]) / 4;
      if (simd && KH === 2 && KW === 2) {
        const fn = ctx.wasmName('mpg');
        return { wasm: [{ name: fn, code: emitMaxPoolGrad2x2({ H, W, OH, OW }) }], phases: [{ js: `${split(N * C)}
    ${uncovered ? `F.fill(0, ${DX0} + lo * ${H * W}, ${DX0} + hi * ${H * W});` : ''}
    W.${fn}((${DY0} + lo * ${OH * OW}) * 4, (${X0} + lo * ${H * W}) * 4, (${DX0} + lo * ${H * W}) * 4, hi - lo);` }] };
      }
      return { phases: [{ js: `${split(N * C)}
    for (let p = lo; p < hi; p++) {
      const DX = ${DX0} + p * ${H * W}, X = ${X0} + p * ${H * W}, DY = ${DY0} + p * ${OH * OW};
      ${uncovered ? `F.fill(0, DX, DX + ${H * W});` : ''}
      for (let oh = 0; oh < ${OH}; oh++) for (let ow = 0; ow < ${OW}; ow++) {
        const at = oh * ${KH * W} + ow * ${KW}, x = X + at, d = DX + at, g = F[DY + oh * ${OW} + ow] + 0; // + 0: the reference's 0 + dY (a -0 gradient gives 0)
        let bv = F[x], best = 0;
        ${pick}
        ${write}
      }
    }` }] };
    },
  };
}
