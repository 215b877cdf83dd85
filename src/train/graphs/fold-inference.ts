// The inference graph after training, optimized for deployment: the -O2 pipeline of passes/index.ts, which
// turns each BatchNormalization (running statistics) into a per-channel scale/shift and folds it into the
// neighbouring Conv/Gemm. Passes of the pipeline that are not registered yet are skipped and named, and the
// BatchNormalization nodes still left are counted, so callers can say honestly whether BN was folded.
import type { Graph } from '../../ir/graph.ts';
import { PASSES, PIPELINES, optimize } from '../../../passes/index.ts';

export interface FoldResult { graph: Graph; bnBefore: number; bnAfter: number; missingPasses: string[] }

const countBn = (g: Graph) => g.nodes.filter((n) => n.op === 'BatchNormalization' && !n.domain).length;

/** Optimizes `g` in place with -O2 (the registered part of it). */
export function foldForInference(g: Graph, level: 1 | 2 = 2): FoldResult {
  const known = new Set(PASSES.map((p) => p.name));
  const pipeline = PIPELINES[level];
  const bnBefore = countBn(g);
  const missing = pipeline.filter((p) => !known.has(p));
  const { graph } = optimize(g, missing.length ? { passes: pipeline.filter((p) => known.has(p)) } : { level });
  return { graph, bnBefore, bnAfter: countBn(graph), missingPasses: missing };
}
