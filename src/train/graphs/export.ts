// The graphs `layerc export` writes, from a model and (optionally) a checkpoint:
//   inference: the model with the trained state; BN on running statistics (folded by the optimizer unless
//     --no-fold);
//   training: standard ONNX only — each BatchNormalization gets training_mode=1 and its two running-stat
//     outputs (BatchNormalization-15 semantics, momentum = weight of the old value) become graph outputs
//     named `<running stat>_new`, so any ONNX runtime computes one training-mode forward with the stat updates.
import type { Graph } from '../../ir/graph.ts';
import { buildInferenceGraph } from '../../../passes/split-train-infer.ts';
import { applyState } from '../loop/fit.ts';
import { loadCheckpoint } from '../../io/safetensors.ts';
import { loadTrainableModel } from './load-model.ts';
import { lcError } from '../../diagnostics.ts';

/** The model, with a checkpoint's state applied when `path` is a .safetensors file (model from --model or metadata). */
export function modelWithState(path: string, modelPath?: string, seed = 0): Graph {
  if (!path.endsWith('.safetensors')) return buildInferenceGraph(loadTrainableModel(path, seed));
  const ck = loadCheckpoint(path);
  const mp = modelPath ?? ck.metadata.model;
  if (!mp) throw lcError('LC070', [path, 'it does not name its model; pass --model MODEL']);
  const g = buildInferenceGraph(loadTrainableModel(mp));
  const names = new Set(g.initializers.map((v) => v.name));
  const missing = [...ck.tensors.keys()].filter((n) => !names.has(n) && !/(momentum_buffer|exp_avg|exp_avg_sq|step)$/.test(n));
  if (missing.length) throw lcError('LC070', [path, `no initializer named ${missing.slice(0, 3).join(', ')} in ${mp}`]);
  applyState(g, ck.tensors);
  return g;
}

export function trainingModeGraph(g: Graph): Graph {
  for (const node of g.nodes.filter((n) => n.op === 'BatchNormalization' && !n.domain)) {
    const [, , , mean, vr] = node.inputs;
    const bn = g.addNode('BatchNormalization', node.inputs, { ...node.attrs, training_mode: 1 },
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
