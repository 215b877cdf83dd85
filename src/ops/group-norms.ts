// The normalizations that use the statistics of each sample (not running statistics): LayerNormalization
// (opset 17: every axis from `axis` on), InstanceNormalization (each (n, c) plane) and GroupNormalization
// (opset 21 form: each group of C/num_groups channels of a sample, per-channel scale and bias). All three are
// "cut x into rows, normalize each row to mean 0 and variance 1 (biased), then scale and shift"; they differ
// only in where the rows are and which scale/bias element an element gets. Statistics are float64, two passes.
import type { Dim, TensorType } from '../ir/graph.ts';
import { defineOp, type InferContext } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';
import { isFloat } from '../ir/dtype.ts';
import { RAISE } from './dims.ts';
import { broadcastShapes, sameShape } from './util.ts';

/** Mean and 1/sqrt(var + eps) of each of `rows` contiguous rows of x (float64). */
export function rowStats(x: ArrayLike<number>, rows: number, eps: number): { mean: Float64Array; invStd: Float64Array } {
  const len = rows === 0 ? 0 : x.length / rows;
  const mean = new Float64Array(rows), invStd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = r * len; i < (r + 1) * len; i++) s += x[i];
    const m = s / len;
    let v = 0;
    for (let i = r * len; i < (r + 1) * len; i++) { const d = x[i] - m; v += d * d; }
    mean[r] = m;
    invStd[r] = 1 / Math.sqrt(v / len + eps);
  }
  return { mean, invStd };
}

function needFloat(ctx: InferContext, i: number, what: string): TensorType {
  const t = ctx.inputs[i]!;
  if (!isFloat(t.dtype)) ctx.fail('LC033', [`${ctx.node.op} ${what} must be float, got ${t.dtype}`]);
  return t;
}

/** Unidirectional broadcast of a [..] parameter to `to` (ONNX: "broadcastable to the normalized shape"). */
function expandParam(p: Tensor, to: number[], what: string): Float64Array {
  const s = broadcastShapes(p.shape, to) as number[] | null;
  if (!s || !sameShape(s, to) || p.rank > to.length) {
    RAISE.fail('LC032', [`LayerNormalization: ${what} [${p.shape.join(', ')}] does not broadcast to the normalized shape [${to.join(', ')}]`]);
  }
  const out = new Float64Array(to.reduce((a, b) => a * b, 1));
  const ps = p.shape, off = to.length - ps.length;
  const strides = to.map((_, d) => { if (d < off || ps[d - off] === 1) return 0; let st = 1; for (let e = d - off + 1; e < ps.length; e++) st *= ps[e]; return st; });
  const idx = new Array<number>(to.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let o = 0;
    for (let d = 0; d < to.length; d++) o += idx[d] * strides[d];
    out[i] = p.data[o];
    for (let d = to.length - 1; d >= 0; d--) { if (++idx[d] < to[d]) break; idx[d] = 0; }
  }
  return out;
}

defineOp({
  name: 'LayerNormalization',
  onnxSince: 17,
  summary: 'normalizes over the axes from `axis` on, then Scale * y + B (Mean, InvStdDev optional outputs)',
  attrs: {
    axis: { type: 'int', default: -1 },
    epsilon: { type: 'float', default: 1e-5 },
    stash_type: { type: 'int', default: 1 },
  },
  inputs: [2, 3],
  outputs: [1, 3],
  inferType(ctx) {
    const x = needFloat(ctx, 0, 'X');
    needFloat(ctx, 1, 'Scale');
    if (ctx.inputs[2]) needFloat(ctx, 2, 'B');
    const stash = ctx.attrs.stash_type === 1 ? 'float32' : x.dtype;
    if (!x.shape) return [{ dtype: x.dtype, shape: null }, { dtype: stash, shape: null }, { dtype: stash, shape: null }].slice(0, ctx.node.outputs.length);
    const r = x.shape.length, a0 = ctx.attrs.axis as number, a = a0 < 0 ? a0 + r : a0;
    if (a < 0 || a >= r) ctx.fail('LC030', ['axis', `axis ${a0} is out of range for rank ${r}`]);
    const norm = x.shape.slice(a);
    for (const [i, what] of [[1, 'Scale'], [2, 'B']] as const) {
      const p = ctx.inputs[i];
      if (!p?.shape) continue;
      const s = broadcastShapes(p.shape, norm);
      if (p.shape.length > norm.length || !s || s.some((d, k) => typeof d === 'number' && typeof norm[k] === 'number' && d !== norm[k])) {
        ctx.fail('LC032', [`LayerNormalization: ${what} [${p.shape.join(', ')}] does not broadcast to the normalized shape [${norm.join(', ')}]`]);
      }
    }
    const stat: Dim[] = x.shape.map((d, i) => (i < a ? d : 1));
    return [{ dtype: x.dtype, shape: [...x.shape] }, { dtype: stash, shape: stat }, { dtype: stash, shape: [...stat] }].slice(0, ctx.node.outputs.length);
  },
  evalRef([x, scale, bias], ctx) {
    const r = x!.rank, a0 = ctx.attrs.axis as number, a = a0 < 0 ? a0 + r : a0;
    if (a < 0 || a >= r) RAISE.fail('LC030', ['axis', `axis ${a0} is out of range for rank ${r}`]);
    const norm = x!.shape.slice(a);
    const len = norm.reduce((p, d) => p * d, 1);
    const rows = len === 0 ? 0 : x!.size / len;
    const g = expandParam(scale!, norm, 'Scale');
    const b = bias ? expandParam(bias, norm, 'B') : new Float64Array(len);
    const { mean, invStd } = rowStats(x!.data, rows, ctx.attrs.epsilon as number);
    const y = Tensor.zeros(x!.dtype, x!.shape);
    for (let row = 0; row < rows; row++) {
      for (let i = 0; i < len; i++) {
        const k = row * len + i;
        y.data[k] = (x!.data[k] - mean[row]) * invStd[row] * g[i] + b[i];
      }
    }
    const stash = ctx.attrs.stash_type === 1 ? 'float32' : x!.dtype;
    const statShape = x!.shape.map((d, i) => (i < a ? d : 1));
    return [y, Tensor.fromArray(stash, statShape, mean), Tensor.fromArray(stash, statShape, invStd)].slice(0, ctx.node.outputs.length);
  },
});

