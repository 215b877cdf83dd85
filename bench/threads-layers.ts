// Per layer, how a model's js program scales from 1 thread to 2, measured in place: both programs run whole
// (alternating 1T, 2T, ...) with the executor's per-phase profile (the main thread's wall clock per phase, its
// barrier wait included), and each phase keeps its minimum over the runs, so a preempted run does not decide it.
// Unlike bench/threads-balance.ts (each thread's share timed alone on one core) this sees what running the two
// shares at once costs: memory contention, the barrier handoff, a late worker. The sums of the per-phase minima
// bound what a quiet machine can reach; the sums of per-phase medians and the median whole runs beside them show
// what this machine gave (a phase's median above its minimum: late wake-ups, a thread preempted mid-phase).
//   node --import tsx bench/threads-layers.ts [--models resnet18] [--runs 25] [--layout auto|nchw]
import { loadavg } from 'node:os';
import { arg, median, modelPath } from './round-robin.ts';
import { loadModel } from '../src/frontend/load.ts';
import { fixInputShapes, randomFeeds } from '../src/cli/bench.ts';
import { loadOptimizer } from '../src/cli/level.ts';
import { buildProgram } from '../runtime/js/program.ts';
import { runProgram } from '../runtime/js/executor.ts';
import { JS_CAPABILITIES } from '../runtime/js/index.ts';
import { lowering } from '../passes/pipelines.ts';

const RUNS = Number(arg('runs', '25'));
for (const name of arg('models', 'resnet18').split(',')) {
  const g = await loadModel(modelPath(name));
  (await loadOptimizer(2))(g);
  fixInputShapes(g, 1);
  lowering(JS_CAPABILITIES)(g);
  const feeds = randomFeeds(g);
  const programs = [1, 2].map((threads) => buildProgram(g, { threads, training: false, simd: true, layout: arg('layout', 'auto') as 'auto' | 'nchw' }));
  const profiles = programs.map((p) => new Float64Array(p.phaseNodes.length + 1));
  const models = await Promise.all(programs.map((p, t) => runProgram(p, { profile: profiles[t] })));
  const samples: number[][][] = programs.map((p) => p.phaseNodes.map(() => []));
  const runs: number[][] = [[], []];
  for (let r = 0; r < RUNS + 3; r++) for (let t = 0; t < 2; t++) {
    profiles[t]!.fill(0);
    const t0 = performance.now();
    await models[t]!.run(feeds);
    if (r < 3) continue; // warm-up
    runs[t]!.push(performance.now() - t0);
    samples[t]!.forEach((xs, i) => xs.push(profiles[t]![i]!));
  }
  for (const m of models) await m.dispose();
  /** Per node: the sum of its phases' minima (or medians). */
  const perNode = (t: number, stat: (xs: number[]) => number) => {
    const m = new Map<string, number>();
    programs[t]!.phaseNodes.forEach((n, i) => m.set(n, (m.get(n) ?? 0) + stat(samples[t]![i]!)));
    return m;
  };
  const least = (xs: number[]) => Math.min(...xs);
  const [one, two] = [perNode(0, least), perNode(1, least)];
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const [oneMed, twoMed] = [perNode(0, median), perNode(1, median)];
  console.log(`${name}: load ${loadavg()[0]!.toFixed(2)}; median run 1T ${median(runs[0]!).toFixed(1)} ms, 2T ${median(runs[1]!).toFixed(1)} ms; ` +
    `sum of per-phase minima 1T ${sum(one).toFixed(1)} ms, 2T ${sum(two).toFixed(1)} ms -> ${(sum(one) / sum(two)).toFixed(2)}x; ` +
    `of per-phase medians 1T ${sum(oneMed).toFixed(1)} ms, 2T ${sum(twoMed).toFixed(1)} ms -> ${(sum(oneMed) / sum(twoMed)).toFixed(2)}x`);
  const kindOf = new Map(programs[1]!.kernels.map((k) => [k.node, k.kind]));
  for (const [n, t1] of one) {
    const t2 = two.get(n) ?? 0;
    const m1 = oneMed.get(n)!, m2 = twoMed.get(n)!;
    console.log(`  ${n.padEnd(22)} 1T ${t1.toFixed(3)}  2T ${t2.toFixed(3)} ms  ${(t1 / t2).toFixed(2)}x  (medians ${m1.toFixed(3)} / ${m2.toFixed(3)})  ${kindOf.get(n)}`);
  }
}
