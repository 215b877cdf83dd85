// One training step on the js backend against the same step on the reference interpreter, for the example
// models (MLP-BN with MSE, LeNet-BN with cross-entropy) and a small CNN with relu, padded average pooling,
// overlapping max pooling and dropout: loss, every updated parameter, running statistic and optimizer moment.
// Then random small CNNs (fast-check: prime sizes, 1x1 and large kernels, stride > kernel, padded pools).
// Also: every training op of these models runs on a kernel (none through the per-node reference fallback).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { compileDsl, compileDslFile } from '../../src/frontend/dsl.ts';
import { buildTrainingGraph } from '../../passes/split-train-infer.ts';
import { Trainer, stateAsInputs } from '../../src/train/loop/trainer.ts';
import type { OptimizerOptions } from '../../src/train/optimizers.ts';
import type { LossKind } from '../../src/train/losses.ts';
import { compileProgram } from '../../runtime/js/index.ts';
import { lowerForJsBackend, SMALL_CNN } from './graphs.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';

const EXAMPLES = join(import.meta.dirname, '../../examples');


interface Case { name: string; model: () => Graph; batch: number; loss: LossKind; optimizer: OptimizerOptions }

const CASES: Case[] = [
  { name: 'mlp_bn', model: () => compileDslFile(join(EXAMPLES, 'mlp_bn.layers'), { seed: 3 }), batch: 16, loss: 'mse', optimizer: { kind: 'momentum', lr: 0.05 } },
  { name: 'lenet_bn', model: () => compileDslFile(join(EXAMPLES, 'lenet_bn.layers'), { seed: 3 }), batch: 6, loss: 'cross-entropy', optimizer: { kind: 'sgd', lr: 0.1, weightDecay: 1e-3 } },
  { name: 'small_cnn', model: () => compileDsl(SMALL_CNN, 'small_cnn.layers', { seed: 3 }), batch: 5, loss: 'cross-entropy', optimizer: { kind: 'adam', lr: 0.01 } },
];

/** The model with its batch fixed (the js backend specializes shapes; the MSE gradient needs them too). */
function withBatch(c: Case): Graph {
  const g = c.model();
  for (const v of g.inputs) v.type = { ...v.type, shape: v.type.shape!.map((d) => (typeof d === 'number' ? d : c.batch)) };
  inferShapes(g);
  return g;
}

function batchFor(c: Case, rnd: () => number): { x: Tensor; labels: Tensor } {
  const p = buildTrainingGraph(withBatch(c), { loss: c.loss, optimizer: c.optimizer });
  const x = uniformTensor(p.input.type.shape as number[], rnd);
  const classes = (p.output.type.shape as number[])[1]!;
  const labels = c.loss === 'mse'
    ? uniformTensor(p.labels.type.shape as number[], rnd)
    : Tensor.fromArray('int64', [c.batch], Array.from({ length: c.batch }, () => Math.floor(rnd() * classes)));
  return { x, labels };
}

/** One step through the Trainer (the js backend runs at its default thread count: the cores). */
async function oneStep(c: Case, backend: string, x: Tensor, labels: Tensor) {
  const program = buildTrainingGraph(withBatch(c), { loss: c.loss, optimizer: c.optimizer, seed: 5 });
  const t = await Trainer.create(program, backend, 5);
  const loss = await t.trainStep(x, labels);
  await t.dispose();
  return { loss, state: t.state };
}

/** |js - ref| <= atol + rtol |ref|, atol scaled by the tensor's largest magnitude, at least 1: a tensor of
 *  gradient noise (the bias gradient of a conv followed by batchnorm is 0 in exact arithmetic, 1e-8..1e-6 in
 *  float32 on either backend) is compared absolutely. */
function expectClose(name: string, got: Tensor, want: Tensor, rtol = 1e-4, atolScale = 1e-5, skip?: (i: number) => boolean) {
  let big = 0;
  for (const v of want.data) big = Math.max(big, Math.abs(v));
  const atol = atolScale * Math.max(big, 1);
  for (let i = 0; i < want.size; i++) {
    if (skip?.(i)) continue;
    const err = Math.abs(got.data[i]! - want.data[i]!);
    if (err > atol + rtol * Math.abs(want.data[i]!)) expect.fail(`${name}[${i}]: js ${got.data[i]} vs reference ${want.data[i]}`);
  }
}

