// Winograd on and off, side by side with onnxruntime-web (wasm) and onnxruntime-node, at 1 thread, in one process
// and one run: every runtime is set up first, then their runs go round-robin (layerc, layerc --no-winograd,
// ort-web, ort-node, layerc, ...) so a change in the machine's load hits all alike. Prints medians, minima, the
// GFLOP/s of the convs and matrix products (nominal direct FLOPs: a Winograd conv is credited with the
// multiplies it avoids), the ratios to layerc, and the load average (state it with any figure).
//   node --import tsx bench/winograd.ts [--models resnet18,squeezenet1_1] [--rounds 15]
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg, median, modelPath } from './round-robin.ts';
import { graphFlops } from './flops.ts';
import { loadModel } from '../src/frontend/load.ts';
import { fixInputShapes, randomFeeds } from '../src/cli/bench.ts';
import { loadOptimizer } from '../src/cli/level.ts';
import { compileFor } from '../src/compile-for.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(arg('rounds', '15'));

type Run = () => Promise<unknown>;

async function ortRun(web: boolean, path: string, input: string, data: Float32Array, shape: number[]): Promise<{ run: Run; release: () => Promise<void> }> {
  const ort = web ? await import('onnxruntime-web') : await import('onnxruntime-node');
  if (web) {
    const env = (ort as typeof import('onnxruntime-web')).env;
    env.wasm.numThreads = 1;
    env.wasm.wasmPaths = join(HERE, '..', 'node_modules', 'onnxruntime-web', 'dist') + '/';
  }
  const session = await ort.InferenceSession.create(readFileSync(path), web
    ? { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }
    : { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' } as never);
  const tensor = new ort.Tensor('float32', data, shape);
  return { run: () => session.run({ [input]: tensor } as never), release: () => session.release() };
}

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
  for (const [, run] of runtimes) for (let i = 0; i < 3; i++) await run();
  const times: number[][] = runtimes.map(() => []);
  for (let r = 0; r < ROUNDS; r++) for (let t = 0; t < runtimes.length; t++) {
    const t0 = performance.now();
    await runtimes[t]![1]();
    times[t]!.push(performance.now() - t0);
  }
  await wino.dispose(); await direct.dispose(); await web.release(); await native.release();
  const base = median(times[0]!);
  console.log(`\n${name} (${gflop.toFixed(2)} GFLOP nominal; load now ${loadavg()[0]!.toFixed(2)})`);
  console.log(`  ${'runtime'.padEnd(24)} ${'median ms'.padStart(10)} ${'min ms'.padStart(8)} ${'GFLOP/s'.padStart(8)}  median / layerc js`);
  runtimes.forEach(([label], t) => {
    const m = median(times[t]!);
    console.log(`  ${label.padEnd(24)} ${m.toFixed(1).padStart(10)} ${Math.min(...times[t]!).toFixed(1).padStart(8)} ${(gflop / (m / 1000)).toFixed(1).padStart(8)}  ${(m / base).toFixed(2)}x`);
  });
}
