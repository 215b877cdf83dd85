// Elementwise chains -> one loop. In a training graph most nodes are cheap elementwise steps (the sigmoid
// gradient dY * y * (1 - y), every optimizer update p - lr * (mu v + g)), and each one is a pass over memory
// and, with threads, a barrier. This lowering step merges a node with the elementwise producers of its inputs
// whose result it alone uses (same shape, not a graph output) into `ai.layerc::JsElementwise`: the leaves are
// its inputs (each may broadcast), `body` is straight-line JS computing t0, t1, ... from leaves $0, $1, ...
// (each merged node once, in graph order, in float64 — rounded to float32 only at the end), and `result` names
// the value stored. The op is private to the js backend's lowered graphs (its reference implementation runs the
// same body per element, so the fallback and the interpreter agree with the kernel). Activations with a SIMD
// form (Relu, Sigmoid, ...) are left as they are: their own wasm loop is faster than any JS chain.
import type { Graph, Node, Value } from '../../src/ir/graph.ts';
import { defineOp } from '../../src/ir/registry.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { broadcastShapes } from '../../src/ops/util.ts';
import { broadcastNary } from '../../src/ops/elementwise.ts';
import { hasSimdActivation } from './wasm/simd-act.ts';
import { binaryExpr, unaryExpr } from './kernels/elementwise.ts';

export const JS_ELEMENTWISE = 'JsElementwise';

/** A function (leaves...) => value of the fused body, for the reference implementation. */
function compileBody(body: string, result: string, leaves: number): (...xs: number[]) => number {
  const args = Array.from({ length: leaves }, (_, i) => `a${i}`);
  return new Function(...args, `${body.replace(/\$(\d+)/g, 'a$1')}\nreturn ${result};`) as (...xs: number[]) => number;
}

defineOp({
  name: JS_ELEMENTWISE,
  domain: 'ai.layerc',
  summary: 'js backend: a fused chain of elementwise ops (straight-line JS body over broadcast leaves)',
  attrs: { body: { type: 'string', required: true }, result: { type: 'string', required: true } },
  inputs: [1, 1000],
  outputs: [1, 1],
  inferType(ctx) {
    let shape = ctx.inputs[0]!.shape;
    for (const t of ctx.inputs.slice(1)) shape = shape && t!.shape ? broadcastShapes(shape, t!.shape) : null;
    return [{ dtype: 'float32', shape }];
  },
  evalRef(inputs, { attrs }) {
    const f = compileBody(String(attrs.body), String(attrs.result), inputs.length);
    return [broadcastNary(inputs as Tensor[], (xs: number[]) => f(...xs), 'float32')];
  },
});

const f32 = (n: Node) => [...n.inputs, ...n.outputs].every((v) => !v || v.type.dtype === 'float32');
const sameShape = (a: Value, b: Value) => !!a.type.shape && a.type.shape.join() === b.type.shape?.join();

const isFused = (n: Node) => n.domain === 'ai.layerc' && n.op === JS_ELEMENTWISE;

/** How many of n's inputs are operands of its statement (2 binary, 1 unary), or 0 if n is no chain member. */
function arity(n: Node): number {
  if (isFused(n)) return n.inputs.length;
  if (n.outputs.length !== 1 || !f32(n) || !n.inputs[0] || (!n.domain && hasSimdActivation(n.op))) return 0;
  if (n.inputs.length === 2 && n.inputs[1] && binaryExpr(n, 'x', 'y') !== null) return 2;
  return unaryExpr(n, 'x') !== null ? 1 : 0;
}

/** The node as a JS expression over its operand expressions. */
const statementOf = (n: Node, operands: string[]) => (arity(n) === 2 ? binaryExpr(n, operands[0]!, operands[1]!) : unaryExpr(n, operands[0]!))!;

const isMember = (n: Node) => arity(n) > 0;

/** Temps t0..tK a fused body uses: K + 1. */
const tempCount = (n: Node) => Math.max(-1, ...[...`${n.attrs.body} ${n.attrs.result}`.matchAll(/\bt(\d+)\b/g)].map((m) => Number(m[1]))) + 1;

/** Merges elementwise chains in place; returns how many nodes were merged away. */
export function fuseElementwise(g: Graph): number {
  let merged = 0;
  for (const root of [...g.nodes]) {
    if (root.outputs[0]?.producer !== root || !isMember(root)) continue;
    const out = root.outputs[0]!;
    // Producers this root may absorb: members whose single output only the chain reads, with the root's shape.
    const absorbable = (v: Value | null): v is Value => !!v && !!v.producer && v.producer !== root && isMember(v.producer)
      && v.users.length === 1 && !g.outputs.includes(v) && sameShape(v, out);
    if (!root.inputs.some(absorbable)) continue;
    const leaves: Value[] = [], lines: string[] = [];
    const absorbed: Node[] = [];
    let temps = 0;
    const leaf = (v: Value) => { let i = leaves.indexOf(v); if (i < 0) { i = leaves.length; leaves.push(v); } return `$${i}`; };
    // The JS name holding node n's value, emitting its statement (and its absorbed producers' first).
    const emit = (n: Node): string => {
      const operands = n.inputs.slice(0, arity(n)).map((v) => (absorbable(v) ? emitAbsorbed(v.producer!) : leaf(v!)));
      const t = `t${temps++}`;
      if (isFused(n)) {
        // Rename the inner body's temps and leaves into this body.
        const base = temps;
        temps += tempCount(n);
        const rename = (s: string) => s.replace(/\bt(\d+)\b/g, (_, k) => `t${base + Number(k)}`).replace(/\$(\d+)/g, (_, k) => operands[Number(k)]!);
        lines.push(rename(String(n.attrs.body)));
        lines.push(`const ${t} = ${rename(String(n.attrs.result))};`);
      } else lines.push(`const ${t} = ${statementOf(n, operands)};`);
      return t;
    };
    const emitAbsorbed = (n: Node): string => { absorbed.push(n); return emit(n); };
    const result = emit(root);
    const fused = g.addNode(JS_ELEMENTWISE, leaves, { body: lines.join('\n'), result }, { name: `${root.name}_chain`, domain: 'ai.layerc' }, root);
    fused.outputs[0]!.type = { ...out.type };
    g.replaceAllUses(out, fused.outputs[0]!);
    g.removeNode(root);
    // `absorbed` is in pre-order (each node before the producers it absorbed): consumers go first. (A fused
    // producer can become absorbable late, when a later chain merged its two users into one leaf.)
    for (const n of absorbed) g.removeNode(n);
    merged += absorbed.length;
  }
  return merged;
}
