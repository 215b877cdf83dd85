// The js backend's layout pass (runtime/js/layout.ts, NCHWc4 regions) on and off, side by side with onnxruntime-web
// (wasm) and onnxruntime-node, 1 thread, one process, runs interleaved round-robin (./round-robin.ts) so load changes
// hit all alike. Per model: how many kernels run blocked, medians, minima, GFLOP/s and the ratios to layerc (pass on);
// the two layerc variants' outputs are compared (the blocked kernels sum in the NCHW kernels' order: equal).
//   node --import tsx bench/layout.ts [--models mobilenetv2,resnet18,squeezenet1_1] [--rounds 21]
import { loadavg } from 'node:os';
import { arg, modelPath, ortRun, roundRobin, type Run } from './round-robin.ts';
import { graphFlops } from './flops.ts';
import { loadModel } from '../src/frontend/load.ts';
import { fixInputShapes, randomFeeds } from '../src/cli/bench.ts';
import { loadOptimizer } from '../src/cli/level.ts';
import { compileFor } from '../src/compile-for.ts';
import { cloneGraph } from '../src/ir/clone.ts';
import { lowerInPlace } from '../passes/pipelines.ts';
import { compileProgram, JS_CAPABILITIES } from '../runtime/js/index.ts';

const ROUNDS = Number(arg('rounds', '21'));

console.log(`load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${ROUNDS} round-robin rounds after 3 warm-up runs each, 1 thread`);
for (const name of arg('models', 'mobilenetv2,resnet18,squeezenet1_1').split(',')) {
  const path = modelPath(name);
  const g = await loadModel(path);
  (await loadOptimizer(2))(g);
  fixInputShapes(g, 1);
  const feeds = randomFeeds(g), gflop = graphFlops(g) / 1e9;
  const low = cloneGraph(g);
  lowerInPlace(low, JS_CAPABILITIES);
  const kinds = compileProgram(low, { threads: 1 }).kernels.map((k) => k.kind);
  const input = g.inputs.find((v) => !v.isConst)!, x = feeds[input.name]!;
  const on = await compileFor('js', g, { threads: 1 }), off = await compileFor('js', g, { threads: 1, layout: 'nchw' });
  const [a, b] = [Object.values(await on.run(feeds))[0]!.data, Object.values(await off.run(feeds))[0]!.data] as Float32Array[];
  const diff = a!.reduce((m, v, i) => Math.max(m, Math.abs(v - b![i]!)), 0);
  console.log(`\n${name}: ${kinds.filter((k) => k.startsWith('blocked')).length} of ${kinds.length} kernels blocked; max |on - off| = ${diff}`);
  const web = await ortRun(true, path, input.name, x.data as Float32Array, [...x.shape]);
  const native = await ortRun(false, path, input.name, x.data as Float32Array, [...x.shape]);
  const runtimes: [string, Run][] = [
    ['layerc js', () => on.run(feeds)], ['layerc js --layout nchw', () => off.run(feeds)],
    ['ort-web (wasm)', web.run], ['ort-node', native.run],
  ];
  await roundRobin(name, gflop, runtimes, ROUNDS);
  await on.dispose(); await off.dispose(); await web.release(); await native.release();
}
