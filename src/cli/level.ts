// -O0 / -O1 / -O2 parsing and the optimizer entry point shared by run, bench, compile and test-onnx (default -O2). The optimizer
// (passes/index.ts) is imported only when a level above 0 is asked for.
import type { Graph } from '../ir/graph.ts';
import { lcError } from '../diagnostics.ts';

export type OptLevel = 0 | 1 | 2;
export type Optimize = (g: Graph) => void;

export function parseLevel(s: string): OptLevel {
  if (s === '0' || s === '1' || s === '2') return Number(s) as OptLevel;
  throw lcError('LC002', [`optimization level must be 0, 1 or 2 (-O0, -O1, -O2), got '${s}'`]);
}

export async function loadOptimizer(level: OptLevel): Promise<Optimize> {
  if (level === 0) return () => {};
  const path = '../../passes/index.ts'; // a variable: the optimizer module is loaded lazily
  // Only a missing module means "not built"; an error inside the optimizer must surface as itself.
  const mod = (await import(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ERR_MODULE_NOT_FOUND' && /passes\/index\.[jt]s/.test(String(e.message))) return null;
    throw e;
  })) as { optimize?(g: Graph, o: { level?: OptLevel }): unknown } | null;
  if (!mod?.optimize) throw lcError('LC002', [`-O${level} needs the optimizer (passes/index.ts optimize), which is not available in this build`]);
  return (g) => { mod.optimize!(g, { level }); };
}
