// 2 threads against 1 on the js backend, in one process and one run: both models compiled up front, then their
// runs alternate (1T, 2T, 1T, ...) so a change in the machine's load hits both alike. Prints the medians, the
// ratio 1T/2T and the load average (the machine may be shared; state it with the figure).
//   node --import tsx bench/threads.ts [--models resnet18,mobilenetv2,squeezenet1_1] [--rounds 15]
import { loadavg } from 'node:os';
import { arg, median, modelPath } from './round-robin.ts';
import { loadModel } from '../src/frontend/load.ts';
import { fixInputShapes, randomFeeds } from '../src/cli/bench.ts';
import { loadOptimizer } from '../src/cli/level.ts';
import { compileFor } from '../src/compile-for.ts';

const ROUNDS = Number(arg('rounds', '15'));

console.log(`load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${ROUNDS} alternating rounds after 3 warm-up runs each`);
for (const name of arg('models', 'resnet18').split(',')) {
  const g = await loadModel(modelPath(name));
  (await loadOptimizer(2))(g);
  fixInputShapes(g, 1);
  const feeds = randomFeeds(g);
  const models = [await compileFor('js', g, { threads: 1 }), await compileFor('js', g, { threads: 2 })];
  for (const m of models) for (let i = 0; i < 3; i++) await m.run(feeds);
  const times: number[][] = [[], []];
  for (let r = 0; r < ROUNDS; r++) for (let t = 0; t < 2; t++) {
    const t0 = performance.now();
    await models[t]!.run(feeds);
    times[t]!.push(performance.now() - t0);
  }
  for (const m of models) await m.dispose();
  const [m1, m2] = times.map(median) as [number, number];
  console.log(`${name.padEnd(14)} 1T ${m1.toFixed(1)} ms  2T ${m2.toFixed(1)} ms  speed-up ${(m1 / m2).toFixed(2)}x  (min 1T ${Math.min(...times[0]!).toFixed(1)}, 2T ${Math.min(...times[1]!).toFixed(1)}; load now ${loadavg()[0]!.toFixed(2)})`);
}
