// Loading trained weights by name: every initializer of the compiled graph whose name appears in the
// given map (or Graph's initializers) takes that tensor, after a shape check.
import type { Graph } from '../../ir/graph.ts';
import type { Tensor } from '../../ir/tensor.ts';
import { lcError } from '../../diagnostics.ts';

export type WeightSource = Map<string, Tensor> | Graph;

/**
 * Loads weights by initializer name. With `sequential` (a PyTorch module path such as "net"), the graph's
 * k-th node (= the k-th DSL layer, each layer being one node) reads `<sequential>.<k>.<suffix>`: the names
 * `torch.onnx.export` gives an `nn.Sequential` in which every layer, activations included, is one entry.
 */
export function loadWeights(graph: Graph, source: WeightSource, file: string, sequential?: string): number {
  const map = source instanceof Map ? source : new Map(source.initializers.filter((v) => v.const).map((v) => [v.name, v.const!] as const));
  const alias = new Map<string, string>();
  if (sequential !== undefined) {
    graph.nodes.forEach((n, k) => {
      for (const v of n.inputs) if (v?.const && v.name.startsWith(`${n.name}.`)) alias.set(v.name, `${sequential}.${k}${v.name.slice(n.name.length)}`);
    });
  }
  let loaded = 0;
  for (const v of graph.initializers) {
    const t = map.get(alias.get(v.name) ?? v.name);
    if (!t) continue;
    const want = v.const!.shape;
    if (want.length !== t.shape.length || want.some((d, i) => d !== t.shape[i])) {
      throw lcError('LC051', [`'${v.name}'`, `shape [${t.shape.join(', ')}] in the weights does not match the model's [${want.join(', ')}]`], { file });
    }
    const f32 = t.dtype === 'float32' ? t.clone() : null;
    if (!f32) throw lcError('LC051', [`'${v.name}'`, `dtype ${t.dtype} in the weights, expected float32`], { file });
    graph.setConst(v, f32);
    loaded++;
  }
  return loaded;
}
