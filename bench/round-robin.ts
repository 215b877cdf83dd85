// What the round-robin benches (threads.ts, winograd.ts, layout.ts) share: their `--name value` options, the median
// of a run's samples, the path of a bench model (ResNet-18 and MobileNetV2 are built by ./models.ts and cached
// in bench/.models; the others come from ../shared/fixtures/models), onnxruntime sessions at 1 thread, and the
// round-robin itself (every runtime warmed up, then one run of each per round, so load changes hit all alike).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mobilenetV2, resnet18 } from './models.ts';
import type { Tensor } from '../src/ir/tensor.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

export const arg = (k: string, d: string) => { const i = process.argv.indexOf(`--${k}`); return i >= 0 ? process.argv[i + 1]! : d; };

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export function modelPath(name: string): string {
  const own: Record<string, () => Uint8Array> = { resnet18, mobilenetv2: mobilenetV2 };
  if (!own[name]) return join(HERE, '..', '..', 'shared', 'fixtures', 'models', name, 'model.onnx');
  mkdirSync(join(HERE, '.models'), { recursive: true });
  const p = join(HERE, '.models', `${name}.onnx`);
  if (!existsSync(p)) writeFileSync(p, own[name]!());
  return p;
}

export type Run = () => Promise<unknown>;

/** An onnxruntime-web (wasm) or onnxruntime-node (CPU) session of the model at `path`, 1 thread, as a Run. */
export async function ortRun(web: boolean, path: string, input: string, data: Float32Array, shape: number[]): Promise<{ run: Run; release: () => Promise<void> }> {
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

/**
 * Runs `runtimes` round-robin (3 warm-up runs each, then `rounds` rounds of one run each) and prints median, min,
 * GFLOP/s (of `gflop` nominal), each median over the first runtime's, and the median process CPU time per run
 * (1 thread: preemption on a loaded machine inflates the wall clock, not the CPU time).
 */
export async function roundRobin(name: string, gflop: number, runtimes: [string, Run][], rounds: number): Promise<number[]> {
  for (const [, run] of runtimes) for (let i = 0; i < 3; i++) await run();
  const times: number[][] = runtimes.map(() => []), cpu: number[][] = runtimes.map(() => []);
  const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  for (let r = 0; r < rounds; r++) for (let t = 0; t < runtimes.length; t++) {
    const t0 = performance.now(), c0 = cpuMs();
    await runtimes[t]![1]();
    times[t]!.push(performance.now() - t0);
    cpu[t]!.push(cpuMs() - c0);
  }
  const base = median(times[0]!), cpuBase = median(cpu[0]!);
  console.log(`\n${name} (${gflop.toFixed(2)} GFLOP nominal; load now ${loadavg()[0]!.toFixed(2)})`);
  console.log(`  ${'runtime'.padEnd(24)} ${'median ms'.padStart(10)} ${'min ms'.padStart(8)} ${'GFLOP/s'.padStart(8)}  ${'ratio'.padStart(6)}  ${'CPU ms'.padStart(7)}  ${'ratio'.padStart(6)}  (ratios: over ${runtimes[0]![0]})`);
  runtimes.forEach(([label], t) => {
    const m = median(times[t]!), c = median(cpu[t]!);
    console.log(`  ${label.padEnd(24)} ${m.toFixed(1).padStart(10)} ${Math.min(...times[t]!).toFixed(1).padStart(8)} ${(gflop / (m / 1000)).toFixed(1).padStart(8)}  ${(m / base).toFixed(2).padStart(5)}x  ${c.toFixed(1).padStart(7)}  ${(c / cpuBase).toFixed(2).padStart(5)}x`);
  });
  return times.map(median);
}

type Feeds = Record<string, Tensor>;

/** Two compiled variants of one model in CPU time, ABBA order (neither always runs second) after 3 warm-up
 *  rounds: each one's median and minimum in ms, and the largest |difference| between their first outputs. */
export async function cpuAbba(variants: [{ run(f: Feeds): Promise<Feeds> }, { run(f: Feeds): Promise<Feeds> }], feeds: Feeds, runs: number) {
  const times: [number[], number[]] = [[], []];
  const outs: Feeds[] = [{}, {}];
  for (let r = 0; r < runs + 3; r++) {
    for (const i of r % 2 ? [1, 0] : [0, 1]) {
      const t0 = process.cpuUsage();
      outs[i] = await variants[i]!.run(feeds);
      const dt = process.cpuUsage(t0);
      if (r >= 3) times[i]!.push((dt.user + dt.system) / 1000);
    }
  }
  const [a, b] = outs.map((o) => o[Object.keys(o)[0]!]!);
  let maxDiff = 0;
  for (let i = 0; i < a!.size; i++) maxDiff = Math.max(maxDiff, Math.abs(a!.data[i]! - b!.data[i]!));
  return { median: times.map(median) as [number, number], min: times.map((t) => Math.min(...t)) as [number, number], maxDiff };
}
