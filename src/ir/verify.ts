// Graph invariants, checked after every pass in tests (tinygrad's spec / torch.fx's lint): names, use
// lists, topological order, and types. Every node's output types must be what its op's rule gives for its
// input types (a fresh inference, node by node): a pass that writes a wrong dtype or shape, or forgets to
// re-infer what its rewrite made more precise, fails here instead of being silently corrected.
import type { Dim, Graph, TensorType } from './graph.ts';
import { lcError } from '../diagnostics.ts';
import { findOp } from './registry.ts';
import { inferNode } from './infer.ts';

const showType = (t: TensorType | undefined) => (t ? `${t.dtype}${t.shape ? `[${t.shape.join(', ')}]` : '[?]'}` : 'none');
const sameDims = (a: readonly Dim[] | null, b: readonly Dim[] | null) => (a === null || b === null ? a === b : a.length === b.length && a.every((d, i) => d === b[i]));

/** `types: false` skips the type check (the structure only), for a graph whose types were verified and not changed since. */
export function verify(graph: Graph, o: { types?: boolean } = {}): void {
  const fail = (msg: string, node?: { name: string; op: string }) =>
    { throw lcError('LC034', [msg], { node: node?.name, op: node?.op, file: graph.source }); };
  const defined = new Set<unknown>([...graph.inputs, ...graph.initializers]);
  const names = new Set<string>();
  for (const v of [...graph.inputs, ...graph.initializers]) {
    if (names.has(v.name)) fail(`value name '${v.name}' is defined twice`);
    names.add(v.name);
    if (graph.value(v.name) !== v) fail(`value '${v.name}' is not registered under its name`);
  }
  for (const v of graph.initializers) if (!v.const) fail(`initializer '${v.name}' has no tensor`);
  const nodeNames = new Set<string>();
  const inGraph = new Set(graph.nodes); // membership by Set: verify runs after every pass, so it must stay linear
  for (const node of graph.nodes) {
    if (nodeNames.has(node.name)) fail(`node name '${node.name}' is used twice`, node);
    nodeNames.add(node.name);
    if (!findOp(node.op, node.domain)) fail(`unknown op ${node.domain ? node.domain + '::' : ''}${node.op}`, node);
    for (const v of node.inputs) {
      if (!v) continue;
      if (!defined.has(v)) fail(`input '${v.name}' is used before it is defined (topological order)`, node);
      if (!v.users.includes(node)) fail(`use list of '${v.name}' misses node '${node.name}'`, node);
    }
    for (const o of node.outputs) {
      if (o.producer !== node) fail(`output '${o.name}' does not point back to its producer`, node);
      if (names.has(o.name)) fail(`value name '${o.name}' is defined twice`, node);
      if (graph.value(o.name) !== o) fail(`value '${o.name}' is not registered under its name`, node);
      names.add(o.name);
      defined.add(o);
      for (const u of o.users) if (!u.inputs.includes(o)) fail(`'${o.name}' lists user '${u.name}' that does not use it`, node);
      for (const u of o.users) if (!inGraph.has(u)) fail(`'${o.name}' lists user '${u.name}' that is not in the graph`, node);
    }
  }
  for (const o of graph.outputs) if (!defined.has(o)) fail(`graph output '${o.name}' is not defined`);
  // Types, against a fresh inference from each node's (already checked) input types.
  for (const node of o.types === false ? [] : graph.nodes) {
    const fresh = inferNode(graph, node);
    node.outputs.forEach((o, i) => {
      const t = fresh[i];
      if (t && (t.dtype !== o.type.dtype || !sameDims(t.shape, o.type.shape))) {
        fail(`output '${o.name}' is typed ${showType(o.type)} but ${node.op} gives ${showType(t)}`, node);
      }
    });
  }
  // Use lists of graph inputs and initializers (node outputs are checked above, at their producer).
  for (const v of [...graph.inputs, ...graph.initializers]) {
    for (const u of v.users) {
      if (!u.inputs.includes(v)) fail(`'${v.name}' lists user '${u.name}' that does not use it`);
      if (!inGraph.has(u)) fail(`'${v.name}' lists user '${u.name}' that is not in the graph`);
    }
  }
}
