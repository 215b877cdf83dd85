// Training data that cannot work with the loss is refused before the first step (LC068), naming what is wrong,
// instead of surfacing later as "training diverged at step 1: loss is NaN". Cross-entropy reads labels as
// class indices: they must be integers (an int .npy or IDX labels) in [0, K) for a model with K outputs.
import type { Graph } from '../../ir/graph.ts';
import { isFloat } from '../../ir/dtype.ts';
import { lcError } from '../../diagnostics.ts';
import type { LossKind } from '../losses.ts';
import type { Split } from './data.ts';

export function checkLabels(model: Graph, split: Split, loss: LossKind, source: string): void {
  if (loss !== 'cross-entropy') return;
  const y = split.y;
  if (isFloat(y.dtype) || y.dtype === 'bool') {
    const sample = Array.from(y.data.subarray(0, 3) as ArrayLike<number>, (v) => Number(v.toPrecision(4))).join(', ');
    throw lcError('LC068', [source, `cross-entropy needs integer class labels (an int64/int32/uint8 .npy), y is ${y.dtype} (${sample}${y.size > 3 ? ', ...' : ''}); for real-valued targets use --loss mse`]);
  }
  if (y.shape.length !== 1) throw lcError('LC068', [source, `cross-entropy needs one class label per row (y of shape [N]), y has shape [${y.shape.join(', ')}]`]);
  const k = model.outputs[0]?.type.shape?.at(-1);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < y.size; i++) { const v = Number(y.data[i]); if (v < lo) lo = v; if (v > hi) hi = v; }
  if (lo < 0 || (typeof k === 'number' && hi >= k)) {
    throw lcError('LC068', [source, `cross-entropy labels must lie in [0, ${typeof k === 'number' ? k : 'K'}) (one per model output), y holds ${lo}..${hi}`]);
  }
}
