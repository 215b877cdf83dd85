// The long backend differential campaign, out of vitest:
//   npx tsx test/props/fuzz-backends.ts --runs N [--seed S] [--minutes M] [--jobs J] [--training-every K] [--no-wgsl]
//     [--llvm-opt] [--only I] [--from F] [--checkpoint-every C]   (npm run fuzz:backends -- ... runs the same)
// Model i is fast-check's first draw for seed S + i (inference models from test/helpers/gen-graph.ts; every
// K-th one, default 5, a training step from test/dsl/gen.ts arbTrainingProgram), run on every variant (js t1/t2,
// wgsl; -O0 and -O2) against the reference within the derived bounds. A failure is shrunk by fast-check and
// printed with its reproducer (`--seed S --only i`) and the shrunk counterexample, which belongs in
// test/props/backends.test.ts as a regression. The summary counts models per variant (a -O2 variant whose
// optimized graph is the -O0 one is counted as "same graph", not run twice) and per op.
//
// Cost (see test/props/profile-fuzz.ts): on a CPU WebGPU adapter (lavapipe) most of a model's time is LLVM
// building each new WGSL pipeline at its first dispatch, for kernels that then run on a few hundred elements; so
// the campaign builds them without LLVM's optimization passes and with 4-wide vectors (test/helpers/lavapipe-fast.ts;
// --llvm-opt keeps the driver's defaults; results are checked against the reference either way), waits for the
// GPU without spinning (runtime/wgsl/gpu-wait.ts), opens one WebGPU device for all models whose compiled pipelines
// are shared by WGSL source (the -O2 variant reuses most of -O0's), and skips same-graph -O2 variants. The js
// 2-thread variants borrow their worker from one pool (runtime/js/worker-pool.ts), started once. --jobs J splits the models over J processes (model i to process i mod J).
// --from F runs models F .. F+N-1 of seed S: a campaign stopped at model F goes on where it stopped (same models,
// same training-step positions, same reproducers) in a later session.
// It stops after --runs models or --minutes M, whichever comes first, and prints the summary; SIGINT/SIGTERM/
// SIGHUP print it too (run it with `npx tsx`, not under npm, when a signal must reach it: npm may not wait).
// Every C models (default 500) each shard prints `@@checkpoint {json}`: seed, shard, models, training steps,
// failing models, seconds and the per-variant and per-op counts so far; a campaign killed abruptly (SIGKILL,
// no summary) still leaves them in its log: sum the last checkpoint of each shard.
import fc from 'fast-check';
import { writeSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { buildModel, modelCase } from '../helpers/gen-graph.ts';
import { compareBackends, JS_VARIANTS, WGSL_VARIANTS, variantName, type Shared, type Verdict } from '../helpers/differential.ts';
import { compareTrainingStep, trainingStep, type TrainCase } from '../helpers/differential-train.ts';
import { arbTrainingProgram } from '../dsl/gen.ts';
import { getGpu, openDevice } from '../../runtime/wgsl/device.ts';
import { WorkerPool } from '../../runtime/js/index.ts';

function arg(name: string, dflt?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
}
if (!process.argv.includes('--llvm-opt')) await import('../helpers/lavapipe-fast.ts');
const runs = Number(arg('runs', '100'));
const seed = Number(arg('seed', String(Date.now() % 1e9)));
const minutes = Number(arg('minutes', 'Infinity'));
const jobs = Number(arg('jobs', '1'));
const [shard, shards] = (arg('shard', '0/1')!).split('/').map(Number) as [number, number];
const trainingEvery = Number(arg('training-every', '5'));
const from = Number(arg('from', '0'));
const only = arg('only');
const checkpointEvery = Number(arg('checkpoint-every', '500'));
const say = (s: string) => writeSync(1, `${s}\n`);
const startedAt = Date.now();

interface Counts { models: number; training: number; secs: number; perVariant: Record<string, { models: number; same: number; failed: number }>;
  perOp: Record<string, { models: number; failed: number }>; failures: string[]; variants: number; wgsl: boolean }

if (jobs > 1 && only === undefined) await parent();
else await campaign();

/** --jobs J: J child processes, one shard each; their counts are merged into one summary. */
async function parent(): Promise<void> {
  const start = Date.now();
  const args = process.argv.slice(2).filter((_, i, a) => a[i] !== '--jobs' && a[i - 1] !== '--jobs');
  const all: Counts[] = [];
  const children = Array.from({ length: jobs }, (_, j) => spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args, '--seed', String(seed), '--shard', `${j}/${jobs}`],
    { stdio: ['ignore', 'pipe', 'inherit'] }));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => children.forEach((c) => c.kill('SIGTERM')));
  await Promise.all(children.map((c) => new Promise<void>((res) => {
    let buf = '';
    c.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl); buf = buf.slice(nl + 1);
        if (line.startsWith('@@counts ')) all.push(JSON.parse(line.slice(9)) as Counts); else say(line);
      }
    });
    c.on('exit', () => res());
  })));
  const merged: Counts = { models: 0, training: 0, secs: (Date.now() - start) / 1000, perVariant: {}, perOp: {}, failures: [], variants: all[0]?.variants ?? 0, wgsl: all[0]?.wgsl ?? false };
  for (const c of all) {
    merged.models += c.models; merged.training += c.training; merged.failures.push(...c.failures);
    for (const [k, v] of Object.entries(c.perVariant)) { const m = (merged.perVariant[k] ??= { models: 0, same: 0, failed: 0 }); m.models += v.models; m.same += v.same; m.failed += v.failed; }
    for (const [k, v] of Object.entries(c.perOp)) { const m = (merged.perOp[k] ??= { models: 0, failed: 0 }); m.models += v.models; m.failed += v.failed; }
  }
  summary(merged, `${jobs} processes`);
  process.exit(merged.failures.length ? 1 : 0);
}

