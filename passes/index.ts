// The optimizer: the registry of passes and the -O pipelines. `optimize` rewrites the graph in place and
// returns it with one report per pass that ran.
import type { Graph } from '../src/ir/graph.ts';
import { lcError } from '../src/diagnostics.ts';
import { runPasses, runToFixpoint, type Pass, type PassReport } from './pass.ts';
import { foldConstants } from './fold-constants.ts';
import { eliminateIdentity } from './eliminate-identity.ts';
import { eliminateCommonSubexpressions } from './eliminate-common-subexpressions.ts';
import { eliminateDeadCode } from './eliminate-dead-code.ts';
import { simplifyInference } from './simplify-inference.ts';
import { foldBatchnorm } from './fold-batchnorm.ts';
import { recomposeOps } from './recompose-ops.ts';
import { fuseEpilogue } from './fuse-epilogue.ts';
import { fuseAttention } from './fuse-attention.ts';
import { LEVELS, PIPELINES, describeLevel } from './pipelines.ts';

// Every pass, in the order `layerc optimize --list-passes` shows them. Add one import + one entry per pass.
export const PASSES: Pass[] = [
  foldConstants,
  eliminateIdentity,
  recomposeOps,
  simplifyInference,
  foldBatchnorm,
  eliminateCommonSubexpressions,
  fuseAttention,
  fuseEpilogue,
  eliminateDeadCode,
];

export { LEVELS, PIPELINES, describeLevel };

export function findPass(name: string): Pass {
  const p = PASSES.find((q) => q.name === name);
  if (!p) throw lcError('LC060', [`'${name}'`, `; known passes: ${PASSES.map((q) => q.name).join(', ')}`]);
  return p;
}

export interface OptimizeOptions {
  level?: 0 | 1 | 2;
  /** An explicit pass list; overrides `level`. */
  passes?: string[];
  /** Per-pass options, keyed by pass name. */
  options?: Record<string, Record<string, number | boolean | string>>;
}

export function optimize(g: Graph, o: OptimizeOptions = {}): { graph: Graph; reports: PassReport[] } {
  if (o.passes) return { graph: g, reports: runPasses(g, o.passes.map(findPass), o.options) };
  const { repeat, rounds, then } = LEVELS[o.level ?? 2];
  const reports = [...runToFixpoint(g, repeat.map(findPass), o.options, rounds), ...runPasses(g, then.map(findPass), o.options)];
  return { graph: g, reports };
}
