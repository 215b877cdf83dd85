// Where a LeNet-BN training step (batch 256, SGD) spends its time on the js backend: milliseconds per
// kernel kind (the main thread's view of each phase, barrier included), summed over the timed steps and
// divided by their number, largest first. --cpu times with the process's CPU time instead of the wall clock
// (a loaded machine preempts the step; CPU time counts only what ran, all threads together).
// Usage: npx tsx bench/profile-train.ts [--threads 1] [--steps 6] [--cpu] [--phases [--source]]
import { compileDslFile } from '../src/frontend/dsl.ts';
import { loadDataset, batches } from '../src/train/loop/data.ts';
import { buildTrainingGraph } from '../passes/split-train-infer.ts';
import { stateAsInputs } from '../src/train/loop/trainer.ts';
import { compileGraph } from '../runtime/compile.ts';
import { buildProgram, type Program } from '../runtime/js/program.ts';
import { runProgram } from '../runtime/js/executor.ts';
import { JS_CAPABILITIES } from '../runtime/js/index.ts';
import { lowering } from '../passes/pipelines.ts';
import type { Tensor } from '../src/ir/tensor.ts';

const arg = (name: string, def: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1]! : def; };
const THREADS = Number(arg('threads', '1')), STEPS = Number(arg('steps', '6')), BATCH = 256, WARMUP = 2;
const data = loadDataset('fashion-mnist');
const [batch] = [...batches(data.train, BATCH, 0, 0)];
const model = compileDslFile(new URL('../examples/lenet_bn.layers', import.meta.url).pathname, { seed: 0 });
const tp = buildTrainingGraph(model, { loss: 'cross-entropy', optimizer: { kind: 'sgd', lr: 0.1 }, batch: BATCH });
const frozen = tp.graph.initializers.filter((v) => v.role && !tp.next.has(v));
stateAsInputs(tp.graph, [...tp.next.keys(), ...frozen, ...tp.graph.initializers.filter((v) => v.name === 'optimizer.lr')]);

let program: Program | null = null;
let profile = new Float64Array(0);
const compiled = await compileGraph(tp.graph, { training: true, seed: 0, threads: THREADS, lower: lowering(JS_CAPABILITIES) }, async (g) => {
  program = buildProgram(g, { threads: THREADS, training: true, simd: true });
  profile = new Float64Array(program.phaseNodes.length + 1);
  return runProgram(program, { training: true, seed: 0, profile });
});
const feeds: Record<string, Tensor> = { [tp.input.name]: batch!.x, [tp.labels.name]: batch!.y };
for (const v of tp.graph.inputs) if (v.const && !(v.name in feeds)) feeds[v.name] = v.const;
for (let i = 0; i < WARMUP; i++) await compiled.run(feeds);
profile.fill(0);
if (process.argv.includes('--cpu')) performance.now = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const t0 = performance.now();
for (let i = 0; i < STEPS; i++) await compiled.run(feeds);
const stepMs = (performance.now() - t0) / STEPS;
const p = program as unknown as Program;
const kindOf = new Map(p.kernels.map((k) => [k.node, `${k.op}: ${k.kind}`]));
const byKind = new Map<string, number>();
p.phaseNodes.forEach((node, i) => {
  const k = (kindOf.get(node) ?? node).replace(/\d+x\d+x\d+/g, (m) => m); // kinds carry their shapes
  byKind.set(k, (byKind.get(k) ?? 0) + profile[i]! / STEPS);
});
console.log(`LeNet-BN training step, batch ${BATCH}, ${THREADS} thread(s): ${stepMs.toFixed(1)} ms ${process.argv.includes('--cpu') ? 'CPU' : 'wall'} (${(BATCH / stepMs * 1000).toFixed(0)} images/s)`);
const phaseMs = [...byKind.values()].reduce((a, b) => a + b, 0);
console.log(`phases ${phaseMs.toFixed(1)} ms, outside the phases (feeds, outputs) ${(stepMs - phaseMs).toFixed(1)} ms`);
for (const [k, ms] of [...byKind].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${ms.toFixed(2).padStart(8)} ms  ${k}`);
await compiled.dispose?.();
if (process.argv.includes('--phases')) {
  const idx = [...profile.keys()].filter((i) => i < p.phaseNodes.length).sort((a, b) => profile[b]! - profile[a]!).slice(0, 12);
  for (const i of idx) console.log(`${(profile[i]! / STEPS).toFixed(2).padStart(8)} ms  phase ${i} ${p.phaseNodes[i]} (${kindOf.get(p.phaseNodes[i]!)})`);
  if (process.argv.includes('--source')) console.log(p.source);
}
