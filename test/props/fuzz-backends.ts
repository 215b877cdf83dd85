// The long backend differential campaign, out of vitest:
//   npm run fuzz:backends -- --runs N [--seed S] [--training-every K] [--no-wgsl] [--only I]
// Model i is fast-check's first draw for seed S + i (inference models from test/helpers/gen-graph.ts; every
// K-th one, default 5, a training step from test/dsl/gen.ts arbTrainingProgram), run on every variant (js t1/t2,
// wgsl; -O0 and -O2) against the reference within the derived bounds. A failure is shrunk by fast-check and
// printed with its reproducer (`--seed S --only i`) and the shrunk counterexample, which belongs in
// test/props/backends.test.ts as a regression. The summary counts models per variant and per op.
import fc from 'fast-check';
import { buildModel, modelCase } from '../helpers/gen-graph.ts';
import { compareBackends, JS_VARIANTS, WGSL_VARIANTS, variantName, type Verdict } from '../helpers/differential.ts';
import { compareTrainingStep, trainingStep, type TrainCase } from '../helpers/differential-train.ts';
import { arbTrainingProgram } from '../dsl/gen.ts';
import { getGpu } from '../../runtime/wgsl/device.ts';

function arg(name: string, dflt?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
}
const runs = Number(arg('runs', '100'));
const seed = Number(arg('seed', String(Date.now() % 1e9)));
const trainingEvery = Number(arg('training-every', '5'));
const only = arg('only');
const wgsl = !process.argv.includes('--no-wgsl') && !!(await (await getGpu()).requestAdapter());
const variants = [...JS_VARIANTS, ...(wgsl ? WGSL_VARIANTS : [])];

const arbTraining = fc.record({ p: arbTrainingProgram, batch: fc.integer({ min: 1, max: 3 }), opt: fc.constantFrom('sgd', 'momentum', 'adam'), seed: fc.integer({ min: 1, max: 1e6 }) })
  .map(({ p, batch, opt, seed: s }): TrainCase => ({ src: p.src, batch, loss: p.rank === 2 && p.features >= 2 && s % 2 ? 'cross-entropy' : 'mse',
    optimizer: { kind: opt as 'sgd', lr: 0.05 }, seed: s }));

const perVariant: Record<string, { models: number; failed: number }> = {};
const perOp: Record<string, { models: number; failed: number }> = {};
const failures: string[] = [];
let models = 0, training = 0;

function count(ops: string[], v: Verdict): void {
  const failed = new Set(v.disagreements.map((d) => d.variant));
  for (const name of variants.map(variantName)) {
    const c = (perVariant[name] ??= { models: 0, failed: 0 });
    c.models++;
    if (failed.has(name)) c.failed++;
  }
  for (const op of new Set(ops)) {
    const c = (perOp[op] ??= { models: 0, failed: 0 });
    c.models++;
    if (failed.size) c.failed++;
  }
}

const start = Date.now();
// A campaign stopped early (kill PID, Ctrl-C) still prints what it ran.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { summary(); process.exit(failures.length ? 1 : 130); });
const indices = only !== undefined ? [Number(only)] : Array.from({ length: runs }, (_, i) => i);
for (const i of indices) {
  const isTraining = trainingEvery > 0 && i % trainingEvery === trainingEvery - 1;
  let first = true;
  const property: fc.IAsyncProperty<[unknown]> = isTraining
    ? fc.asyncProperty(arbTraining, async (c) => {
      const v = await compareTrainingStep(c, variants);
      if (first) { first = false; training++; count(trainingStep(c).graph.nodes.map((n) => `train:${n.op}`), v); }
      if (v.disagreements.length) throw new Error(JSON.stringify(v.disagreements.slice(0, 4)));
    }) as fc.IAsyncProperty<[unknown]>
    : fc.asyncProperty(modelCase, async (c) => {
      const { graph, feeds } = buildModel(c);
      const v = await compareBackends(graph, feeds, variants);
      if (first) { first = false; count(graph.nodes.map((n) => n.op), v); }
      if (v.disagreements.length) throw new Error(JSON.stringify(v.disagreements.slice(0, 4)));
    }) as fc.IAsyncProperty<[unknown]>;
  const r = await fc.check(property, { seed: seed + i, numRuns: 1, endOnFailure: false });
  models++;
  if (r.failed) {
    const msg = `FAIL model ${i} (${isTraining ? 'training' : 'inference'}): reproduce with --seed ${seed} --only ${i}\n` +
      `  shrunk counterexample: ${JSON.stringify(r.counterexample)}\n  ${String((r.errorInstance as Error | undefined)?.message ?? 'interrupted').split('\n')[0]!.slice(0, 600)}`;
    failures.push(msg);
    console.log(msg);
  }
  if (models % 50 === 0) console.log(`${models} models (${training} training steps), ${failures.length} failing, ${((Date.now() - start) / models / 1000).toFixed(2)} s/model`);
}

function summary(): void {
const secs = (Date.now() - start) / 1000;
console.log(`\nbackend differential campaign: seed ${seed}, ${models} models (${models - training} inference, ${training} training steps), ` +
  `${secs.toFixed(0)} s (${(models / secs).toFixed(2)} models/s), variants ${variants.length}${wgsl ? '' : ' (no wgsl adapter)'}`);
console.log('per variant (models compared / models disagreeing):');
for (const [k, c] of Object.entries(perVariant)) console.log(`  ${k.padEnd(10)} ${c.models} / ${c.failed}`);
console.log('per op (models containing it / of those failing):');
for (const [k, c] of Object.entries(perOp).sort((a, b) => b[1].models - a[1].models)) console.log(`  ${k.padEnd(34)} ${c.models} / ${c.failed}`);
console.log(`${failures.length} failing model(s)`);
}
summary();
process.exit(failures.length ? 1 : 0);
