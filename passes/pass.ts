// The pass manager's contract. A pass rewrites a Graph in place and says what it did through its context:
// counters ("BatchNormalization folded into Conv": 20) and skip reasons ("conv output has 2 users": 3).
// runPasses verifies the graph after every pass (structure and types: a pass types the nodes it makes and
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
  readonly options: Readonly<Record<string, number | boolean | string>>;
}

export interface Pass {
  name: string;
  summary: string;
  options?: Record<string, PassOption>;
  run(g: Graph, ctx: PassContext): void;
}

export interface PassReport {
  pass: string;
  changes: Record<string, number>;
  skipped: Record<string, number>;
  nodesBefore: number;
  nodesAfter: number;
  ms: number;
}

const bump = (m: Record<string, number>, k: string, n: number) => { m[k] = (m[k] ?? 0) + n; };

export function runPass(g: Graph, pass: Pass, options: Record<string, number | boolean | string> = {}): PassReport {
  const defaults = Object.fromEntries(Object.entries(pass.options ?? {}).map(([k, o]) => [k, o.default]));
  const report: PassReport = { pass: pass.name, changes: {}, skipped: {}, nodesBefore: g.nodes.length, nodesAfter: 0, ms: 0 };
  const ctx: PassContext = {
    count: (what, n = 1) => bump(report.changes, what, n),
    skip: (why, n = 1) => bump(report.skipped, why, n),
    options: { ...defaults, ...options },
  };
  const t0 = performance.now();
  pass.run(g, ctx);
  report.ms = performance.now() - t0;
  report.nodesAfter = g.nodes.length;
  verify(g);
  return report;
}

export function runPasses(g: Graph, passes: readonly Pass[], options: Record<string, Record<string, number | boolean | string>> = {}): PassReport[] {
  return passes.map((p) => runPass(g, p, options[p.name]));
}

/** One line per pass for --report: "fold-batchnorm: 20 BatchNormalization folded into Conv; skipped 3 (reason)". */
export function formatReport(reports: readonly PassReport[]): string {
  const lines = reports.map((r) => {
    const did = Object.entries(r.changes).map(([k, n]) => `${n} ${k}`).join(', ') || 'no change';
    const skipped = Object.entries(r.skipped).map(([k, n]) => `${n} skipped (${k})`).join(', ');
    return `${r.pass}: ${did}${skipped ? `; ${skipped}` : ''}  [nodes ${r.nodesBefore} -> ${r.nodesAfter}, ${r.ms.toFixed(1)} ms]`;
  });
  if (reports.length) lines.push(`nodes: ${reports[0]!.nodesBefore} -> ${reports.at(-1)!.nodesAfter}`);
  return lines.join('\n');
}
