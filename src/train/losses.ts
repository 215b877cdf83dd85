// Losses appended to a model output. MSE is mean((y - t)^2) over all elements (PyTorch MSELoss 'mean');
// cross-entropy is the mean over the batch of -log softmax(logits)[label] with integer labels, one fused
// op (`ai.layerc::SoftmaxCrossEntropy`) whose gradient is (softmax - onehot) / N.
import type { Graph, Value } from '../ir/graph.ts';
import { defineOp } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';
import { lcError } from '../diagnostics.ts';

export type LossKind = 'mse' | 'cross-entropy';
export const LOSSES: readonly LossKind[] = ['mse', 'cross-entropy'];

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

/** Adds the `labels` input and the scalar loss of `output`. */
export function addLoss(graph: Graph, output: Value, kind: LossKind): { labels: Value; loss: Value } {
  const shape = output.type.shape;
  if (!shape) throw lcError('LC069', [`the shape of output '${output.name}' is unknown`]);
  if (kind === 'cross-entropy') {
    if (shape.length !== 2) throw lcError('LC069', [`cross-entropy needs [N, classes] logits, '${output.name}' is [${shape.join(', ')}]`]);
    const labels = graph.addInput('labels', { dtype: 'int64', shape: [shape[0]] });
    const loss = graph.addNode('SoftmaxCrossEntropy', [output, labels], {}, { domain: 'ai.layerc', name: 'loss', outputNames: ['loss'] }).outputs[0];
    loss.type = { dtype: output.type.dtype, shape: [] };
    return { labels, loss };
  }
  const labels = graph.addInput('labels', { dtype: output.type.dtype, shape: [...shape] });
  const diff = graph.addNode('Sub', [output, labels], {}, { name: 'loss_diff' }).outputs[0];
  const sq = graph.addNode('Mul', [diff, diff], {}, { name: 'loss_sq' }).outputs[0];
  const loss = graph.addNode('ReduceMean', [sq], { keepdims: 0 }, { name: 'loss', outputNames: ['loss'] }).outputs[0];
  return { labels, loss };
}
