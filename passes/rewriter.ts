// A pass's edits, batched so a sweep over a big graph stays linear. Graph.addNode(…, before) and
// Graph.removeNode/removeConstIfUnused each scan and splice an array (O(n) per call: ~8 s for a 10k-node
// graph with a BN fold per conv). Here a new node is appended and moved before its anchor once at flush();
// a dead node is detached at once (so it stops counting as a user of anything) and removed at flush() in
// short slices (inChunks). Constants that may have lost their last user are dropped the same way. Every
// edit still goes through Graph's API; a bulk removeNodes/removeConsts in graph.ts would make this simpler.
// Rewiring a value's uses (replaceAllUses) marks its users: flush() re-infers their types, and onward only
// where a type changed (a CSE merge gives x's users the surviving value's symbolic dims). New nodes are typed
// by the pass that makes them (typeFrom); nothing re-infers them, so a wrong type fails verify().
import type { AttrValue, Graph, Node, NodeOptions, TensorType, Value } from '../src/ir/graph.ts';
import { inferNode } from '../src/ir/infer.ts';

/**
 * Runs `f` on short slices of `items`. Graph.removeNode/removeConstIfUnused find their target with indexOf
 * and splice it out of g.nodes / g.initializers; pointing those arrays at a 64-element slice while removing
 * makes each call O(64) instead of O(graph size).
 */
function inChunks<T>(items: T[], f: (chunk: T[]) => void): void {
  for (let i = 0; i < items.length; i += 64) f(items.slice(i, i + 64));
}

export class Rewriter {
  private readonly before = new Map<Node, Node[]>();
  private readonly added = new Set<Node>();
  private readonly dead: Node[] = [];
  private readonly deadSet = new Set<Node>();
  private readonly consts = new Set<Value>();
  private readonly rewired = new Set<Node>();

  constructor(readonly g: Graph) {}

  /** A new node that will sit just before `anchor` (whose inputs it may use; its outputs typed like `typeFrom`). */
  addNode(op: string, inputs: (Value | null)[], attrs: Record<string, AttrValue>, opts: NodeOptions, anchor: Node, typeFrom?: Value): Node {
    const n = this.g.addNode(op, inputs, attrs, opts);
    if (typeFrom) n.outputs[0]!.type = { ...typeFrom.type };
    this.added.add(n);
    const list = this.before.get(anchor) ?? [];
    list.push(n);
    this.before.set(anchor, list);
    return n;
  }

  /** Detaches `n` (its outputs must already have no users and not be graph outputs); removed at flush(). */
  remove(n: Node): void {
    n.inputs.forEach((v, i) => {
      if (!v) return;
      if (v.const) this.consts.add(v);
      this.g.setInput(n, i, null);
    });
    this.dead.push(n);
    this.deadSet.add(n);
  }

  /** Every use of `from` reads `to` instead (a graph output keeps its name: Graph.replaceAllUses). */
  replaceAllUses(from: Value, to: Value): void {
    for (const u of from.users) this.rewired.add(u);
    this.g.replaceAllUses(from, to);
  }

  /** Rewires input `i` of `n` to `v`; n's types are re-inferred at flush(). */
  setInput(n: Node, i: number, v: Value | null): void {
    this.g.setInput(n, i, v);
    this.rewired.add(n);
  }

  isRemoved(n: Node): boolean { return this.deadSet.has(n); }

  /** A constant to drop at flush() if nothing uses it by then. */
  dropIfUnused(v: Value | null | undefined): void { if (v?.const) this.consts.add(v); }

  /** Applies the queued placements and removals (O(nodes + initializers)). */
  flush(): void {
    const g = this.g;
    if (this.added.size) {
      const order: Node[] = [];
      const emit = (n: Node) => { for (const m of this.before.get(n) ?? []) emit(m); order.push(n); };
      for (const n of g.nodes) if (!this.added.has(n)) emit(n);
      g.nodes = order;
    }
    if (this.dead.length) {
      const live = g.nodes.filter((n) => !this.deadSet.has(n));
      try { inChunks(this.dead, (chunk) => { g.nodes = chunk; for (const n of [...chunk]) g.removeNode(n); }); } finally { g.nodes = live; }
    }
    const inits = new Set(g.initializers), outs = new Set(g.outputs);
    const unused = [...this.consts].filter((v) => !v.users.length && inits.has(v) && !outs.has(v));
    if (unused.length) {
      const drop = new Set(unused);
      const kept = g.initializers.filter((v) => !drop.has(v));
      try { inChunks(unused, (chunk) => { g.initializers = chunk; for (const v of [...chunk]) g.removeConstIfUnused(v); }); } finally { g.initializers = kept; }
    }
    this.reinferRewired();
    this.before.clear(); this.added.clear(); this.dead.length = 0; this.deadSet.clear(); this.consts.clear(); this.rewired.clear();
  }

  /** Re-infers the rewired nodes, and their users wherever a type changed (one sweep in topological order). */
  private reinferRewired(): void {
    if (!this.rewired.size) return;
    const dirty = this.rewired;
    for (const n of this.g.nodes) {
      if (!dirty.has(n)) continue;
      const types = inferNode(this.g, n);
      n.outputs.forEach((o, i) => {
        const t = types[i];
        if (!t || sameType(t, o.type)) return;
        o.type = t;
        for (const u of o.users) dirty.add(u);
      });
    }
  }
}

function sameType(a: TensorType, b: TensorType): boolean {
  if (a.dtype !== b.dtype) return false;
  if (!a.shape || !b.shape) return a.shape === b.shape;
  return a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape![i]);
}
