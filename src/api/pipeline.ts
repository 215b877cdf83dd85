// The two steps between a loaded model and running it, as library calls: `optimize(graph, level)` runs the
// optimizer's -O pipeline (passes/index.ts) on a copy, `compile(graph, target)` lowers a graph for a backend
// and returns something to `run(feeds)` and `dispose()`. InferenceSession (./session.ts) is these two in a row.
import type { Graph } from '../ir/graph.ts';
import { cloneGraph } from '../ir/clone.ts';
import { optimize as runPipeline, type OptimizeOptions } from '../../passes/index.ts';
import type { BackendOptions, CompiledModel } from '../../runtime/backend.ts';
import { compileFor } from '../compile-for.ts';

export type OptLevel = 0 | 1 | 2;
export type Target = 'reference' | 'js' | 'wgsl';
export type { BackendOptions, CompiledModel, OptimizeOptions };

/**
 * The graph optimized at `level` (-O0 nothing, -O1 folding and cleanup, -O2 plus fusion) or by an explicit pass
 * list. The caller's graph is left as it was: the passes rewrite a copy (constant tensors are shared, not copied).
 */
export function optimize(graph: Graph, level: OptLevel | OptimizeOptions = 2): Graph {
  const g = cloneGraph(graph);
  runPipeline(g, typeof level === 'number' ? { level } : level);
  return g;
}

/**
 * The graph compiled for a backend, lowered for that backend's capabilities first (src/compile-for.ts; the
 * graph itself is not changed): `await m.run({ name: tensor })`, then `await m.dispose()`.
 */
export async function compile(graph: Graph, target: Target = 'js', opts: BackendOptions = {}): Promise<CompiledModel> {
  return compileFor(target, graph, opts);
}
