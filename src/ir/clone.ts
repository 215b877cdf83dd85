// A deep copy of a graph's structure (tensors are shared: constants are immutable, the trainer replaces them
// with setConst rather than writing into them), so one model yields independent training and inference graphs.
import { Graph, type Value } from './graph.ts';

export function cloneGraph(src: Graph, name = src.name): Graph {
  const g = new Graph(name);
  g.opset = src.opset;
  g.source = src.source;
  const map = new Map<Value, Value>();
  for (const v of src.inputs) map.set(v, copyMeta(g.addInput(v.name, { ...v.type }), v));
  for (const v of src.initializers) map.set(v, copyMeta(g.addConst(v.name, v.const!, v.role), v));
  for (const n of src.nodes) {
    const node = g.addNode(n.op, n.inputs.map((v) => (v ? map.get(v)! : null)), { ...n.attrs },
      { name: n.name, domain: n.domain, span: n.span, outputNames: n.outputs.map((o) => o.name) });
    n.outputs.forEach((o, i) => { node.outputs[i].type = { ...o.type }; copyMeta(node.outputs[i], o); map.set(o, node.outputs[i]); });
  }
  g.outputs = src.outputs.map((v) => map.get(v)!);
  return g;
}

function copyMeta(dst: Value, src: Value): Value {
  if (src.role) dst.role = src.role;
  if (src.trainable !== undefined) dst.trainable = src.trainable;
  return dst;
}
