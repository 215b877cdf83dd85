// The graphs `layerc export` writes, from a model and (optionally) a checkpoint:
//   inference: the model with the trained state; BN on running statistics (folded by the optimizer unless
//     --no-fold);
//   training: standard ONNX only — each BatchNormalization gets training_mode=1 and its two running-stat
//     outputs (BatchNormalization-15 semantics, momentum = weight of the old value) become graph outputs
//     named `<running stat>_new`, so any ONNX runtime computes one training-mode forward with the stat updates.
//     Its `momentum` is the one the layer trains with under the convention in force (keras 0.99 -> 0.99,
//     pytorch 0.1 -> 0.9; ONNX has no unbiased-variance rule, so PyTorch's running_var differs by n/(n-1)).
// A checkpoint's state is matched against the model's (src/train/state-match.ts): all of it, or LC071.
import type { Graph } from '../../ir/graph.ts';
import { buildInferenceGraph } from '../../../passes/split-train-infer.ts';
import { applyState } from '../loop/fit.ts';
import { loadCheckpoint } from '../../io/safetensors.ts';
import { loadTrainableModel } from './load-model.ts';
import { lcError } from '../../diagnostics.ts';
import type { BnConvention } from '../../ops/batchnorm-train.ts';
import { bnSetting, guessKind, isBn, manifestFromMetadata, modelManifest, TRAINING_ONLY } from '../state.ts';
import { matchState } from '../state-match.ts';
import { fileKind } from '../../io/sniff.ts';

/**
 * The model, with a checkpoint's state applied when `path` holds a safetensors checkpoint (by content, any name) (model from --model or
 * metadata): every parameter and running statistic must be in the checkpoint (LC071 unless allowPartial).
 */
export function modelWithState(path: string, modelPath?: string, seed = 0, allowPartial = false): Graph {
  if (fileKind(path) !== 'safetensors') return buildInferenceGraph(loadTrainableModel(path, seed));
  const ck = loadCheckpoint(path);
  const mp = modelPath ?? ck.metadata.model;
  if (!mp) throw lcError('LC070', [path, 'it does not name its model; pass --model MODEL']);
  const g = buildInferenceGraph(loadTrainableModel(mp, Number(ck.metadata.seed ?? seed)));
  const kinds = new Map(manifestFromMetadata(ck.metadata)?.entries.map((e) => [e.name, e.kind]));
  const { found } = matchState(modelManifest(g).entries, ck.tensors, {
    file: path, model: mp, allowPartial, ignorable: (n) => TRAINING_ONLY.has(kinds.get(n) ?? guessKind(n)),
  });
  for (const [name, t] of found) {
    const want = g.value(name)!.const!.shape;
    if (want.join() !== t.shape.join()) throw lcError('LC070', [path, `'${name}' has shape [${t.shape}], ${mp} expects [${want}]`]);
  }
  applyState(g, found);
  return g;
}

/** The training-mode graph: BN on batch statistics, running-stat updates as outputs, momentum of `convention`. */
export function trainingModeGraph(g: Graph, convention: BnConvention = 'pytorch'): Graph {
  g.name = `${g.name.replace(/_inference$/, '')}_training`;
  for (const node of g.nodes.filter(isBn)) {
    const [, , , mean, vr] = node.inputs;
    const momentum = bnSetting(node, convention).onnxMomentum;
    const bn = g.addNode('BatchNormalization', node.inputs, { ...node.attrs, momentum, training_mode: 1 },
      { name: `${node.name}_training`, outputNames: [`${node.outputs[0].name}__training`, g.uniqueName(`${mean!.name}_new`), g.uniqueName(`${vr!.name}_new`)] }, node);
    bn.outputs[0].type = { ...node.outputs[0].type };
    bn.outputs[1].type = { ...mean!.type };
    bn.outputs[2].type = { ...vr!.type };
    g.replaceAllUses(node.outputs[0], bn.outputs[0]);
    g.removeNode(node);
    g.outputs.push(bn.outputs[1], bn.outputs[2]);
  }
  return g;
}
