// One compiled model, several feed sets: each run must match the reference interpreter (shapes equal, values
// within toleranceRatio <= 1), and each run's info (kernels, fallbacks, specializations) is returned, so a test
// can check how a value-specialized program was compiled per feed set. Default: js at one thread.
import { expect } from 'vitest';
import type { Graph } from '../../src/ir/graph.ts';
import type { Tensor } from '../../src/ir/tensor.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { compileFor } from '../../src/compile-for.ts';
import type { CompiledModel } from '../../src/api/pipeline.ts';
import { toleranceRatio } from '../js/graphs.ts';

export async function runsAgainstReference(g: Graph, feedsList: Record<string, Tensor>[],
  compile: (x: Graph) => Promise<CompiledModel> = (x) => compileFor('js', x, { threads: 1 })) {
  const m = await compile(g);
  try {
    const infos = [];
    for (const feeds of feedsList) {
      const got = await m.run(feeds), ref = runGraph(g, feeds);
      for (const v of g.outputs) {
        expect(got[v.name]!.shape).toEqual(ref[v.name]!.shape);
        expect(toleranceRatio(got[v.name]!, ref[v.name]!)).toBeLessThanOrEqual(1);
      }
      infos.push({ ...m.info });
    }
    return infos;
  } finally { await m.dispose(); }
}
