// Where one inference run spends its time on the js backend: CPU milliseconds per kernel kind (the main
// thread's view of each phase, summed over the timed runs and divided by their number), largest first. CPU time,
// not the wall clock: on a loaded machine the run is preempted, and CPU time counts only what ran.
//   node --import tsx bench/profile-infer.ts MODEL.onnx [--no-winograd] [--layout nchw] [--threads 1] [--runs 10] [--top 16]
import { loadModel } from '../src/frontend/load.ts';
import { fixInputShapes, randomFeeds } from '../src/cli/bench.ts';
import { loadOptimizer } from '../src/cli/level.ts';
import { buildProgram } from '../runtime/js/program.ts';
import { runProgram } from '../runtime/js/executor.ts';
import { JS_CAPABILITIES } from '../runtime/js/index.ts';
import { lowering } from '../passes/pipelines.ts';

const arg = (k: string, d: string) => { const i = process.argv.indexOf(`--${k}`); return i >= 0 ? process.argv[i + 1]! : d; };
const RUNS = Number(arg('runs', '10')), THREADS = Number(arg('threads', '1'));
const g = await loadModel(process.argv[2]!);
(await loadOptimizer(2))(g);
fixInputShapes(g, 1);
lowering(JS_CAPABILITIES)(g);
const feeds = randomFeeds(g);
const p = buildProgram(g, { threads: THREADS, training: false, simd: true, winograd: !process.argv.includes('--no-winograd'), layout: arg('layout', 'auto') as 'auto' | 'nchw' });
const profile = new Float64Array(p.phaseNodes.length + 1);
const m = await runProgram(p, { profile });
for (let i = 0; i < 3; i++) await m.run(feeds);
profile.fill(0);
performance.now = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const t0 = performance.now();
for (let i = 0; i < RUNS; i++) await m.run(feeds);
const total = (performance.now() - t0) / RUNS;
await m.dispose();
// Kinds without their GEMM shapes, so the layers of one kind add up.
const kindOf = new Map(p.kernels.map((k) => [k.node, k.kind.replace(/ (\d+ gemms|gemm) .*$/, '')]));
const byKind = new Map<string, number>();
p.phaseNodes.forEach((node, i) => { const k = kindOf.get(node) ?? node; byKind.set(k, (byKind.get(k) ?? 0) + profile[i]! / RUNS); });
console.log(`${process.argv[2]}: ${total.toFixed(1)} ms CPU per run, ${THREADS} thread(s)`);
for (const [k, ms] of [...byKind].sort((a, b) => b[1] - a[1]).slice(0, Number(arg('top', '16')))) console.log(`${ms.toFixed(2).padStart(8)} ms  ${k}`);
