// BatchNorm in training mode as an explicit op. `ai.layerc::BatchNormTrain` normalizes each channel (axis 1
// of [N, C] or [N, C, ...]) with the BIASED batch mean/variance and returns the updated running statistics as
// ordinary outputs, so the training step stays a pure function state -> state'. Three running-stat rules:
//   pytorch: new = (1 - m) * old + m * batch, batch variance UNBIASED (count / (count - 1)); m = 0.1
//   keras:   new = m * old + (1 - m) * batch, biased;                                          m = 0.99
//   onnx:    new = m * old + (1 - m) * batch, biased (BatchNormalization-15);                  m = 0.9
// `momentum` is always read in its convention's own meaning. Outputs 3 and 4 (batch mean, 1/sqrt(var+eps))
// are saved for the backward op `BatchNormTrainGrad`. Statistics accumulate in float64.
import { defineOp, type VjpContext } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';
import type { TensorType } from '../ir/graph.ts';

export type BnConvention = 'pytorch' | 'keras' | 'onnx';
export const BN_CONVENTIONS: readonly BnConvention[] = ['pytorch', 'keras', 'onnx'];
export const DEFAULT_MOMENTUM: Record<BnConvention, number> = { pytorch: 0.1, keras: 0.99, onnx: 0.9 };

/** [N, C, spatial...] viewed as (N, C, S). */
function dims(x: Tensor): [number, number, number] {
  const [n, c] = x.shape;
  return [n, c, x.size / (n * c)];
}

/** The weight of the OLD running value under a convention. */
export function oldWeight(convention: string, momentum: number): number {
  return convention === 'pytorch' ? 1 - momentum : momentum;
}

export function batchStats(x: Tensor): { mean: Float64Array; varBiased: Float64Array; count: number } {
  const [n, c, s] = dims(x);
  const mean = new Float64Array(c), v = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    for (let b = 0; b < n; b++) for (let i = 0, o = (b * c + ch) * s; i < s; i++) sum += x.data[o + i];
    const m = sum / (n * s);
    let sq = 0;
    for (let b = 0; b < n; b++) for (let i = 0, o = (b * c + ch) * s; i < s; i++) { const d = x.data[o + i] - m; sq += d * d; }
    mean[ch] = m;
    v[ch] = sq / (n * s);
  }
  return { mean, varBiased: v, count: n * s };
}

const channelType = (t: TensorType | null, x: TensorType): TensorType => ({ dtype: x.dtype, shape: x.shape ? [x.shape[1]] : null });

defineOp({
  name: 'BatchNormTrain',
  domain: 'ai.layerc',
  summary: 'BatchNorm with batch statistics; outputs Y, running mean/var, saved mean, saved inverse std',
  attrs: {
    epsilon: { type: 'float', default: 1e-5 },
    momentum: { type: 'float', default: 0.1 },
    convention: { type: 'string', default: 'pytorch' },
  },
  inputs: [5, 5],
  outputs: [1, 5],
  inferType(ctx) {
    const x = ctx.inputs[0]!;
    if (x.shape && x.shape.length < 2) ctx.fail('LC032', ['BatchNormTrain needs an input of rank >= 2 (channel axis 1)']);
    if (!BN_CONVENTIONS.includes(ctx.attrs.convention as BnConvention)) {
      ctx.fail('LC030', ['convention', `expected one of ${BN_CONVENTIONS.join(', ')}, got ${String(ctx.attrs.convention)}`]);
    }
    const ch = channelType(ctx.inputs[3], x);
    return [{ dtype: x.dtype, shape: x.shape }, ch, ch, ch, ch];
  },
  evalRef([x, scale, bias, rm, rv], { attrs }) {
    const [n, c, s] = dims(x!);
    const eps = attrs.epsilon as number, conv = attrs.convention as string;
    const { mean, varBiased, count } = batchStats(x!);
    const y = Tensor.zeros(x!.dtype, x!.shape);
    const invstd = varBiased.map((v) => 1 / Math.sqrt(v + eps));
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        const g = scale ? scale.data[ch] : 1, be = bias ? bias.data[ch] : 0;
        for (let i = 0, o = (b * c + ch) * s; i < s; i++) y.data[o + i] = g * (x!.data[o + i] - mean[ch]) * invstd[ch] + be;
      }
    }
    const w = oldWeight(conv, attrs.momentum as number);
    const unbias = conv === 'pytorch' && count > 1 ? count / (count - 1) : 1;
    const newMean = Tensor.zeros(rm!.dtype, [c]), newVar = Tensor.zeros(rv!.dtype, [c]);
    for (let ch = 0; ch < c; ch++) {
      newMean.data[ch] = w * rm!.data[ch] + (1 - w) * mean[ch];
      newVar.data[ch] = w * rv!.data[ch] + (1 - w) * varBiased[ch] * unbias;
    }
    return [y, newMean, newVar, Tensor.fromArray(x!.dtype, [c], mean), Tensor.fromArray(x!.dtype, [c], invstd)];
  },
  vjp(ctx: VjpContext) {
    const [x, scale, bias] = ctx.node.inputs;
    const dY = ctx.dOut[0];
    if (!dY) return [null, null, null, null, null];
    const [dx, dscale, dbias] = ctx.emit('BatchNormTrainGrad', [dY, x, scale, ctx.node.outputs[3], ctx.node.outputs[4]], {}, 3, 'ai.layerc');
    // Running statistics are state, not differentiable inputs.
    return [dx, scale ? dscale : null, bias ? dbias : null, null, null];
  },
});

// The full batch-statistics gradient (mean and variance depend on every x in the channel):
//   xhat = (x - mean) * invstd, dBias = sum dY, dScale = sum dY * xhat,
//   dX = scale * invstd / count * (count * dY - dBias - xhat * dScale).
defineOp({
  name: 'BatchNormTrainGrad',
  domain: 'ai.layerc',
  summary: 'gradient of BatchNormTrain: inputs dY, X, scale (optional), saved mean, saved inverse std; outputs dX, dScale, dBias',
  attrs: {},
  inputs: [5, 5],
  outputs: [3, 3],
  inferType(ctx) {
    const x = ctx.inputs[1]!;
    const ch = channelType(null, x);
    return [{ dtype: x.dtype, shape: x.shape }, ch, ch];
  },
  evalRef([dy, x, scale, mean, invstd]) {
    const [n, c, s] = dims(x!);
    const count = n * s;
    const dx = Tensor.zeros(x!.dtype, x!.shape), dscale = Tensor.zeros(x!.dtype, [c]), dbias = Tensor.zeros(x!.dtype, [c]);
    for (let ch = 0; ch < c; ch++) {
      const m = mean!.data[ch], is = invstd!.data[ch];
      let sb = 0, ss = 0;
      for (let b = 0; b < n; b++) {
        for (let i = 0, o = (b * c + ch) * s; i < s; i++) { sb += dy!.data[o + i]; ss += dy!.data[o + i] * (x!.data[o + i] - m) * is; }
      }
      dbias.data[ch] = sb;
      dscale.data[ch] = ss;
      const k = (scale ? scale.data[ch] : 1) * is / count;
      for (let b = 0; b < n; b++) {
        for (let i = 0, o = (b * c + ch) * s; i < s; i++) {
          const xhat = (x!.data[o + i] - m) * is;
          dx.data[o + i] = k * (count * dy!.data[o + i] - sb - xhat * ss);
        }
      }
    }
    return [dx, dscale, dbias];
  },
});