async function campaign(): Promise<void> {
  const wgsl = !process.argv.includes('--no-wgsl') && !!(await (await getGpu()).requestAdapter());
  const variants = [...JS_VARIANTS, ...(wgsl ? WGSL_VARIANTS : [])];
  const shared: Shared = { device: wgsl ? await openDevice() : undefined, workers: new WorkerPool() };
  const arbTraining = fc.record({ p: arbTrainingProgram, batch: fc.integer({ min: 1, max: 3 }), opt: fc.constantFrom('sgd', 'momentum', 'adam'), seed: fc.integer({ min: 1, max: 1e6 }) })
    .map(({ p, batch, opt, seed: s }): TrainCase => ({ src: p.src, batch, loss: p.rank === 2 && p.features >= 2 && s % 2 ? 'cross-entropy' : 'mse',
      optimizer: { kind: opt as 'sgd', lr: 0.05 }, seed: s }));
  const start = Date.now();
  const counts: Counts = { models: 0, training: 0, secs: 0, perVariant: {}, perOp: {}, failures: [], variants: variants.length, wgsl };
  const count = (ops: string[], v: Verdict) => {
    const failed = new Set(v.disagreements.map((d) => d.variant));
    for (const name of variants.map(variantName)) {
      const c = (counts.perVariant[name] ??= { models: 0, same: 0, failed: 0 });
      c.models++;
      if (v.same.includes(name)) c.same++;
      if (failed.has(name)) c.failed++;
    }
    for (const op of new Set(ops)) {
      const c = (counts.perOp[op] ??= { models: 0, failed: 0 });
      c.models++;
      if (failed.size) c.failed++;
    }
  };
  const finish = (code?: number) => {
    counts.secs = (Date.now() - start) / 1000;
    if (shards > 1) say(`@@counts ${JSON.stringify(counts)}`); else summary(counts, '1 process');
    process.exit(code ?? (counts.failures.length ? 1 : 0));
  };
  // A campaign stopped early (kill PID, Ctrl-C, timeout) still prints what it ran.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => finish(counts.failures.length ? 1 : 130));
  const indices = only !== undefined ? [Number(only)] : Array.from({ length: runs }, (_, i) => from + i).filter((i) => i % shards === shard);
  for (const i of indices) {
    if (Date.now() - start > minutes * 60_000) break;
    const isTraining = trainingEvery > 0 && i % trainingEvery === trainingEvery - 1;
    let first = true;
    const verdict = async (v: Verdict) => {
      // A lost or poisoned shared device would fail every later model: reopen it after any wgsl error.
      if (shared.device && v.disagreements.some((d) => d.error && d.variant.startsWith('wgsl'))) { shared.device.device.destroy(); shared.device = await openDevice(); }
      if (v.disagreements.length) throw new Error(JSON.stringify(v.disagreements.slice(0, 4)));
    };
    const property: fc.IAsyncProperty<[unknown]> = isTraining
      ? fc.asyncProperty(arbTraining, async (c) => {
        const step = trainingStep(c);
        const v = await compareTrainingStep(c, variants, shared, step);
        if (first) { first = false; counts.training++; count(step.graph.nodes.map((n) => `train:${n.op}`), v); }
        await verdict(v);
      }) as fc.IAsyncProperty<[unknown]>
      : fc.asyncProperty(modelCase, async (c) => {
        const { graph, feeds } = buildModel(c);
        const v = await compareBackends(graph, feeds, variants, shared);
        if (first) { first = false; count(graph.nodes.map((n) => n.op), v); }
        await verdict(v);
      }) as fc.IAsyncProperty<[unknown]>;
    const r = await fc.check(property, { seed: seed + i, numRuns: 1, endOnFailure: false });
    counts.models++;
    if (r.failed) {
      const msg = `FAIL model ${i} (${isTraining ? 'training' : 'inference'}): reproduce with --seed ${seed} --only ${i}\n` +
        `  shrunk counterexample: ${JSON.stringify(r.counterexample)}\n  ${String((r.errorInstance as Error | undefined)?.message ?? 'interrupted').split('\n')[0]!.slice(0, 600)}`;
      counts.failures.push(msg);
      say(msg);
    }
    if (counts.models % checkpointEvery === 0) checkpoint(counts);
    if (counts.models % 100 === 0) say(`${shards > 1 ? `[${shard}/${shards}] ` : ''}${counts.models} models (${counts.training} training steps), ${counts.failures.length} failing, ${(counts.models / ((Date.now() - start) / 1000)).toFixed(2)} models/s`);
  }
  finish();
}

