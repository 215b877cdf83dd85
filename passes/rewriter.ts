// A pass's edits, batched so a sweep over a big graph stays linear. Graph.addNode(…, before) and
// Graph.removeNode/removeConstIfUnused each scan and splice an array (O(n) per call: ~8 s for a 10k-node
// graph with a BN fold per conv). Here a new node is appended and moved before its anchor once at flush();
// a dead node is detached at once (so it stops counting as a user of anything) and removed at flush() in
// short slices (inChunks). Constants that may have lost their last user are dropped the same way. Every
// edit still goes through Graph's API; a bulk removeNodes/removeConsts in graph.ts would make this simpler.
import type { AttrValue, Graph, Node, NodeOptions, Value } from '../src/ir/graph.ts';

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
    this.before.clear(); this.added.clear(); this.dead.length = 0; this.deadSet.clear(); this.consts.clear();
  }
}
