// `npm run bench`: batch-1 latency of layerc's js backend against onnxruntime-web (wasm), onnxruntime-node
// and TensorFlow.js (wasm backend, where it can express the model), at 1 and 2 threads, on SqueezeNet 1.1,
// LeNet-BN, the zoo's tiny_vit and tiny_unet and the bench's own ResNet-18 and MobileNetV2 (./models.ts). Every (model, runtime) pair runs in
// its own child process so peak RSS is that runtime's alone; each child warms up, then reports the median
// of its timed runs. All runtimes load from node_modules: no network.
//   node bench/run.js [--quick] [--models a,b] [--runtimes x,y]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mobilenetV2, resnet18 } from './models.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(HERE, '..', '..', 'shared', 'fixtures', 'models');
const OUT = join(HERE, '.models');

interface Measurement { medianMs: number; minMs: number; runs: number; peakRssBytes: number; gflop?: number; note?: string; optLevel?: number }

/** layerc-js-nowino-1 / -nchw-1: the js backend with Winograd off (winograd: false) / the layout pass off (layout: 'nchw'). */
const RUNTIMES = ['layerc-js-1', 'layerc-js-nowino-1', 'layerc-js-nchw-1', 'layerc-js-2', 'ort-web-1', 'ort-web-2', 'ort-node-1', 'ort-node-2'] as const;

function modelPaths(): Record<string, string> {
  mkdirSync(OUT, { recursive: true });
  const own: Record<string, () => Uint8Array> = { resnet18, mobilenetv2: mobilenetV2 };
  const paths: Record<string, string> = {};
  for (const [name, make] of Object.entries(own)) {
    const p = join(OUT, `${name}.onnx`);
    if (!existsSync(p)) writeFileSync(p, make());
    paths[name] = p;
  }
  paths.squeezenet1_1 = join(FIXTURES, 'squeezenet1_1', 'model.onnx');
  paths.lenet_bn = join(FIXTURES, 'lenet_bn', 'model.onnx');
  // #19's transformer and encoder-decoder exports (PyTorch, opset 17): LayerNorm/GELU/attention, Resize/skips.
  for (const zoo of ['tiny_vit', 'tiny_unet']) paths[zoo] = join(FIXTURES, '..', 'zoo', zoo, 'model.onnx');
  return paths;
}

// ---- child side: one runtime, one model ----

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function timeRuns(run: () => Promise<unknown>, budgetMs: number): Promise<{ medianMs: number; minMs: number; runs: number }> {
  for (let i = 0; i < 3; i++) await run();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 5 || (performance.now() - start < budgetMs && times.length < 200)) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return { medianMs: median(times), minMs: Math.min(...times), runs: times.length };
}

async function child(runtime: string, path: string, budgetMs: number): Promise<Measurement> {
  const threads = Number(runtime.slice(runtime.lastIndexOf('-') + 1));
  const { loadModel } = await import('../src/frontend/load.ts');
  const { fixInputShapes, randomFeeds } = await import('../src/cli/bench.ts');
  const g = await loadModel(path);
  fixInputShapes(g, 1);
  const feeds = randomFeeds(g);
  const gflop = (await import('./flops.ts')).graphFlops(g) / 1e9;
  const input = g.inputs[0]!;
  if (runtime.startsWith('layerc-js')) {
    let optLevel = 2;
    const { loadOptimizer } = await import('../src/cli/level.ts');
    let optimize = await loadOptimizer(2).catch(() => null);
    if (!optimize) { optLevel = 0; optimize = () => {}; }
    optimize(g);
    fixInputShapes(g, 1);
    const { compileFor } = await import('../src/compile-for.ts');
    const m = await compileFor('js', g, { threads, ...(runtime.includes('nowino') ? { winograd: false } : {}), ...(runtime.includes('nchw') ? { layout: 'nchw' as const } : {}) });
    const r = await timeRuns(() => m.run(feeds), budgetMs);
    await m.dispose();
    return { ...r, peakRssBytes: process.resourceUsage().maxRSS * 1024, gflop, optLevel };
  }
  const data = feeds[input.name]!;
  if (runtime.startsWith('ort-')) {
    const web = runtime.startsWith('ort-web');
    const ort = web ? await import('onnxruntime-web') : await import('onnxruntime-node');
    if (web) {
      const env = (ort as typeof import('onnxruntime-web')).env;
      env.wasm.numThreads = threads;
      env.wasm.wasmPaths = join(HERE, '..', 'node_modules', 'onnxruntime-web', 'dist') + '/';
    }
    const session = await ort.InferenceSession.create(readFileSync(path), web
      ? { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }
      : { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' } as never);
    const tensor = new ort.Tensor('float32', data.data as Float32Array, data.shape as number[]);
    const r = await timeRuns(() => session.run({ [input.name]: tensor } as never), budgetMs);
    await session.release();
    return { ...r, peakRssBytes: process.resourceUsage().maxRSS * 1024, gflop };
  }
  throw new Error(`unknown runtime ${runtime}`);
}

// ---- parent side ----

function runChild(runtime: string, name: string, path: string, budgetMs: number): Measurement | { error: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', runtime, path, String(budgetMs)], {
    encoding: 'utf8', timeout: 180_000, env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  const line = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || !line) return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-2).join(' ').slice(0, 160) };
  void name;
  return JSON.parse(line) as Measurement;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    const m = await child(args[1]!, args[2]!, Number(args[3]));
    console.log(JSON.stringify(m));
    process.exit(0);
  }
  const opt = (k: string) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };
  const quick = args.includes('--quick');
  const budget = quick ? 1500 : 6000;
  const paths = modelPaths();
  const models = (opt('--models') ?? 'resnet18,mobilenetv2,squeezenet1_1,lenet_bn,tiny_vit,tiny_unet').split(',');
  const runtimes = (opt('--runtimes') ?? RUNTIMES.join(',')).split(',');
  const results: Record<string, Record<string, Measurement | { error: string }>> = {};
  for (const model of models) {
    results[model] = {};
    console.log(`\n${model} (input shapes as in the model, symbolic dims = 1)`);
    console.log(`  ${'runtime'.padEnd(18)} ${'median ms'.padStart(10)} ${'min ms'.padStart(8)} ${'GFLOP/s'.padStart(8)} ${'peak RSS'.padStart(10)}  vs layerc-js-1`);
    for (const rt of runtimes) {
      const r = runChild(rt, model, paths[model]!, budget);
      results[model]![rt] = r;
      const base = results[model]!['layerc-js-1'];
      if ('error' in r) { console.log(`  ${rt.padEnd(18)} failed: ${r.error}`); continue; }
      const ratio = base && !('error' in base) ? (r.medianMs / base.medianMs).toFixed(2) + 'x' : '';
      const gf = r.gflop ? (r.gflop / (r.medianMs / 1000)).toFixed(1) : '';
      const rss = ((r.peakRssBytes / 2 ** 20).toFixed(0) + ' MiB').padStart(10), level = r.optLevel !== undefined ? `  (-O${r.optLevel})` : '';
      console.log(`  ${rt.padEnd(18)} ${r.medianMs.toFixed(2).padStart(10)} ${r.minMs.toFixed(2).padStart(8)} ${gf.padStart(8)} ${rss}  ${ratio}${level}`);
    }
  }
  writeFileSync(join(OUT, 'last-run.json'), JSON.stringify(results, null, 2));
  console.log(`\nratio column: runtime median / layerc-js-1 median (> 1 means layerc is faster). Raw results: ${join(OUT, 'last-run.json')}`);
}

await main();
