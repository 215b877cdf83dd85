// Loading trained weights by name into a model: every state entry of the graph (parameters and BatchNorm
// running statistics, see src/train/state.ts) takes the tensor of the same name, after a shape check, or the
// load fails with LC071 listing what is missing and what in the file went unused (src/train/state-match.ts).
// An ONNX weights file contributes its initializers AND their Identity aliases: PyTorch's exporter writes a
// running_var equal to gamma as `running_var = Identity(gamma)`. Running statistics of the target model that
// are such aliases get their own initializer first, so the trained values land in them and not in gamma.
import type { Graph } from '../../ir/graph.ts';
import type { Tensor } from '../../ir/tensor.ts';
import { isFloat } from '../../ir/dtype.ts';
import { lcError } from '../../diagnostics.ts';
import { aliasOf, guessKind, modelManifest, ownRunningStats, TRAINING_ONLY } from '../../train/state.ts';
import { matchState } from '../../train/state-match.ts';

export type WeightSource = Map<string, Tensor> | Graph;

export interface WeightOptions {
  /** A PyTorch module path such as "net": layer k's `.weight` is read as `<sequential>.<k>.weight`. */
  sequential?: string;
  /** Proceed when state is missing or the file has tensors the model does not use (warns what). */
  allowPartial?: boolean;
}

/** The named state tensors of an ONNX model: float initializers of rank >= 1, and Identity outputs of them. */
export function onnxStateTensors(g: Graph): Map<string, Tensor> {
  const map = new Map<string, Tensor>();
  const isState = (t: Tensor | null): t is Tensor => !!t && isFloat(t.dtype) && t.rank > 0;
  for (const v of g.initializers) if (isState(v.const)) map.set(v.name, v.const);
  for (const n of g.nodes) {
    if (n.op !== 'Identity' || n.domain) continue;
    const t = aliasOf(n.outputs[0]);
    if (isState(t)) map.set(n.outputs[0].name, t);
  }
  return map;
}

/**
 * Loads weights by state name. With `sequential`, the graph's k-th node (= the k-th DSL layer, each layer being
 * one node) reads `<sequential>.<k>.<suffix>`: the names `torch.onnx.export` gives an `nn.Sequential` in which
 * every layer, activations included, is one entry. Returns the number of tensors loaded.
 */
export function loadWeights(graph: Graph, source: WeightSource, file: string, opts: WeightOptions = {}): number {
  const tensors = source instanceof Map ? source : onnxStateTensors(source);
  ownRunningStats(graph);
  const alias = new Map<string, string>();
  if (opts.sequential !== undefined) {
    graph.nodes.forEach((n, k) => {
      for (const v of n.inputs) if (v?.const && v.name.startsWith(`${n.name}.`)) alias.set(v.name, `${opts.sequential}.${k}${v.name.slice(n.name.length)}`);
    });
  }
  const { found } = matchState(modelManifest(graph).entries, tensors, {
    file, model: graph.source ?? graph.name, allowPartial: opts.allowPartial,
    rename: alias.size ? (n) => alias.get(n) ?? n : undefined,
    // Training-only state (optimizer slots, step and RNG counters, num_batches_tracked) has no place in a model.
    ignorable: (n) => TRAINING_ONLY.has(guessKind(n)),
  });
  for (const [name, t] of found) {
    const v = graph.value(name)!;
    const want = v.const!.shape;
    if (want.length !== t.shape.length || want.some((d, i) => d !== t.shape[i])) {
      throw lcError('LC051', [`'${name}'`, `shape [${t.shape.join(', ')}] in the weights does not match the model's [${want.join(', ')}]`], { file });
    }
    if (t.dtype !== 'float32') throw lcError('LC051', [`'${name}'`, `dtype ${t.dtype} in the weights, expected float32`], { file });
    graph.setConst(v, t.clone());
  }
  return found.size;
}
