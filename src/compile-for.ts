// Where passes meet a backend: the one wiring point the library, the CLI and the trainer share. It picks the
// backend, builds the lowering pipeline its capabilities ask for (passes/pipelines.ts) and hands it to the
// backend's compile path, which runs it on each shape-specialized copy (runtime/compile.ts). The runtime
// never imports passes/, so nothing below this module decides how a graph is lowered.
import type { Graph } from './ir/graph.ts';
import { getBackend, type BackendOptions, type CompiledModel } from '../runtime/backend.ts';
import { lowering } from '../passes/pipelines.ts';

/** Compiles `graph` (not changed) for the named backend, lowered for that backend's capabilities. */
export async function compileFor<O extends BackendOptions>(backend: string, graph: Graph, opts: O = {} as O): Promise<CompiledModel> {
  const b = await getBackend(backend);
  return b.compile(graph, { ...opts, lower: lowering(b.capabilities) });
}
