// BatchNormalization in its opset-15 form: inputs X [N, C, ...], scale, B, input_mean, input_var (each [C]);
// attributes epsilon, momentum, training_mode. Channel axis 1 for any rank >= 2.
//   inference (training_mode=0): Y = scale * (X - input_mean) / sqrt(input_var + epsilon) + B
//   training  (training_mode=1): the same with the batch mean and the biased (population) batch variance
//     over every axis but 1; optional outputs
//       running_mean = input_mean * momentum + batch_mean * (1 - momentum)
//       running_var  = input_var  * momentum + batch_var  * (1 - momentum)
// (The ONNX rule: momentum weighs the OLD value and the variance is biased, unlike PyTorch's.)
// Statistics and the normalization run in float64; results are rounded to the output type once.
import type { Dim } from '../ir/graph.ts';
import { defineOp } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';
import { isFloat } from '../ir/dtype.ts';
import { RAISE } from './dims.ts';

/**
 * BatchNormalization's per-channel closed form y = a[c] * x + b[c] with
 * a = scale / sqrt(var + epsilon) and b = B - mean * a (float64; inference mode, or any fixed statistics).
 */
export function batchNormAffine(scale: ArrayLike<number>, bias: ArrayLike<number>, mean: ArrayLike<number>,
  variance: ArrayLike<number>, epsilon: number): { a: Float64Array; b: Float64Array } {
  const C = scale.length;
  const a = new Float64Array(C), b = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    a[c] = scale[c] / Math.sqrt(variance[c] + epsilon);
    b[c] = bias[c] - mean[c] * a[c];
  }
  return { a, b };
}

/** y[n, c, ...] = a[c] * x[n, c, ...] + b[c] for an input of rank >= 2 (channel axis 1). */
export function applyChannelAffine(x: Tensor, a: ArrayLike<number>, b: ArrayLike<number>): Tensor {
  const [N, C] = x.shape;
  const S = x.size / Math.max(1, N * C);
  const y = Tensor.zeros(x.dtype, x.shape);
  for (let nc = 0; nc < N * C; nc++) {
    const c = nc % C, ac = a[c], bc = b[c];
    for (let i = nc * S; i < (nc + 1) * S; i++) y.data[i] = ac * x.data[i] + bc;
  }
  return y;
}

/** Per-channel mean and biased variance over every axis but 1 (float64, two passes). */
export function channelStats(x: Tensor): { mean: Float64Array; variance: Float64Array } {
  const [N, C] = x.shape;
  const S = x.size / Math.max(1, N * C);
  const mean = new Float64Array(C), variance = new Float64Array(C);
  const count = N * S;
  for (let nc = 0; nc < N * C; nc++) for (let i = nc * S; i < (nc + 1) * S; i++) mean[nc % C] += x.data[i];
  for (let c = 0; c < C; c++) mean[c] /= count;
  for (let nc = 0; nc < N * C; nc++) {
    const m = mean[nc % C];
    for (let i = nc * S; i < (nc + 1) * S; i++) { const d = x.data[i] - m; variance[nc % C] += d * d; }
  }
  for (let c = 0; c < C; c++) variance[c] /= count;
  return { mean, variance };
}

const PARAM_NAMES = ['scale', 'B', 'input_mean', 'input_var'];

defineOp({
  name: 'BatchNormalization',
  traits: { inPlace: [0] },
  onnxSince: 7,
  summary: 'per-channel normalization with running statistics (inference) or batch statistics (training_mode=1)',
  attrs: {
    epsilon: { type: 'float', default: 1e-5 },
    momentum: { type: 'float', default: 0.9 },
    training_mode: { type: 'int', default: 0 },
  },
  inputs: [5, 5],
  outputs: [1, 3],
  inferType(ctx) {
    const x = ctx.inputs[0]!;
    if (!isFloat(x.dtype)) ctx.fail('LC033', [`BatchNormalization needs float input, got ${x.dtype}`]);
    if (ctx.node.outputs.length > 1 && !ctx.attrs.training_mode) {
      ctx.fail('LC031', ['BatchNormalization has running_mean/running_var outputs only with training_mode=1']);
    }
    if (x.shape && x.shape.length < 2) ctx.fail('LC032', [`BatchNormalization: X must have rank >= 2 (N, C, ...), got [${x.shape.join(', ')}]`]);
    const C: Dim | undefined = x.shape?.[1];
    PARAM_NAMES.forEach((name, i) => {
      const t = ctx.inputs[i + 1]!;
      if (!isFloat(t.dtype)) ctx.fail('LC033', [`BatchNormalization ${name} must be float, got ${t.dtype}`]);
      if (!t.shape) return;
      if (t.shape.length !== 1) ctx.fail('LC032', [`BatchNormalization: ${name} must be 1-D [C], got [${t.shape.join(', ')}]`]);
      if (typeof t.shape[0] === 'number' && typeof C === 'number' && t.shape[0] !== C) {
        ctx.fail('LC032', [`BatchNormalization: ${name} has ${t.shape[0]} entries, X has C = ${C} channels (axis 1)`]);
      }
    });
    const stat = { dtype: ctx.inputs[3]!.dtype, shape: C === undefined ? null : [C] };
    return [{ dtype: x.dtype, shape: x.shape ? [...x.shape] : null }, stat, { ...stat, dtype: ctx.inputs[4]!.dtype }].slice(0, ctx.node.outputs.length);
  },
  evalRef([x, scale, bias, mean, vr], ctx) {
    if (x!.rank < 2) RAISE.fail('LC032', [`BatchNormalization: X must have rank >= 2, got [${x!.shape.join(', ')}]`]);
    const C = x!.shape[1];
    [scale, bias, mean, vr].forEach((t, i) => {
      if (t!.size !== C) RAISE.fail('LC032', [`BatchNormalization: ${PARAM_NAMES[i]} has ${t!.size} entries, X has C = ${C} channels (axis 1)`]);
    });
    const eps = ctx.attrs.epsilon as number;
    if (!ctx.attrs.training_mode) {
      return [normalize(x!, scale!.data, bias!.data, mean!.data, vr!.data, eps)];
    }
    const batch = channelStats(x!);
    const y = normalize(x!, scale!.data, bias!.data, batch.mean, batch.variance, eps);
    const m = ctx.attrs.momentum as number;
    const runMean = Tensor.zeros(mean!.dtype, [C]), runVar = Tensor.zeros(vr!.dtype, [C]);
    for (let c = 0; c < C; c++) {
      runMean.data[c] = mean!.data[c] * m + batch.mean[c] * (1 - m);
      runVar.data[c] = vr!.data[c] * m + batch.variance[c] * (1 - m);
    }
    return [y, runMean, runVar].slice(0, ctx.node.outputs.length);
  },
});

/** The spec's formula, term by term, in float64. */
function normalize(x: Tensor, scale: ArrayLike<number>, bias: ArrayLike<number>, mean: ArrayLike<number>, variance: ArrayLike<number>, eps: number): Tensor {
  const [N, C] = x.shape;
  const S = x.size / Math.max(1, N * C);
  const y = Tensor.zeros(x.dtype, x.shape);
  for (let nc = 0; nc < N * C; nc++) {
    const c = nc % C;
    const m = mean[c], inv = 1 / Math.sqrt(variance[c] + eps), g = scale[c], b = bias[c];
    for (let i = nc * S; i < (nc + 1) * S; i++) y.data[i] = g * ((x.data[i] - m) * inv) + b;
  }
  return y;
}
