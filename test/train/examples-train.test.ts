// Every examples/*.layers model builds a training graph (the whole zoo: sigmoid/tanh/relu/relu6, bias-less
// convs, depthwise groups, residual adds, dropout, global pooling) and learns: a few plain-SGD steps on one
// fixed batch on the reference interpreter lower the loss. Models with one output use MSE, the others
// cross-entropy (MSE on mlp_bn is steep at the start: lr 0.1 overshoots once). Dropout makes each step's loss a
// different sample, so the check is last < first.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../fixtures.ts';
import { compileDslFile } from '../../src/frontend/dsl.ts';
import { buildTrainingGraph } from '../../passes/split-train-infer.ts';
import { Trainer } from '../../src/train/loop/trainer.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import '../../src/ops/index.ts';
import { lcg31 } from '../helpers/random.ts';

// The reference interpreter runs convs by direct loops: the 32x32 conv models get batch 2 (resnet_mini is still
// the slow one here), the small ones batch 8 so their BN batch statistics are not degenerate.
const STEPS = 3;
const EXAMPLES = readdirSync(join(REPO_ROOT, 'examples')).filter((f) => f.endsWith('.layers')).sort();

/** Deterministic values in [-1, 1) (a linear congruential generator: no dependence on our own code). */
function values(n: number, seed: number): number[] {
  const rand = lcg31(seed);
  return Array.from({ length: n }, () => 2 * rand() - 1);
}

describe('every example model trains on the reference backend', () => {
  it('finds the examples', () => { expect(EXAMPLES).toEqual(expect.arrayContaining(['lenet_bn.layers', 'mobilenet_block.layers', 'resnet_mini.layers'])); });
  for (const file of EXAMPLES) {
    it(`${file}: training graph builds and SGD on a fixed batch lowers the loss`, async () => {
      const model = compileDslFile(join(REPO_ROOT, 'examples', file), { seed: 3 });
      const perSample = (model.inputs[0].type.shape!.slice(1) as number[]).reduce((a, b) => a * b, 1);
      const BATCH = perSample > 1000 ? 2 : 8;
      const classes = model.outputs[0].type.shape!.at(-1) as number;
      const loss = classes > 1 ? 'cross-entropy' : 'mse';
      const p = buildTrainingGraph(model, { loss, optimizer: { kind: 'sgd', lr: loss === 'mse' ? 0.02 : 0.1 }, batch: BATCH, seed: 1 });
      const xShape = p.input.type.shape as number[];
      const x = Tensor.fromArray('float32', xShape, values(xShape.reduce((a, b) => a * b, 1), 7));
      const y = loss === 'mse'
        ? Tensor.fromArray('float32', [BATCH, 1], values(BATCH, 11))
        : Tensor.fromArray('int64', [BATCH], Array.from({ length: BATCH }, (_, i) => (3 * i + 1) % classes));
      const trainer = await Trainer.create(p, 'reference');
      const losses: number[] = [];
      for (let s = 0; s < STEPS; s++) losses.push(await trainer.trainStep(x, y));
      await trainer.dispose();
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses.at(-1)!, `losses ${losses.map((l) => l.toFixed(5)).join(' ')}`).toBeLessThan(losses[0]);
    }, 60_000);
  }
});