/** One parseable line of this shard's counts so far, so a campaign killed without its summary (SIGKILL, a lost
 *  machine) still leaves them in the log: the last checkpoint of each shard, summed, is what ran by then. */
function checkpoint(c: Counts): void {
  say(`@@checkpoint ${JSON.stringify({ seed, from, shard: `${shard}/${shards}`, models: c.models, training: c.training, failing: c.failures.length,
    secs: Math.round((Date.now() - startedAt) / 1000), perVariant: c.perVariant, perOp: c.perOp })}`);
}

function summary(c: Counts, how: string): void {
  say(`\nbackend differential campaign: seed ${seed}${from ? ` from model ${from}` : ''}, ${c.models} models (${c.models - c.training} inference, ${c.training} training steps), ` +
    `${c.secs.toFixed(0)} s (${(c.models / c.secs).toFixed(2)} models/s, ${how}), variants ${c.variants}${c.wgsl ? '' : ' (no wgsl adapter)'}`);
  say('per variant (models compared / of those "same graph" as -O0, not rerun / models disagreeing):');
  for (const [k, v] of Object.entries(c.perVariant)) say(`  ${k.padEnd(14)} ${v.models} / ${v.same} / ${v.failed}`);
  say('per op (models containing it / of those failing):');
  for (const [k, v] of Object.entries(c.perOp).sort((a, b) => b[1].models - a[1].models)) say(`  ${k.padEnd(34)} ${v.models} / ${v.failed}`);
  say(`${c.failures.length} failing model(s)`);
  for (const f of c.failures) say(f);
}
