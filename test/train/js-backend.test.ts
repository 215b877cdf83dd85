// The JS backend runs the training graph: one LeNet-BN training step (batch 16, momentum SGD, BN in training
// mode) on `--backend js` gives the reference interpreter's loss, logits and every next state (parameters,
// running statistics, momentum buffers) within float32 tolerance; a second step from the JS state still agrees.
// MobileNet-block (relu6 = Clip, depthwise bias-less convs, global pooling, dropout) runs its whole training
// graph on JS kernels (no reference fallback) and agrees with the interpreter as well.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { REPO_ROOT } from '../fixtures.ts';
import { compileDslFile } from '../../src/frontend/dsl.ts';
import { buildTrainingGraph } from '../../passes/split-train-infer.ts';
import { Trainer } from '../../src/train/loop/trainer.ts';
import { loadDataset, batches } from '../../src/train/loop/data.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import '../../src/ops/index.ts';

const BATCH = 16;

async function trainerOn(backend: string, example = 'lenet_bn'): Promise<Trainer> {
  const model = compileDslFile(join(REPO_ROOT, `examples/${example}.layers`), { seed: 1 });
  const p = buildTrainingGraph(model, { loss: 'cross-entropy', optimizer: { kind: 'momentum', lr: 0.1, momentum: 0.9 }, batch: BATCH, seed: 2 });
  return Trainer.create(p, backend);
}

function expectSameState(ref: Trainer, js: Trainer): void {
  expect(js.state.size).toBe(ref.state.size);
  for (const [name, t] of ref.state) {
    const u = js.state.get(name)!;
    let worst = 0;
    for (let i = 0; i < t.size; i++) worst = Math.max(worst, Math.abs(u.data[i] - t.data[i]) / (1e-4 + 1e-3 * Math.abs(t.data[i])));
    expect(worst, `${name} (step ${ref.step})`).toBeLessThanOrEqual(1);
  }
}

describe('JS backend training step vs the reference interpreter', () => {
  it('LeNet-BN: loss and every next state agree for two steps', async () => {
    const data = loadDataset('fashion-mnist-subset');
    const [b1, b2] = [...batches(data.train, BATCH, 7, 0)].slice(0, 2);
    const ref = await trainerOn('reference'), js = await trainerOn('js');
    try {
      expect(js.compileInfo?.fallbacks).toBe(0);
      for (const b of [b1, b2]) {
        const lr = await ref.trainStep(b.x, b.y), lj = await js.trainStep(b.x, b.y);
        expect(Math.abs(lj - lr)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(lr)));
        expectSameState(ref, js);
      }
    } finally { await ref.dispose(); await js.dispose(); }
  }, 60_000);
  it('MobileNet block: no reference fallback, one step agrees', async () => {
    const x = Tensor.fromArray('float32', [BATCH, 3, 32, 32], Array.from({ length: BATCH * 3 * 32 * 32 }, (_, i) => Math.sin(0.37 * i)));
    const y = Tensor.fromArray('int64', [BATCH], Array.from({ length: BATCH }, (_, i) => (7 * i) % 10));
    const ref = await trainerOn('reference', 'mobilenet_block'), js = await trainerOn('js', 'mobilenet_block');
    try {
      expect(js.compileInfo?.fallbacks).toBe(0);
      const lr = await ref.trainStep(x, y), lj = await js.trainStep(x, y);
      expect(Math.abs(lj - lr)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(lr)));
      expectSameState(ref, js);
    } finally { await ref.dispose(); await js.dispose(); }
  }, 60_000);
});
