// eliminate-common-subexpressions: two nodes with the same op, domain, attributes and inputs compute the
// same values, so the later one is replaced by the earlier one (global value numbering over a graph in
// topological order: one sweep, a hash map from a node's key to its first occurrence). Small initializers
// with equal dtype, shape and bytes are merged first, so `x * c1` and `x * c2` with c1 == c2 also meet.
// Never merged: impure ops (Dropout, random generators), training state (initializers with a role: a
// running_var that equals gamma must keep its own storage), graph inputs, and merges that would take a
// graph output's name away (two graph outputs stay two values).
import type { AttrValue, Graph, Node, Value } from '../src/ir/graph.ts';
import type { Tensor } from '../src/ir/tensor.ts';
import { findOp } from '../src/ir/registry.ts';
import type { Pass, PassContext } from './pass.ts';
import { Rewriter } from './rewriter.ts';

/** Ops whose two inputs may be swapped (elementwise with broadcasting: the result does not depend on order). */
const COMMUTATIVE = new Set(['Add', 'Mul', 'Max', 'Min', 'Sum', 'And', 'Or', 'Xor', 'Equal']);

export const eliminateCommonSubexpressions: Pass = {
  name: 'eliminate-common-subexpressions',
  summary: 'merges nodes computing the same thing, and equal small initializers',
  options: { maxConstElements: { default: 4096, doc: 'largest initializer compared by value' } },
  run(g, ctx) {
    const rw = new Rewriter(g);
    const merged = mergeEqualConstants(g, rw, ctx, ctx.options.maxConstElements as number) + mergeEqualNodes(g, rw, ctx);
    rw.flush();
    return merged > 0;
  },
};

function mergeEqualConstants(g: Graph, rw: Rewriter, ctx: PassContext, maxElements: number): number {
  let merged = 0;
  const seen = new Map<string, Value[]>();
  const outputs = new Set(g.outputs);
  for (const c of [...g.initializers]) {
    const t = c.const;
    if (!t || c.role || t.size > maxElements || outputs.has(c) || !c.users.length) continue;
    const key = `${t.dtype}|${t.shape.join(',')}|${hashData(t)}`;
    const bucket = seen.get(key) ?? [];
    const same = bucket.find((b) => equalData(b.const!, t));
    if (!same) { bucket.push(c); seen.set(key, bucket); continue; }
    rw.replaceAllUses(c, same);
    rw.dropIfUnused(c);
    merged++;
    ctx.count('equal initializers merged');
  }
  return merged;
}

function mergeEqualNodes(g: Graph, rw: Rewriter, ctx: PassContext): number {
  let merged = 0;
  const ids = new Map<Value, number>();
  const id = (v: Value | null) => {
    if (!v) return -1;
    let k = ids.get(v);
    if (k === undefined) ids.set(v, (k = ids.size));
    return k;
  };
  const firstOf = new Map<string, Node>();
  for (const node of [...g.nodes]) {
    const def = findOp(node.op, node.domain);
    if (!def || def.impure) continue;
    const attrs = attrKey(node.attrs);
    if (attrs === null) continue;
    const ins = node.inputs.map(id);
    if (COMMUTATIVE.has(node.op) && !node.domain) ins.sort((a, b) => a - b);
    const key = `${node.domain}::${node.op}|${node.outputs.length}|${ins.join(',')}|${attrs}`;
    const first = firstOf.get(key);
    if (!first) { firstOf.set(key, node); continue; }
    if (!mergeable(g, node, first)) { ctx.skip('both are graph outputs'); continue; }
    node.outputs.forEach((o, i) => rw.replaceAllUses(o, first.outputs[i]!));
    rw.remove(node);
    merged++;
    ctx.count(`duplicate nodes merged`);
  }
  return merged;
}

/** A duplicate's graph output can only move onto a value that is not itself a graph output (it takes the name). */
function mergeable(g: Graph, dup: Node, first: Node): boolean {
  return dup.outputs.every((o, i) => !g.outputs.includes(o) || !g.outputs.includes(first.outputs[i]!));
}

/** A canonical string for attributes (sorted keys, tensors by content); null for subgraphs (never merged). */
function attrKey(attrs: Record<string, AttrValue>): string | null {
  const keys = Object.keys(attrs).sort();
  const parts: string[] = [];
  for (const k of keys) {
    const v = attrs[k];
    if (typeof v === 'object' && v !== null && 'nodes' in v) return null;
    if (typeof v === 'object' && v !== null && 'data' in v && 'shape' in v) {
      const t = v as Tensor;
      parts.push(`${k}=T${t.dtype}[${t.shape.join(',')}]${Array.from(t.data as ArrayLike<number>).join(',')}`);
    } else parts.push(`${k}=${stableJson(v)}`);
  }
  return parts.join(';');
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v);
}

/** FNV-1a over the raw bytes. */
function hashData(t: Tensor): number {
  const b = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/** Bytewise equality (so NaN equals an identical NaN, and -0 differs from 0: merging must not change a bit). */
function equalData(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.size !== b.size || a.shape.join() !== b.shape.join()) return false;
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
