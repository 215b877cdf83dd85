// One training step on the wgsl backend against the same step on the reference interpreter: MLP-BN (MSE,
// Adam) and LeNet-BN (cross-entropy, SGD with momentum) from examples/. The step's graph gets the model
// output, the loss, every gradient and every next-state value (parameters, BN running statistics,
// optimizer moments) as outputs, and all of them must agree; no training op may fall back to the host.
// Tolerance per tensor: |wgsl - ref| <= 1e-3 |ref| + 1e-4 * max(max|ref|, 0.1) (f32 GPU sums vs the
// reference's f64 BN statistics).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Graph, Value } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { compileDslFile } from '../../src/frontend/dsl.ts';
import { buildTrainingGraph } from '../../passes/split-train-infer.ts';
import { stateAsInputs } from '../../src/train/loop/trainer.ts';
import type { OptimizerOptions } from '../../src/train/optimizers.ts';
import type { LossKind } from '../../src/train/losses.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';
import { hasAdapter, compileWgslLowered } from './gpu.ts';

const EXAMPLES = join(import.meta.dirname, '../../examples');

interface Case { file: string; batch: number; loss: LossKind; optimizer: OptimizerOptions }
const CASES: Case[] = [
  { file: 'mlp_bn', batch: 16, loss: 'mse', optimizer: { kind: 'sgd', lr: 0.05, weightDecay: 1e-3 } },
  { file: 'mlp_bn', batch: 16, loss: 'mse', optimizer: { kind: 'adam', lr: 0.01 } },
  { file: 'lenet_bn', batch: 4, loss: 'cross-entropy', optimizer: { kind: 'momentum', lr: 0.1 } },
];

/** A bias right before a BatchNorm has a zero gradient in exact arithmetic (~1e-9 of rounding noise in
 *  practice); Adam divides the noise by its own magnitude, so its update is arbitrary. Such parameters'
 *  Adam state is skipped; their gradients are still compared. */
const NOISE = 1e-6;

function model(c: Case): Graph {
  const g = compileDslFile(join(EXAMPLES, `${c.file}.layers`), { seed: 3 });
  for (const v of g.inputs) v.type = { ...v.type, shape: v.type.shape!.map((d) => (typeof d === 'number' ? d : c.batch)) };
  inferShapes(g);
  return g;
}

function expectClose(name: string, got: Tensor, want: Tensor): void {
  expect([...got.shape], name).toEqual([...want.shape]);
  let big = 0.1;
  for (const v of want.data) big = Math.max(big, Math.abs(v));
  for (let i = 0; i < want.size; i++) {
    const err = Math.abs(got.data[i]! - want.data[i]!);
    if (!(err <= 1e-4 * big + 1e-3 * Math.abs(want.data[i]!))) expect.fail(`${name}[${i}]: wgsl ${got.data[i]} vs reference ${want.data[i]}`);
  }
}

describe.skipIf(!hasAdapter)('one training step: wgsl == reference', () => {
  for (const c of CASES) {
    it(`${c.file} (${c.loss}, ${c.optimizer.kind}, batch ${c.batch}): output, loss, gradients, next state`, async () => {
      const p = buildTrainingGraph(model(c), { loss: c.loss, optimizer: c.optimizer, seed: 5 });
      const g = p.graph;
      const state = [...p.next.keys()];
      stateAsInputs(g, [...state, ...g.initializers.filter((v) => v.role && !p.next.has(v))]);
      const grads = [...p.grads.values()].filter((v): v is Value => !!v);
      const nexts = [...p.next.values()];
      g.outputs = [...new Set([p.output, p.loss, ...grads, ...nexts, ...g.outputs])];
      expect(grads.length).toBeGreaterThan(4);
      expect(nexts.some((v) => /running|mean|var/i.test(v.name))).toBe(true);

      const rnd = lcg(11);
      const x = uniformTensor(p.input.type.shape as number[], rnd);
      const classes = (p.output.type.shape as number[])[1]!;
      const labels = c.loss === 'mse' ? uniformTensor(p.labels.type.shape as number[], rnd)
        : Tensor.fromArray('int64', [c.batch], Array.from({ length: c.batch }, () => Math.floor(rnd() * classes)));
      const feeds: Record<string, Tensor> = { [p.input.name]: x, [p.labels.name]: labels };
      for (const v of g.inputs) if (v.const) feeds[v.name] = v.const;

      const want = runGraph(g, feeds, { training: true });
      const m = await compileWgslLowered(g, { training: true, seed: 5 });
      try {
        expect(m.info?.hostFallback).toBeUndefined();
        expect(m.info?.fallback).toBeUndefined();
        const got = await m.run(feeds);
        const noisy = new Set(c.optimizer.kind !== 'adam' ? [] : state.filter((sv) => {
          const d = p.grads.get(sv);
          return d && Math.max(...Array.from(want[d.name]!.data, Math.abs)) < NOISE;
        }).map((sv) => sv.name));
        for (const v of g.outputs) {
          if ([...noisy].some((name) => v.name.startsWith(name))) continue;
          expectClose(v.name, got[v.name]!, want[v.name]!);
        }
        // A second run with changed state reads the new feeds (state is an input, not a baked constant).
        const bumped = { ...feeds, [state[0]!.name]: got[p.next.get(state[0]!)!.name]! };
        const want2 = runGraph(g, bumped, { training: true });
        const got2 = await m.run(bumped);
        expectClose('loss after one update', got2[p.loss.name]!, want2[p.loss.name]!);
      } finally { await m.dispose(); }
    }, 120_000);
  }
});