/** Shape rule shared by Instance/GroupNormalization: X [N, C, ...], 1-D scale and bias of `perChannel` entries. */
function inferChannelNorm(ctx: InferContext, paramLen: (C: Dim) => Dim | null): TensorType[] {
  const x = needFloat(ctx, 0, 'X');
  if (x.shape && x.shape.length < 2) ctx.fail('LC032', [`${ctx.node.op}: X must have rank >= 2 (N, C, ...), got [${x.shape.join(', ')}]`]);
  const want = x.shape ? paramLen(x.shape[1]) : null;
  for (const [i, what] of [[1, 'scale'], [2, 'B']] as const) {
    const p = needFloat(ctx, i, what);
    if (!p.shape) continue;
    if (p.shape.length !== 1) ctx.fail('LC032', [`${ctx.node.op}: ${what} must be 1-D, got [${p.shape.join(', ')}]`]);
    if (typeof want === 'number' && typeof p.shape[0] === 'number' && p.shape[0] !== want) {
      ctx.fail('LC032', [`${ctx.node.op}: ${what} has ${p.shape[0]} entries, expected ${want} (channels of X, axis 1)`]);
    }
  }
  return [{ dtype: x.dtype, shape: x.shape && [...x.shape] }];
}

/** y = (x - mean[row]) * invStd[row] * scale[c] + bias[c] with rows of `rowLen` elements, channel planes of S. */
function normalizeRows(x: Tensor, rows: number, scale: Tensor, bias: Tensor, eps: number): Tensor {
  const [, C] = x.shape;
  const S = x.size / Math.max(1, x.shape[0] * C);
  const { mean, invStd } = rowStats(x.data, rows, eps);
  const len = rows === 0 ? 0 : x.size / rows;
  const y = Tensor.zeros(x.dtype, x.shape);
  for (let k = 0; k < x.size; k++) {
    const row = Math.floor(k / len), c = Math.floor(k / S) % C;
    y.data[k] = (x.data[k] - mean[row]) * invStd[row] * scale.data[c] + bias.data[c];
  }
  return y;
}

defineOp({
  name: 'InstanceNormalization',
  onnxSince: 6,
  summary: 'normalizes each (sample, channel) plane, then scale[c] * y + B[c]',
  attrs: { epsilon: { type: 'float', default: 1e-5 } },
  inputs: [3, 3],
  outputs: [1, 1],
  inferType: (ctx) => inferChannelNorm(ctx, (C) => C),
  evalRef([x, scale, bias], ctx) {
    if (x!.rank < 2) RAISE.fail('LC032', [`InstanceNormalization: X must have rank >= 2, got [${x!.shape.join(', ')}]`]);
    const [N, C] = x!.shape;
    for (const p of [scale!, bias!]) if (p.size !== C) RAISE.fail('LC032', [`InstanceNormalization: scale/B have ${p.size} entries, X has C = ${C}`]);
    return [normalizeRows(x!, N * C, scale!, bias!, ctx.attrs.epsilon as number)];
  },
});

defineOp({
  name: 'GroupNormalization',
  // 18-20: per-group scale/bias, rewritten to this opset-21 form on import (frontend/onnx-upgrade.ts).
  onnxSince: 18,
  summary: 'normalizes each group of C/num_groups channels of a sample, then scale[c] * y + bias[c] (opset 21)',
  attrs: {
    num_groups: { type: 'int', required: true },
    epsilon: { type: 'float', default: 1e-5 },
    stash_type: { type: 'int', default: 1 },
  },
  inputs: [3, 3],
  outputs: [1, 1],
  inferType(ctx) {
    const G = ctx.attrs.num_groups as number;
    const C = ctx.inputs[0]!.shape?.[1];
    if (!(Number.isInteger(G) && G >= 1)) ctx.fail('LC030', ['num_groups', `must be a positive integer, got ${G}`]);
    if (typeof C === 'number' && C % G !== 0) ctx.fail('LC032', [`GroupNormalization: C = ${C} channels do not split into num_groups = ${G} groups`]);
    return inferChannelNorm(ctx, (c) => c);
  },
  evalRef([x, scale, bias], ctx) {
    if (x!.rank < 2) RAISE.fail('LC032', [`GroupNormalization: X must have rank >= 2, got [${x!.shape.join(', ')}]`]);
    const [N, C] = x!.shape, G = ctx.attrs.num_groups as number;
    if (C % G !== 0) RAISE.fail('LC032', [`GroupNormalization: C = ${C} channels do not split into num_groups = ${G} groups`]);
    for (const p of [scale!, bias!]) if (p.size !== C) RAISE.fail('LC032', [`GroupNormalization: scale/bias have ${p.size} entries, X has C = ${C}`]);
    return [normalizeRows(x!, N * G, scale!, bias!, ctx.attrs.epsilon as number)];
  },
});
