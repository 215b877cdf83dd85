// Winograd on and off, side by side with onnxruntime-web (wasm) and onnxruntime-node, at 1 thread, in one process
// and one run: every runtime is set up first, then their runs go round-robin (layerc, layerc --no-winograd,
// ort-web, ort-node, layerc, ...) so a change in the machine's load hits all alike. Prints medians, minima, the
// GFLOP/s of the convs and matrix products (nominal direct FLOPs: a Winograd conv is credited with the
// multiplies it avoids), the ratios to layerc, and the load average (state it with any figure).
//   node --import tsx bench/winograd.ts [--models resnet18,squeezenet1_1] [--rounds 15]
import { loadavg } from 'node:os';
import { arg, modelPath, ortRun, roundRobin, type Run } from './round-robin.ts';
import { graphFlops } from './flops.ts';
import { loadModel } from '../src/frontend/load.ts';
import { fixInputShapes, randomFeeds } from '../src/cli/bench.ts';
import { loadOptimizer } from '../src/cli/level.ts';
import { compileFor } from '../src/compile-for.ts';

const ROUNDS = Number(arg('rounds', '15'));

console.log(`load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${ROUNDS} round-robin rounds after 3 warm-up runs each, 1 thread`);
for (const name of arg('models', 'resnet18,squeezenet1_1').split(',')) {
  const path = modelPath(name);
  const g = await loadModel(path);
  (await loadOptimizer(2))(g);
  fixInputShapes(g, 1);
  const feeds = randomFeeds(g), gflop = graphFlops(g) / 1e9;
  const input = g.inputs.find((v) => !v.isConst)!, x = feeds[input.name]!;
  const wino = await compileFor('js', g, { threads: 1 }), direct = await compileFor('js', g, { threads: 1, winograd: false });
  const web = await ortRun(true, path, input.name, x.data as Float32Array, [...x.shape]);
  const native = await ortRun(false, path, input.name, x.data as Float32Array, [...x.shape]);
  const runtimes: [string, Run][] = [
    ['layerc js', () => wino.run(feeds)], ['layerc js --no-winograd', () => direct.run(feeds)],
    ['ort-web (wasm)', web.run], ['ort-node', native.run],
  ];
  await roundRobin(name, gflop, runtimes, ROUNDS);
  await wino.dispose(); await direct.dispose(); await web.release(); await native.release();
}