describe('one training step: js backend == reference', () => {
  for (const c of CASES) {
    it(`${c.name} (${c.loss}, ${c.optimizer.kind}, batch ${c.batch})`, async () => {
      const { x, labels } = batchFor(c, lcg(11));
      const ref = await oneStep(c, 'reference', x, labels);
      const js = await oneStep(c, 'js', x, labels);
      expect(Math.abs(js.loss - ref.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ref.loss)));
      expect([...js.state.keys()].sort()).toEqual([...ref.state.keys()].sort());
      for (const [name, want] of ref.state) {
        const got = js.state.get(name)!;
        if (c.optimizer.kind !== 'adam' || !ref.state.has(`${name}.exp_avg`)) { expectClose(name, got, want); continue; }
        // Adam's first step moves each parameter by about lr * sign(gradient): where the true gradient is 0
        // (a bias followed by batchnorm: |g| ~ 1e-8, float noise) the step is noise too, so elements whose
        // gradient is below 1e-5 are not compared; the moments (0.1 g and 0.001 g^2) are, everywhere.
        const m = ref.state.get(`${name}.exp_avg`)!;
        expectClose(name, got, want, 1e-4, 1e-5, (i) => Math.abs(m.data[i]!) < 1e-6);
      }
    });
  }

  it('runs every training op of these models on a kernel', () => {
    for (const c of CASES) {
      const p = buildTrainingGraph(withBatch(c), { loss: c.loss, optimizer: c.optimizer });
      stateAsInputs(p.graph, [...p.next.keys(), ...p.graph.initializers.filter((v) => v.role && !p.next.has(v))]);
      const fallbacks = compileProgram(lowerForJsBackend(p.graph), { threads: 2 }).kernels.filter((k) => k.kind === 'reference').map((k) => k.op);
      expect(fallbacks, c.name).toEqual([]);
    }
  });
});

/** A random small CNN in the DSL whose every layer fits its input (sizes tracked while generating). */
const randomCnn = fc.record({
  N: fc.constantFrom(1, 2, 3), C: fc.constantFrom(1, 2, 3), H: fc.integer({ min: 5, max: 13 }), W: fc.integer({ min: 5, max: 13 }),
  blocks: fc.array(fc.record({
    M: fc.integer({ min: 1, max: 7 }), k: fc.oneof(fc.constantFrom(1, 2, 3), fc.integer({ min: 4, max: 7 })), s: fc.integer({ min: 1, max: 3 }),
    p: fc.integer({ min: 0, max: 2 }), bn: fc.boolean(), act: fc.constantFrom('relu', 'sigmoid', 'tanh'),
    pool: fc.constantFrom('none', 'maxpool', 'avgpool'), pk: fc.integer({ min: 1, max: 3 }), ps: fc.integer({ min: 1, max: 3 }),
  }), { minLength: 1, maxLength: 3 }),
  classes: fc.integer({ min: 2, max: 5 }), optimizer: fc.constantFrom('sgd', 'momentum') as fc.Arbitrary<'sgd' | 'momentum'>,
}).map((r) => {
  let [H, W] = [r.H, r.W];
  const layers: string[] = [];
  for (const b of r.blocks) {
    const p = Math.min(b.p, b.k - 1), k = Math.min(b.k, H + 2 * p, W + 2 * p);
    layers.push(`conv2d(${b.M}, kernel=${k}, stride=${b.s}, pad=${Math.min(p, k - 1)})`);
    [H, W] = [H, W].map((d) => Math.floor((d + 2 * Math.min(p, k - 1) - k) / b.s) + 1) as [number, number];
    // Batchnorm over a handful of values divides by a tiny batch deviation: it would amplify float32
    // rounding (of either backend) past any tolerance, so only where a channel has 8+ values.
    if (b.bn && r.N * H * W >= 8) layers.push('batchnorm');
    layers.push(b.act);
    const pk = Math.min(b.pk, H, W), pp = pk > 1 && b.pool === 'avgpool' ? 1 : 0;
    if (b.pool !== 'none' && pk > 1) {
      layers.push(`${b.pool}(${pk}, stride=${b.ps}${pp ? `, pad=${pp}` : ''})`);
      [H, W] = [H, W].map((d) => Math.floor((d + 2 * pp - pk) / b.ps) + 1) as [number, number];
    }
  }
  const source = `model random_cnn(x: f32[N, ${r.C}, ${r.H}, ${r.W}]) {\n  y = x |> ${layers.join(' |> ')} |> flatten |> dense(${r.classes})\n  return y\n}`;
  return { ...r, source };
});

describe('one training step on random small CNNs: js backend == reference (fast-check)', () => {
  it('loss and updated state agree', async () => {
    await fc.assert(fc.asyncProperty(randomCnn, fc.integer({ min: 1, max: 1e6 }), async (r, seed) => {
      const c: Case = { name: 'random_cnn', model: () => compileDsl(r.source, 'random_cnn.layers', { seed }), batch: r.N, loss: 'cross-entropy', optimizer: { kind: r.optimizer, lr: 0.05 } };
      const { x, labels } = batchFor(c, lcg(seed));
      const ref = await oneStep(c, 'reference', x, labels);
      const js = await oneStep(c, 'js', x, labels);
      expect(Math.abs(js.loss - ref.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ref.loss)));
      for (const [name, want] of ref.state) expectClose(`${name} in\n${r.source}\n`, js.state.get(name)!, want);
    }), { numRuns: 8, seed: 21, endOnFailure: true });
  });
});
