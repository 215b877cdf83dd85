// Losses appended to a model output. MSE is mean((y - t)^2) over all elements (PyTorch MSELoss 'mean');
// cross-entropy is the mean over the batch of -log softmax(logits)[label] with integer labels, one fused
// op (`ai.layerc::SoftmaxCrossEntropy`, src/ops/softmax-cross-entropy.ts) whose gradient is (softmax - onehot) / N.
import type { Graph, Value } from '../ir/graph.ts';
import { lcError } from '../diagnostics.ts';
import '../ops/index.ts';

export type LossKind = 'mse' | 'cross-entropy';
export const LOSSES: readonly LossKind[] = ['mse', 'cross-entropy'];

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
