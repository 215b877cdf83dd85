// Conv and ConvTranspose (ONNX opset 11+), 1-D/2-D/3-D (any number of spatial axes), NCHW layout.
//   Conv:          Y[n, m, o] = B[m] + sum_{c in group(m), k} X[n, c, o*s - pb + k*d] * W[m, c - c0, k]
//                  W is [M, C/group, k...]; taps that land in the padding read zero.
//   ConvTranspose: the adjoint scatter: Y[n, m, i*s - pb + k*d] += X[n, c, i] * W[c, m - m0, k], plus B[m];
//                  W is [C, M/group, k...]; output size s*(in-1) + output_padding + (k-1)*d + 1 - pb - pe,
//                  or output_shape, from which the pads are derived (spec: total_padding split with the
//                  odd cell at the end for SAME_UPPER, at the beginning otherwise).
// Sums accumulate in float64 and are rounded to the output type once. Index math is precomputed (window.ts):
// Conv gathers dense rows (per tap and output row, the valid span along the last axis), so the inner
// loop is a strided multiply-add; ConvTranspose scatters through a per-tap table whose out-of-range
// entries write to a discarded sentinel cell, so its inner loop has no branches. Taps in the padding
// contribute nothing.
import type { Dim, TensorType } from '../ir/graph.ts';
import { defineOp, type InferContext } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';
import { isFloat } from '../ir/dtype.ts';
import { RAISE } from './dims.ts';
import { axisGeometry, extent, readWindowAttrs, windowOutDims, windowRows, windowTable, type WindowAttrs, type WindowRows } from './window.ts';

type Fail = Pick<InferContext, 'fail'>;

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

const CONV_ATTRS = {
  auto_pad: { type: 'string' as const, default: 'NOTSET' },
  dilations: { type: 'ints' as const },
  group: { type: 'int' as const, default: 1 },
  kernel_shape: { type: 'ints' as const },
  pads: { type: 'ints' as const },
  strides: { type: 'ints' as const },
};

/** What both shape rule and reference need, checked against the spec's rules. */
interface ConvSetup {
  window: WindowAttrs;
  group: number;
  /** Output channel count M (symbolic when W's dims are; null when only a fresh symbol can name it). */
  outChannels: Dim | null;
}

/**
 * Checks X [N, C, spatial...], W and B against each other and the attributes. `transpose` selects the
 * ConvTranspose weight layout [C, M/group, k...] instead of Conv's [M, C/group, k...].
 */
function checkConv(f: Fail, op: string, attrs: Record<string, unknown>, x: readonly Dim[], w: readonly Dim[], b: readonly Dim[] | null, transpose: boolean): ConvSetup {
  if (x.length < 3) f.fail('LC032', [`${op}: input X must have rank >= 3 (N, C, spatial...), got [${x.join(', ')}]`]);
  if (w.length !== x.length) f.fail('LC032', [`${op}: W rank ${w.length} must equal X rank ${x.length} (W is [${w.join(', ')}], X is [${x.join(', ')}])`]);
  const group = attrs.group as number;
  if (!Number.isInteger(group) || group < 1) f.fail('LC030', ['group', `${op} group must be a positive integer, got ${group}`]);
  const wk = w.slice(2);
  const ks = attrs.kernel_shape as number[] | undefined;
  if (ks && ks.length > 0) {
    if (ks.length !== wk.length) f.fail('LC030', ['kernel_shape', `${op} kernel_shape [${ks.join(', ')}] has ${ks.length} axes, W has ${wk.length} spatial axes`]);
    ks.forEach((k, i) => {
      if (typeof wk[i] === 'number' && wk[i] !== k) f.fail('LC032', [`${op}: kernel_shape [${ks.join(', ')}] does not match W's spatial dims [${wk.join(', ')}]`]);
    });
  } else if (wk.some((d) => typeof d !== 'number')) {
    f.fail('LC035', [`${op} with symbolic kernel dims in W [${w.join(', ')}] needs a kernel_shape attribute`]);
  }
  const kernel = ks && ks.length > 0 ? ks : (wk as number[]);
  const window = readWindowAttrs(f, op, attrs, kernel);
  const C = x[1];
  // Conv: W[1] = C / group, M = W[0]. ConvTranspose: W[0] = C, M = W[1] * group.
  const [wIn, wOut] = transpose ? [w[0], w[1]] : [w[1], w[0]];
  if (typeof C === 'number' && C % group !== 0) f.fail('LC032', [`${op}: group ${group} does not divide the ${C} input channels`]);
  if (typeof C === 'number' && typeof wIn === 'number') {
    const expected = transpose ? C : C / group;
    if (wIn !== expected) {
      f.fail('LC032', [transpose
        ? `${op}: W.shape[0] = ${wIn} must equal the input channels C = ${C} (W is [C, M/group, k...])`
        : `${op}: W.shape[1] * group = ${wIn} * ${group} must equal the input channels C = ${C} (W is [M, C/group, k...])`]);
    }
  }
  if (!transpose && typeof wOut === 'number' && wOut % group !== 0) f.fail('LC032', [`${op}: group ${group} does not divide the ${wOut} output channels W.shape[0]`]);
  const outChannels: Dim | null = !transpose ? wOut : typeof wOut === 'number' ? wOut * group : group === 1 ? wOut : null;
  if (b) {
    if (b.length !== 1) f.fail('LC032', [`${op}: bias B must be 1-D [M], got [${b.join(', ')}]`]);
    if (typeof b[0] === 'number' && typeof outChannels === 'number' && b[0] !== outChannels) {
      f.fail('LC032', [`${op}: bias B has ${b[0]} entries, the output has M = ${outChannels} channels`]);
    }
  }
  return { window, group, outChannels };
}

