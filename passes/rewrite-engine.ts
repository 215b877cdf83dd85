// The pattern engine: rewrites are data. A rule is rooted at one op and has two halves:
//   match(node, g)  PURE: reads the graph and returns what apply needs, null (no match), or decline(reason,
//                   nodes) when the pattern is there but a guard refuses it (reported as a skip). Nothing in
//                   the graph changes before a match succeeds;
//   apply(m, rw)    makes the edit, every one through the Rewriter (so use lists and types stay right).
// The driver sweeps the graph in topological order, tries the rules of each node's op in table order (a node
// that survives a rewrite is offered to the next rule: a Conv folds a chain on its input side, then one on its
// output side), flushes, and repeats until a sweep changes nothing or the iteration cap is hit. It returns
// { changed, fired: rule -> count, declined }; passes report `fired` as "rules fired" (layerc optimize --report).
import type { Graph, Node } from '../src/ir/graph.ts';
import { Rewriter } from './rewriter.ts';
import type { Pass } from './pass.ts';

/** A refusal: the pattern matched but a guard said no; `nodes` are the nodes the reason is about. */
export interface Decline { declined: string; nodes: readonly Node[] }
export const decline = (reason: string, nodes: readonly Node[] = []): Decline => ({ declined: reason, nodes });
const isDecline = (x: unknown): x is Decline => typeof x === 'object' && x !== null && 'declined' in x;

export interface Rule<M = unknown> {
  /** Counted when the rule fires; unique within its table. */
  name: string;
  /** The op the pattern is rooted at (`ai.layerc::Op` for a layerc op). */
  root: string;
  match(n: Node, g: Graph): M | Decline | null;
  /** The edit; `count` tallies what it did in the user's terms ("BatchNormalization folded into Conv"). */
  apply(m: M, rw: Rewriter, count: (what: string, n?: number) => void): void;
}

/** A table row with its match type checked against its apply, stored type-erased. */
export const rule = <M>(r: Rule<M>): Rule => r as Rule;

export interface RewriteResult {
  changed: boolean;
  fired: Record<string, number>;
  /** What the rewrites counted (Rule.apply's `count`). */
  counts: Record<string, number>;
  /** The declines of the last sweep: what is left alone, and why. */
  declined: Decline[];
  iterations: number;
}

export const opKey = (n: Node) => (n.domain ? `${n.domain}::${n.op}` : n.op);

/** Applies `rules` to `g` until nothing fires (at most maxIterations sweeps). */
export function rewrite(g: Graph, rules: readonly Rule[], maxIterations = 8): RewriteResult {
  const byRoot = new Map<string, Rule[]>();
  for (const r of rules) byRoot.set(r.root, [...(byRoot.get(r.root) ?? []), r]);
  const fired: Record<string, number> = {}, counts: Record<string, number> = {};
  const count = (what: string, k = 1) => { counts[what] = (counts[what] ?? 0) + k; };
  let declined: Decline[] = [];
  let iterations = 0, changed = false;
  while (iterations < maxIterations) {
    iterations++;
    declined = [];
    const rw = new Rewriter(g);
    let fires = 0;
    for (const n of [...g.nodes]) {
      for (const r of byRoot.get(opKey(n)) ?? []) {
        if (rw.isRemoved(n) || n.outputs[0]?.producer !== n) break;
        const m = r.match(n, g);
        if (m === null) continue;
        if (isDecline(m)) { declined.push(m); continue; }
        r.apply(m, rw, count);
        fired[r.name] = (fired[r.name] ?? 0) + 1;
        fires++;
      }
    }
    rw.flush();
    if (!fires) break;
    changed = true;
  }
  return { changed, fired, counts, declined, iterations };
}

/**
 * A pass that is only a rule table: runs `rewrite` and reports to --report what each rule counted, the near misses
 * it declined (with their reasons) and which rules fired.
 */
export function rulePass(name: string, summary: string, rules: readonly Rule[]): Pass {
  return {
    name, summary,
    run(g, ctx) {
      const r = rewrite(g, rules);
      for (const [what, n] of Object.entries(r.counts)) ctx.count(what, n);
      for (const d of r.declined) ctx.skip(d.declined);
      ctx.fired(r.fired);
      return r.changed;
    },
  };
}
