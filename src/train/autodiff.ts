// Reverse-mode automatic differentiation over the IR. Walks the nodes that lie between the parameters and the
// loss in reverse topological order; each op's `vjp` (registry) emits the backward nodes for its inputs, and
// contributions to a value used several times are summed with Add. The backward nodes are appended to the
// same graph, so forward values (activations, saved BN statistics) are reused, never recomputed.
import type { AttrValue, Graph, Node, Value } from '../ir/graph.ts';
import { getOp, resolveAttrs, type VjpContext } from '../ir/registry.ts';
import { inferNode } from '../ir/infer.ts';
import { Tensor } from '../ir/tensor.ts';
import { lcError } from '../diagnostics.ts';
import '../ops/index.ts';

/** Emits a node after the current end of the graph and infers its types at once (vjp rules read shapes). */
export function emitNode(graph: Graph, op: string, inputs: (Value | null)[], attrs: Record<string, AttrValue> = {}, numOutputs = 1, domain = ''): Value[] {
  const node = graph.addNode(op, inputs, attrs, { domain, numOutputs, name: `grad_${op.toLowerCase()}` });
  const types = inferNode(graph, node);
  node.outputs.forEach((o, i) => { if (types[i]) o.type = types[i]; });
  return node.outputs;
}

/** Gradients of the scalar `loss` with respect to each of `wrt` (null where the loss does not depend on it). */
export function backward(graph: Graph, loss: Value, wrt: Value[]): Map<Value, Value | null> {
  const reach = dependsOn(graph, wrt);
  const contributions = new Map<Value, Value[]>();
  const seed = graph.addConst(`${loss.name}_grad_seed`, Tensor.fromArray(loss.type.dtype, [], [1]));
  contributions.set(loss, [seed]);
  const total = (v: Value): Value | null => {
    const parts = contributions.get(v);
    if (!parts?.length) return null;
    let sum = parts[0];
    for (let i = 1; i < parts.length; i++) sum = emitNode(graph, 'Add', [sum, parts[i]])[0];
    contributions.set(v, [sum]);
    return sum;
  };
  const forward = graph.nodes.slice(0, graph.indexOf(loss.producer!) + 1);
  for (let k = forward.length - 1; k >= 0; k--) {
    const node = forward[k];
    if (!node.outputs.some((o) => reach.has(o))) continue;
    const dOut = node.outputs.map(total);
    if (dOut.every((d) => d === null)) continue;
    const grads = vjpOf(graph, node, dOut);
    node.inputs.forEach((v, i) => {
      if (!v || !grads[i] || !reach.has(v)) return;
      const list = contributions.get(v) ?? [];
      list.push(grads[i]!);
      contributions.set(v, list);
    });
  }
  return new Map(wrt.map((v) => [v, total(v)]));
}

function vjpOf(graph: Graph, node: Node, dOut: (Value | null)[]): (Value | null)[] {
  const def = getOp(node);
  const where = { node: node.name, op: node.op, file: graph.source };
  if (!def.vjp) throw lcError('LC066', [node.op, 'no gradient rule is registered'], where);
  const ctx: VjpContext = {
    node, graph, dOut, attrs: resolveAttrs(node, def),
    emit: (op, inputs, attrs, n, domain) => emitNode(graph, op, inputs, attrs, n, domain),
  };
  const grads = def.vjp(ctx);
  if (grads.length !== node.inputs.length) {
    throw lcError('LC066', [node.op, `vjp returned ${grads.length} gradients for ${node.inputs.length} inputs`], where);
  }
  return grads;
}

/** Values that depend on any of `wrt` (forward reachability). */
function dependsOn(graph: Graph, wrt: Value[]): Set<Value> {
  const reach = new Set<Value>(wrt);
  for (const node of graph.nodes) {
    if (node.inputs.some((v) => v && reach.has(v))) for (const o of node.outputs) reach.add(o);
  }
  return reach;
}
