// Type and shape inference over a whole graph: each node's op rule, in topological order. Constant
// inputs are visible to the rules (Reshape's target shape, Slice's starts), so exporter-style shape
// arithmetic resolves to static shapes once constants are folded.
import type { Dim, Graph, Node, TensorType, Value } from './graph.ts';
import type { Tensor } from './tensor.ts';
import { findOp, getOp, resolveAttrs, type InferContext } from './registry.ts';
import { LayercError, lcError } from '../diagnostics.ts';
import { currentLimits, exceed } from '../limits.ts';

export function inferNode(graph: Graph, node: Node): TensorType[] {
  const def = getOp(node);
  const ctxErr = { node: node.name, op: node.op, span: node.span, file: graph.source };
  const n = node.inputs.length;
  if (n < def.inputs[0] || n > def.inputs[1]) {
    throw lcError('LC031', [`${node.op} takes ${range(def.inputs)} inputs, got ${n}`], ctxErr);
  }
  if (node.outputs.length < def.outputs[0] || node.outputs.length > def.outputs[1]) {
    throw lcError('LC031', [`${node.op} has ${range(def.outputs)} outputs, got ${node.outputs.length}`], ctxErr);
  }
  let fresh = 0;
  const ctx: InferContext = {
    node,
    graph,
    attrs: resolveAttrs(node, def),
    inputs: node.inputs.map((v) => (v ? v.type : null)),
    constInput: (i) => knownValue(node.inputs[i] ?? null),
    freshDim: (hint) => {
      // A rule makes one fresh dim per unknown output dim, so more than rank x outputs means a rank taken from
      // hostile data (Reshape to a shape input of length 2^28): stop before building it (robustness fuzz).
      if (fresh >= 32 && fresh >= currentLimits().maxRank * Math.max(4, node.outputs.length)) exceed(`${node.op} output of rank > ${fresh}`, 'maxRank', currentLimits());
      return `${hint}_${node.name}_${fresh++}`;
    },
    fail: (code, args) => { throw lcError(code, args, ctxErr); },
  };
  try {
    return def.inferType(ctx);
  } catch (e) {
    if (e instanceof LayercError) throw e.within(ctxErr);
    throw e;
  }
}

/** The value of an input when it is known at compile time: a constant, or what its producer's types decide. */
function knownValue(v: Value | null): Tensor | null {
  if (!v) return null;
  if (v.const) return v.const;
  const p = v.producer;
  const def = p && findOp(p.op, p.domain);
  return def?.valueFromTypes?.(p!.inputs.map((i) => i?.type ?? null), resolveAttrs(p!, def)) ?? null;
}

/** Infers every node's output types in place. */
export function inferShapes(graph: Graph): Graph {
  for (const node of graph.nodes) {
    const types = inferNode(graph, node);
    node.outputs.forEach((o, i) => {
      if (types[i]) o.type = types[i];
    });
  }
  return graph;
}

function range([a, b]: [number, number]): string {
  return a === b ? `${a}` : b === Infinity ? `at least ${a}` : `${a} to ${b}`;
}

export function shapeToString(shape: Dim[] | null): string {
  return shape ? `[${shape.join(', ')}]` : '[?]';
}
