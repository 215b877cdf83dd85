// fuse-elementwise: elementwise chains -> one loop, a lowering for backends that run generated JS (their
// capabilities list `elementwiseChains`). In a training graph most nodes are cheap elementwise steps (the sigmoid
// gradient dY * y * (1 - y), every optimizer update p - lr * (mu v + g)), and each one is a pass over memory
// and, with threads, a barrier. A node is merged with the elementwise producers of its inputs whose result it
// alone uses (same shape, not a graph output) into one ai.layerc::JsElementwise node (src/ops/elementwise-chain.ts):
// each merged node once, in graph order, as its JS expression (src/ops/js-expr.ts), in float64 and rounded to
// float32 only at the end. Ops the backend runs faster on their own (the js backend's SIMD activations: Relu,
// Sigmoid, ...) are named by the option `separate` and stay as they are.
// Why a pass and not a backend step: it is a graph rewrite like any other (verified, reported, visible in
// `layerc viz --after`), and the backend then only emits kernels for what it is given.
import type { Graph, Node, Value } from '../src/ir/graph.ts';
import { JS_ELEMENTWISE } from '../src/ops/elementwise-chain.ts';
import { binaryExpr, unaryExpr } from '../src/ops/js-expr.ts';
import type { Pass } from './pass.ts';
import { Rewriter } from './rewriter.ts';

const f32 = (n: Node) => [...n.inputs, ...n.outputs].every((v) => !v || v.type.dtype === 'float32');
const sameShape = (a: Value, b: Value) => !!a.type.shape && a.type.shape.join() === b.type.shape?.join();

const isFused = (n: Node) => n.domain === 'ai.layerc' && n.op === JS_ELEMENTWISE;

/** How many of n's inputs are operands of its statement (2 binary, 1 unary), or 0 if n is no chain member. */
function arity(n: Node, separate: ReadonlySet<string>): number {
  if (isFused(n)) return n.inputs.length;
  if (n.outputs.length !== 1 || !f32(n) || !n.inputs[0] || (!n.domain && separate.has(n.op))) return 0;
  if (n.inputs.length === 2 && n.inputs[1] && binaryExpr(n, 'x', 'y') !== null) return 2;
  return unaryExpr(n, 'x') !== null ? 1 : 0;
}

/** The node (arity 1 or 2) as a JS expression over its operand expressions. */
const statementOf = (n: Node, operands: string[]) => (operands.length === 2 ? binaryExpr(n, operands[0]!, operands[1]!) : unaryExpr(n, operands[0]!))!;

/** Temps t0..tK a fused body uses: K + 1. */
const tempCount = (n: Node) => Math.max(-1, ...[...`${n.attrs.body} ${n.attrs.result}`.matchAll(/\bt(\d+)\b/g)].map((m) => Number(m[1]))) + 1;

/** Merges elementwise chains in place (ops in `separate` stay alone); returns how many nodes were merged away. */
export function fuseElementwise(g: Graph, separate: ReadonlySet<string> = new Set()): { merged: number; chains: number } {
  const rw = new Rewriter(g);
  const isMember = (n: Node) => arity(n, separate) > 0;
  let merged = 0, chains = 0;
  for (const root of [...g.nodes]) {
    if (rw.isRemoved(root) || !isMember(root)) continue;
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
      const operands = n.inputs.slice(0, arity(n, separate)).map((v) => (absorbable(v) ? emitAbsorbed(v.producer!) : leaf(v!)));
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
    const fused = rw.addNode(JS_ELEMENTWISE, leaves, { body: lines.join('\n'), result }, { name: `${root.name}_chain`, domain: 'ai.layerc' }, root, out);
    rw.replaceAllUses(out, fused.outputs[0]!);
    rw.remove(root);
    // `absorbed` is in pre-order (each node before the producers it absorbed): consumers go first. (A fused
    // producer can become absorbable late, when a later chain merged its two users into one leaf.)
    for (const n of absorbed) rw.remove(n);
    merged += absorbed.length;
    chains++;
  }
  rw.flush();
  return { merged, chains };
}

export const fuseElementwiseChains: Pass = {
  name: 'fuse-elementwise',
  summary: 'lowering for JS backends: chains of elementwise ops -> one ai.layerc::JsElementwise loop',
  options: { separate: { default: '', doc: 'comma-separated ops left alone (the backend runs them faster on their own)' } },
  run(g, ctx) {
    const separate = new Set(String(ctx.options.separate).split(',').filter(Boolean));
    const { merged, chains } = fuseElementwise(g, separate);
    if (chains) { ctx.count('elementwise chains', chains); ctx.count('nodes merged into chains', merged); }
    return chains > 0;
  },
};