function checkTypes(ctx: InferContext): TensorType {
  const [x, w, b] = ctx.inputs;
  if (!isFloat(x!.dtype)) ctx.fail('LC033', [`${ctx.node.op} needs float32 or float64 input, got ${x!.dtype}`]);
  if (w!.dtype !== x!.dtype) ctx.fail('LC033', [`${ctx.node.op}: W is ${w!.dtype}, X is ${x!.dtype}`]);
  if (b && b.dtype !== x!.dtype) ctx.fail('LC033', [`${ctx.node.op}: B is ${b.dtype}, X is ${x!.dtype}`]);
  return x!;
}

// ---- Conv ----

defineOp({
  name: 'Conv',
  onnxSince: 1,
  summary: 'N-D convolution with groups, strides, dilations, pads / auto_pad and optional bias',
  attrs: CONV_ATTRS,
  inputs: [2, 3],
  outputs: [1, 1],
  inferType(ctx) {
    const x = checkTypes(ctx);
    const [, w, b] = ctx.inputs;
    if (!x.shape || !w!.shape) return [{ dtype: x.dtype, shape: null }];
    const s = checkConv(ctx, 'Conv', ctx.attrs, x.shape, w!.shape, b?.shape ?? null, false);
    return [{ dtype: x.dtype, shape: [x.shape[0], s.outChannels!, ...windowOutDims(ctx, 'Conv', s.window, x.shape.slice(2))] }];
  },
  evalRef([x, w, b], ctx) {
    return [conv(x!, w!, b, ctx.attrs)];
  },
});

/** Reference Conv on concrete tensors (also used by tests and other ops' references). */
export function conv(x: Tensor, w: Tensor, b: Tensor | null, attrs: Record<string, unknown>): Tensor {
  const { window, group } = checkConv(RAISE, 'Conv', { ...attrs, group: attrs.group ?? 1 }, x.shape, w.shape, b?.shape ?? null, false);
  const [N, C] = x.shape, M = w.shape[0];
  const inSp = x.shape.slice(2);
  const geo = inSp.map((d, i) => axisGeometry(window, i, d));
  const outSp = geo.map((g) => g[2]);
  geo.forEach(([pb, pe, o], i) => {
    if (o < 1) RAISE.fail('LC032', [`Conv: kernel extent ${extent(window.kernel[i], window.dilations[i])} along spatial axis ${i} is larger than the padded input ${inSp[i]} + ${pb} + ${pe}`]);
  });
  const S = prod(inSp), O = prod(outSp), K = prod(window.kernel);
  const Cg = C / group, Mg = M / group;
  const rows = windowRows(outSp, inSp, window.kernel, window.strides, window.dilations, geo.map((g) => g[0]));
  const y = Tensor.zeros(x.dtype, [N, M, ...outSp]);
  const acc = new Float64Array(4 * O);
  const xd = x.data, wd = w.data, yd = y.data;
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < group; g++) {
      // Four output channels at a time share each input read (about 2x faster); the rest one by one.
      for (let m0 = g * Mg, mEnd = (g + 1) * Mg; m0 < mEnd; m0 += 4) {
        const nb = Math.min(4, mEnd - m0);
        for (let j = 0; j < nb; j++) acc.fill(b ? b.data[m0 + j] : 0, j * O, (j + 1) * O);
        for (let c = 0; c < Cg; c++) {
          const xb = (n * C + g * Cg + c) * S;
          for (let kk = 0; kk < K; kk++) {
            const wi = (m0 * Cg + c) * K + kk, wStep = Cg * K; // W[m0 + j, c, kk] = wd[wi + j * wStep]
            if (nb === 4) gatherRows4(acc, O, wd[wi], wd[wi + wStep], wd[wi + 2 * wStep], wd[wi + 3 * wStep], xd, xb, rows, kk);
            else for (let j = 0; j < nb; j++) gatherRows(acc, j * O, wd[wi + j * wStep], xd, xb, rows, kk);
          }
        }
        for (let j = 0; j < nb; j++) yd.set(acc.subarray(j * O, (j + 1) * O), (n * M + m0 + j) * O);
      }
    }
  }
  return y;
}

