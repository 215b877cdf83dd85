// The fused cross-entropy loss of the training graph (src/train/losses.ts appends it): the mean over the batch
// of -log softmax(logits)[label] with integer labels, and its backward op, dLogits = dLoss (softmax - onehot) / N.
// Softmax rows are computed in float64 (max-subtracted), so large logits neither overflow nor lose the label's term.
import { defineOp } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';

/** Row-wise softmax of [N, K] logits, computed in float64. */
function softmaxRows(x: Tensor): { n: number; k: number; p: Float64Array } {
  const [n, k] = x.shape;
  const p = new Float64Array(n * k);
  for (let r = 0; r < n; r++) {
    let m = -Infinity;
    for (let j = 0; j < k; j++) m = Math.max(m, x.data[r * k + j]);
    let s = 0;
    for (let j = 0; j < k; j++) s += (p[r * k + j] = Math.exp(x.data[r * k + j] - m));
    for (let j = 0; j < k; j++) p[r * k + j] /= s;
  }
  return { n, k, p };
}

defineOp({
  name: 'SoftmaxCrossEntropy',
  domain: 'ai.layerc',
  summary: 'mean over the batch of -log softmax(logits)[label]; logits [N, K], integer labels [N]',
  attrs: {},
  inputs: [2, 2],
  outputs: [1, 1],
  inferType(ctx) { return [{ dtype: ctx.inputs[0]!.dtype, shape: [] }]; },
  evalRef([x, labels]) {
    const { n, k, p } = softmaxRows(x!);
    let loss = 0;
    for (let r = 0; r < n; r++) loss -= Math.log(Math.max(p[r * k + labels!.data[r]], 1e-300));
    return [Tensor.fromArray(x!.dtype, [], [loss / n])];
  },
  vjp(c) {
    const [x, labels] = c.node.inputs;
    return [c.emit('SoftmaxCrossEntropyGrad', [x, labels, c.dOut[0]], {}, 1, 'ai.layerc')[0], null];
  },
});

defineOp({
  name: 'SoftmaxCrossEntropyGrad',
  domain: 'ai.layerc',
  summary: 'dLogits = dLoss * (softmax(logits) - onehot(labels)) / N',
  attrs: {},
  inputs: [3, 3],
  outputs: [1, 1],
  inferType(ctx) { return [ctx.inputs[0]!]; },
  evalRef([x, labels, dl]) {
    const { n, k, p } = softmaxRows(x!);
    const out = Tensor.zeros(x!.dtype, x!.shape);
    const s = dl!.data[0] / n;
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < k; j++) out.data[r * k + j] = s * (p[r * k + j] - (j === labels!.data[r] ? 1 : 0));
    }
    return [out];
  },
});
