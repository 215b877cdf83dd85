// Inference latency of this tree's js backend against another checkout's (a commit before a change, unpacked with
// `git archive <commit> | tar -x -C DIR` and node_modules linked in) and onnxruntime-node, 1 thread, in one process,
// runs interleaved round-robin (./round-robin.ts) so a load change hits all three alike. Each tree loads, optimizes
// (-O2) and compiles the model with its own code; the median process CPU time per run is the figure to read on a
// loaded machine (preemption inflates the wall clock, not the CPU time).
//   node --import tsx bench/against.ts --against DIR [--models mobilenetv2,squeezenet1_1] [--rounds 31]
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { arg, modelPath, ortRun, roundRobin } from './round-robin.ts';
import { graphFlops } from './flops.ts';

const BASE = arg('against', ''), ROUNDS = Number(arg('rounds', '31'));
if (!BASE) throw new Error('bench/against.ts: --against DIR (a checkout of the tree to compare with) is required');
const HERE = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

/** The model compiled for js at 1 thread by the tree at `root`, with that tree's seeded random feeds. */
async function compiled(root: string, path: string) {
  const { loadModel } = await import(`${root}/src/frontend/load.ts`);
  const { fixInputShapes, randomFeeds } = await import(`${root}/src/cli/bench.ts`);
  const { loadOptimizer } = await import(`${root}/src/cli/level.ts`);
  const { compileFor } = await import(`${root}/src/compile-for.ts`);
  const g = await loadModel(path);
  (await loadOptimizer(2))(g);
  fixInputShapes(g, 1);
  const feeds = randomFeeds(g);
  return { g, feeds, model: await compileFor('js', g, { threads: 1 }), input: g.inputs.find((v: { isConst: boolean }) => !v.isConst).name as string };
}

console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${ROUNDS} rounds, 1 thread; base tree ${BASE}`);
for (const name of arg('models', 'mobilenetv2,squeezenet1_1').split(',')) {
  const path = modelPath(name);
  const here = await compiled(HERE, path), base = await compiled(BASE, path);
  const x = here.feeds[here.input]!;
  const ort = await ortRun(false, path, here.input, x.data as Float32Array, [...x.shape]);
  await roundRobin(name, graphFlops(here.g) / 1e9, [
    ['layerc js (this tree)', () => here.model.run(here.feeds)], ['layerc js (base tree)', () => base.model.run(base.feeds)], ['ort-node', ort.run],
  ], ROUNDS);
  await here.model.dispose(); await base.model.dispose(); await ort.release();
}