/** acc[a0 + out] += wv * x[tap kk's input for out] over every valid output row. */
function gatherRows(acc: Float64Array, a0: number, wv: number, xd: ArrayLike<number>, xb: number, p: WindowRows, kk: number): void {
  const { R, W, stride, start, valid } = p, l = p.lo[kk], h = p.hi[kk];
  for (let r = 0; r < R; r++) {
    if (!valid[kk * R + r]) continue;
    const ib = xb + start[kk * R + r], ob = a0 + r * W;
    if (stride === 1) for (let o = l; o < h; o++) acc[ob + o] += wv * xd[ib + o];
    else for (let o = l; o < h; o++) acc[ob + o] += wv * xd[ib + o * stride];
  }
}

/** gatherRows for four output channels (accumulators at 0, O, 2O, 3O) sharing each input read. */
function gatherRows4(acc: Float64Array, O: number, w0: number, w1: number, w2: number, w3: number, xd: ArrayLike<number>, xb: number, p: WindowRows, kk: number): void {
  const { R, W, stride, start, valid } = p, l = p.lo[kk], h = p.hi[kk];
  for (let r = 0; r < R; r++) {
    if (!valid[kk * R + r]) continue;
    const ib = xb + start[kk * R + r], ob = r * W;
    for (let o = l; o < h; o++) {
      const v = xd[ib + o * stride], i = ob + o;
      acc[i] += w0 * v;
      acc[i + O] += w1 * v;
      acc[i + 2 * O] += w2 * v;
      acc[i + 3 * O] += w3 * v;
    }
  }
}

// ---- ConvTranspose ----

