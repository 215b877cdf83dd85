// The pass manager's contract. A pass rewrites a Graph in place and says what it did through its context:
// counters ("BatchNormalization folded into Conv": 20) and skip reasons ("conv output has 2 users": 3).
// runPasses verifies the graph after every pass (structure, and types after a change: a pass types the nodes it makes and
// re-infers what its rewrite made more precise; nothing re-infers behind its back), so a broken rewrite is
// caught at the pass that made it, and collects one report per pass for `layerc optimize --report`.
import type { Graph } from '../src/ir/graph.ts';
import { verify } from '../src/ir/verify.ts';

export interface PassOption { default: number | boolean | string; doc: string }

export interface PassContext {
  /** Count one change, e.g. ctx.count('BatchNormalization folded into Conv'). */
  count(what: string, n?: number): void;
  /** Count a candidate left alone and why, e.g. ctx.skip('conv output has other consumers'). */
  skip(reason: string, n?: number): void;
  /** Count rewrite rules that fired (passes built on ./rewrite-engine.ts report its `fired`). */
  fired(rules: Record<string, number>): void;
  readonly options: Readonly<Record<string, number | boolean | string>>;
}

export interface Pass {
  name: string;
  summary: string;
  options?: Record<string, PassOption>;
  /** Rewrites g in place; returns whether it changed anything (fixpoint drivers stop when no pass did). */
  run(g: Graph, ctx: PassContext): boolean;
}

export interface PassReport {
  pass: string;
  changed: boolean;
  changes: Record<string, number>;
  skipped: Record<string, number>;
  /** Rule name -> times it fired (rule-table passes). */
  rules: Record<string, number>;
  nodesBefore: number;
  nodesAfter: number;
  ms: number;
}

const bump = (m: Record<string, number>, k: string, n: number) => { m[k] = (m[k] ?? 0) + n; };

export function runPass(g: Graph, pass: Pass, options: Record<string, number | boolean | string> = {}): PassReport {
  const defaults = Object.fromEntries(Object.entries(pass.options ?? {}).map(([k, o]) => [k, o.default]));
  const report: PassReport = { pass: pass.name, changed: false, changes: {}, skipped: {}, rules: {}, nodesBefore: g.nodes.length, nodesAfter: 0, ms: 0 };
  const ctx: PassContext = {
    count: (what, n = 1) => bump(report.changes, what, n),
    skip: (why, n = 1) => bump(report.skipped, why, n),
    fired: (rules) => { for (const [k, n] of Object.entries(rules)) bump(report.rules, k, n); },
    options: { ...defaults, ...options },
  };
  const t0 = performance.now();
  report.changed = pass.run(g, ctx);
  report.ms = performance.now() - t0;
  report.nodesAfter = g.nodes.length;
  // Structure always; types (a fresh inference of every node) only after a change: a pass that changed nothing
  // leaves the types verified after the pass before it (the fixpoint driver relies on `changed` the same way).
  verify(g, { types: report.changed });
  return report;
}

export function runPasses(g: Graph, passes: readonly Pass[], options: Record<string, Record<string, number | boolean | string>> = {}): PassReport[] {
  return passes.map((p) => runPass(g, p, options[p.name]));
}

/**
 * Runs `passes` in order, again and again until a whole round changes nothing (at most `maxRounds` rounds):
 * what one pass does can open a rewrite for another (dead-code elimination leaves a conv output with one user,
 * so fold-batchnorm can fold its BatchNormalization). One report per pass run.
 */
export function runToFixpoint(g: Graph, passes: readonly Pass[], options: Record<string, Record<string, number | boolean | string>> = {}, maxRounds = 4): PassReport[] {
  const reports: PassReport[] = [];
  for (let round = 0; round < maxRounds; round++) {
    const now = runPasses(g, passes, options);
    reports.push(...now);
    if (!now.some((r) => r.changed)) break;
  }
  return reports;
}

/** One line per pass for --report: "fold-batchnorm: 20 BatchNormalization folded into Conv; skipped 3 (reason)". */
export function formatReport(reports: readonly PassReport[]): string {
  const lines = reports.map((r) => {
    const did = Object.entries(r.changes).map(([k, n]) => `${n} ${k}`).join(', ') || 'no change';
    const skipped = Object.entries(r.skipped).map(([k, n]) => `${n} skipped (${k})`).join(', ');
    const rules = Object.entries(r.rules).map(([k, n]) => `${k} x${n}`).join(', ');
    return `${r.pass}: ${did}${skipped ? `; ${skipped}` : ''}${rules ? `; rules fired: ${rules}` : ''}  [nodes ${r.nodesBefore} -> ${r.nodesAfter}, ${r.ms.toFixed(1)} ms]`;
  });
  if (reports.length) lines.push(`nodes: ${reports[0]!.nodesBefore} -> ${reports.at(-1)!.nodesAfter}`);
  return lines.join('\n');
}
