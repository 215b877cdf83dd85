// Where the backend differential campaign spends its time, per phase, over the first N models of a seed:
//   npx tsx test/props/profile-fuzz.ts [--runs N] [--seed S] [--shared-device] [--shared-workers] [--llvm-opt]
// (--shared-device: one WebGPU device for every compile, --shared-workers: one js worker pool, as the campaign
// does; test/helpers/lavapipe-fast.ts's driver settings unless --llvm-opt, as the campaign does: see fuzz-backends.ts)
// Phases: model generation, reference run + error bounds, per variant: clone + optimize, compile (which for
// js t2 includes starting the worker, for wgsl opening a device and creating pipelines), run, compare, dispose.
import fc from 'fast-check';
import { buildModel, modelCase } from '../helpers/gen-graph.ts';
import { JS_VARIANTS, WGSL_VARIANTS, variantName, compileVariant } from '../helpers/differential.ts';
import { referenceWithBounds } from '../helpers/error-bound.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { optimize } from '../../passes/index.ts';
import { openDevice } from '../../runtime/wgsl/device.ts';
import { WorkerPool } from '../../runtime/js/index.ts';

if (!process.argv.includes('--llvm-opt')) await import('../helpers/lavapipe-fast.ts');
const arg = (n: string, d: string) => { const i = process.argv.indexOf(`--${n}`); return i < 0 ? d : process.argv[i + 1]!; };
const runs = Number(arg('runs', '20')), seed = Number(arg('seed', '13000'));
const device = process.argv.includes('--shared-device') ? await openDevice() : undefined;
const workers = process.argv.includes('--shared-workers') ? new WorkerPool() : undefined;
// Wall time and CPU time (the whole process: main thread, js workers, lavapipe's threads) per phase: on a
// shared machine the CPU time is the figure to compare.
const t: Record<string, number> = {}, cpu: Record<string, number> = {};
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const time = async <T>(k: string, f: () => T | Promise<T>): Promise<T> => {
  const s = performance.now(), c = cpuMs();
  const r = await f();
  t[k] = (t[k] ?? 0) + performance.now() - s; cpu[k] = (cpu[k] ?? 0) + cpuMs() - c;
  return r;
};
const start = performance.now(), cpuStart = cpuMs();
for (let i = 0; i < runs; i++) {
  const c = await time('generate', () => fc.sample(modelCase, { seed: seed + i, numRuns: 1 })[0]!);
  const { graph, feeds } = await time('generate', () => buildModel(c));
  await time('reference+bounds', () => referenceWithBounds(graph, feeds));
  for (const v of [...JS_VARIANTS, ...WGSL_VARIANTS]) {
    const n = variantName(v);
    const g = await time(`${n} clone+optimize`, () => { const g = cloneGraph(graph); if (v.level === 2) optimize(g, { level: 2 }); return g; });
    try {
      const m = await time(`${n} compile`, () => compileVariant(g, v, { training: false, device, workers }));
      await time(`${n} run`, () => m.run(feeds));
      await time(`${n} dispose`, () => m.dispose());
    } catch { /* counted by the campaign, not here */ }
  }
}
const total = performance.now() - start, totalCpu = cpuMs() - cpuStart;
console.log(`${runs} inference models, ${(total / runs).toFixed(0)} ms/model (CPU ${(totalCpu / runs).toFixed(0)} ms/model), ${(runs / total * 1000).toFixed(2)} models/s`);
console.log(`  ${'phase'.padEnd(28)} ${'wall ms/model'.padStart(14)} ${'CPU ms/model'.padStart(13)}  CPU share`);
for (const [k, ms] of Object.entries(t).sort((a, b) => cpu[b[0]]! - cpu[a[0]]!)) {
  console.log(`  ${k.padEnd(28)} ${(ms / runs).toFixed(1).padStart(14)} ${(cpu[k]! / runs).toFixed(1).padStart(13)}  ${(100 * cpu[k]! / totalCpu).toFixed(1)} %`);
}
process.exit(0);