/** [padBegin, padEnd, out] per spatial axis of a ConvTranspose, following the spec's formulas. */
export function convTransposeGeometry(f: Fail, window: WindowAttrs, attrs: Record<string, unknown>, inSp: readonly number[]): [number, number, number][] {
  const n = inSp.length;
  const outPad = (attrs.output_padding as number[] | undefined) ?? [];
  if (outPad.length !== 0 && outPad.length !== n) f.fail('LC030', ['output_padding', `ConvTranspose needs ${n} values, got [${outPad.join(', ')}]`]);
  if (outPad.some((p) => !Number.isInteger(p) || p < 0)) f.fail('LC030', ['output_padding', `must be integers >= 0, got [${outPad.join(', ')}]`]);
  let outShape = (attrs.output_shape as number[] | undefined) ?? [];
  if (outShape.length === n + 2) outShape = outShape.slice(2); // some exporters write [N, C, spatial...]
  if (outShape.length !== 0 && outShape.length !== n) f.fail('LC030', ['output_shape', `ConvTranspose needs ${n} spatial sizes, got [${outShape.join(', ')}]`]);
  const { strides, dilations, kernel, autoPad, pads } = window;
  return inSp.map((size, i) => {
    const full = strides[i] * (size - 1) + (outPad[i] ?? 0) + extent(kernel[i], dilations[i]);
    let target: number | undefined = outShape.length ? outShape[i] : undefined;
    if (target === undefined && (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER')) target = size * strides[i];
    if (target !== undefined) {
      const total = full - target;
      const half = Math.floor(total / 2);
      return autoPad === 'SAME_UPPER' ? [half, total - half, target] : [total - half, half, target];
    }
    const [pb, pe] = autoPad === 'VALID' ? [0, 0] : [pads[i], pads[i + n]];
    return [pb, pe, full - pb - pe];
  });
}

defineOp({
  name: 'ConvTranspose',
  onnxSince: 1,
  summary: 'N-D transposed convolution with groups, strides, dilations, pads / auto_pad, output_padding, output_shape',
  attrs: { ...CONV_ATTRS, output_padding: { type: 'ints' }, output_shape: { type: 'ints' } },
  inputs: [2, 3],
  outputs: [1, 1],
  inferType(ctx) {
    const x = checkTypes(ctx);
    const [, w, b] = ctx.inputs;
    if (!x.shape || !w!.shape) return [{ dtype: x.dtype, shape: null }];
    const s = checkConv(ctx, 'ConvTranspose', ctx.attrs, x.shape, w!.shape, b?.shape ?? null, true);
    const sp = x.shape.slice(2);
    let outSp: Dim[];
    if (sp.every((d) => typeof d === 'number')) {
      outSp = convTransposeGeometry(ctx, s.window, ctx.attrs, sp as number[]).map(([, , o], i) => {
        if (o < 1) ctx.fail('LC032', [`ConvTranspose: output size ${o} along spatial axis ${i} (pads larger than the result)`]);
        return o;
      });
    } else {
      const os = ctx.attrs.output_shape as number[] | undefined;
      outSp = os && os.length ? os.slice(-sp.length) : sp.map(() => ctx.freshDim('convtranspose'));
    }
    return [{ dtype: x.dtype, shape: [x.shape[0], s.outChannels ?? ctx.freshDim('channels'), ...outSp] }];
  },
  evalRef([x, w, b], ctx) {
    return [convTranspose(x!, w!, b, ctx.attrs)];
  },
});

/** Reference ConvTranspose on concrete tensors. */
export function convTranspose(x: Tensor, w: Tensor, b: Tensor | null, attrs: Record<string, unknown>): Tensor {
  const { window, group } = checkConv(RAISE, 'ConvTranspose', { ...attrs, group: attrs.group ?? 1 }, x.shape, w.shape, b?.shape ?? null, true);
  const [N, C] = x.shape;
  const Cg = C / group, Mg = w.shape[1], M = Mg * group;
  const inSp = x.shape.slice(2);
  const geo = convTransposeGeometry(RAISE, window, attrs, inSp);
  const outSp = geo.map((g) => g[2]);
  if (outSp.some((o) => o < 1)) RAISE.fail('LC032', [`ConvTranspose: output spatial size [${outSp.join(', ')}] is empty (pads larger than the result)`]);
  const S = prod(inSp), O = prod(outSp), K = prod(window.kernel);
  // Scatter table: input position -> output position per tap; anything outside goes to the sentinel O.
  const table = windowTable(inSp, outSp, window.kernel, window.strides, window.dilations, geo.map((g) => g[0]), outSp.map(() => 0));
  for (let i = 0; i < table.length; i++) if (table[i] < 0) table[i] = O;
  const y = Tensor.zeros(x.dtype, [N, M, ...outSp]);
  const acc = new Float64Array(Mg * (O + 1));
  const xd = x.data, wd = w.data;
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < group; g++) {
      for (let mm = 0; mm < Mg; mm++) acc.fill(b ? b.data[g * Mg + mm] : 0, mm * (O + 1), (mm + 1) * (O + 1));
      for (let c = 0; c < Cg; c++) {
        const ci = g * Cg + c, xb = (n * C + ci) * S;
        for (let mm = 0; mm < Mg; mm++) {
          const ab = mm * (O + 1), wb = (ci * Mg + mm) * K;
          for (let kk = 0; kk < K; kk++) {
            const wv = wd[wb + kk];
            const t0 = kk * S;
            for (let i = 0; i < S; i++) acc[ab + table[t0 + i]] += wv * xd[xb + i];
          }
        }
      }
      for (let mm = 0; mm < Mg; mm++) {
        const dst = (n * M + g * Mg + mm) * O;
        for (let o = 0; o < O; o++) y.data[dst + o] = acc[mm * (O + 1) + o];
      }
    }
  }
  return y;
}
