// `layerc viz MODEL --feature-maps -o maps.png [--checkpoint CK] [--image K | --input X.npy]`: the activations
// of the first 4-D layers (conv, BN, activation, pool outputs) for one input, as the PNG grid of feature-maps.ts.
// The input is test image K of Fashion-MNIST (system package, else the bundled subset) unless --input is given;
// the weights are the checkpoint's when one is given (the model is then optional: its metadata names it).
import type { Graph } from '../../ir/graph.ts';
import type { Tensor } from '../../ir/tensor.ts';
import { writeFileAtomic } from '../../io/atomic.ts';
import { buildInferenceGraph } from '../../../passes/split-train-infer.ts';
import { featureMapGrid } from './feature-maps.ts';
import { modelWithState } from '../../train/graphs/export.ts';
import { loadTrainableModel } from '../../train/graphs/load-model.ts';
import { gatherRows, loadFashionMnistTest, readNpyFile } from '../../train/loop/data.ts';
import { lcError } from '../../diagnostics.ts';

export interface FeatureMapCommand { output: string; checkpoint?: string; image?: string; input?: string; force?: boolean }

export function writeFeatureMaps(model: string, o: FeatureMapCommand): string[] {
  if (!o.output.toLowerCase().endsWith('.png')) throw lcError('LC006', [o.output, '--feature-maps writes a .png']);
  const g: Graph = o.checkpoint ? modelWithState(o.checkpoint, model) : buildInferenceGraph(loadTrainableModel(model));
  let x: Tensor;
  if (o.input) x = readNpyFile(o.input);
  else {
    const test = loadFashionMnistTest();
    const k = Number(o.image ?? 0);
    if (!Number.isInteger(k) || k < 0 || k >= test.x.shape[0]) throw lcError('LC002', [`--image must be an index below ${test.x.shape[0]}, got '${o.image}'`]);
    x = gatherRows(test.x, [k]);
  }
  const { png, rows } = featureMapGrid(g, x);
  writeFileAtomic(o.output, png, { force: o.force, inputs: [model, o.checkpoint, o.input].filter((p): p is string => !!p) });
  return rows;
}
