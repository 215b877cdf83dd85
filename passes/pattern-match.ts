// Small, pure graph queries the recomposition rules (./recompose-layernorm.ts, ./recompose-gelu.ts) match with:
// a node's op, the operand of a binary op that is not a given value, a scalar constant's number, and "this value
// feeds only that node" (the fusion precondition: an intermediate a rule swallows has no other consumer and is
// not a graph output). None of them changes the graph.
import type { Graph, Node, Value } from '../src/ir/graph.ts';

/** v's producer when it is the standard op `op` (with `arity` inputs when given), else null. */
export function producedBy(v: Value | null | undefined, op: string, arity?: number): Node | null {
  const p = v?.producer;
  if (!p || p.domain || p.op !== op || p.outputs[0] !== v) return null;
  return arity === undefined || p.inputs.length === arity ? p : null;
}

/** The other operand of binary `n` when one of its two inputs is `v` (either order), else null. */
export function otherOperand(n: Node, v: Value): Value | null {
  if (n.inputs.length !== 2) return null;
  if (n.inputs[0] === v) return n.inputs[1] ?? null;
  if (n.inputs[1] === v) return n.inputs[0] ?? null;
  return null;
}

/** The number a constant holding one element stands for (any rank: [], [1], [1, 1]), else null. */
export function scalarConst(v: Value | null | undefined): number | null {
  const t = v?.const;
  if (!t || t.size !== 1 || t.dtype === 'bool') return null;
  return Number(t.data[0]);
}

/** Whether `x` equals `want` to a relative `rtol` (exporters write constants in float32 or float64). */
export const near = (x: number, want: number, rtol = 1e-6): boolean => Math.abs(x - want) <= rtol * Math.abs(want);

/** The only user of `v`, when v has exactly one (distinct) user and is not a graph output; else null. */
export function onlyUser(g: Graph, v: Value): Node | null {
  if (g.outputs.includes(v) || !v.users.length || v.users.some((u) => u !== v.users[0])) return null;
  return v.users[0]!;
}

/** The one (distinct) node reading `v`, graph output or not (the structure; onlyUser is the fusion guard). */
export function soleUser(v: Value): Node | null {
  return v.users.length && v.users.every((u) => u === v.users[0]) ? v.users[0]! : null;
}

/** Whether every distinct user of `v` is in `allowed` and v is not a graph output. */
export function usedOnlyBy(g: Graph, v: Value, allowed: readonly Node[]): boolean {
  return !g.outputs.includes(v) && v.users.every((u) => allowed.includes(u));
}

/** Shapes equal dim by dim (symbolic dims by name); false when either is unknown. */
export function sameShape(a: Value, b: Value): boolean {
  const s = a.type.shape, t = b.type.shape;
  return !!s && !!t && s.length === t.length && s.every((d, i) => d === t[i]);
}
