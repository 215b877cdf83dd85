// The JS backend runs the training graph: one LeNet-BN training step (batch 16, momentum SGD, BN in training
// mode) on `--backend js` gives the reference interpreter's loss, logits and every next state (parameters,
// running statistics, momentum buffers) within float32 tolerance; a second step from the JS state still agrees.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { REPO_ROOT } from '../fixtures.ts';
import { compileDslFile } from '../../src/frontend/dsl.ts';
import { buildTrainingGraph } from '../../passes/split-train-infer.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { loadDataset, batches } from '../../src/train/data.ts';
import '../../src/ops/index.ts';

const BATCH = 16;

async function trainerOn(backend: string): Promise<Trainer> {
  const model = compileDslFile(join(REPO_ROOT, 'examples/lenet_bn.layers'), { seed: 1 });
  const p = buildTrainingGraph(model, { loss: 'cross-entropy', optimizer: { kind: 'momentum', lr: 0.1, momentum: 0.9 }, batch: BATCH });
  return Trainer.create(p, backend);
}

describe('JS backend training step vs the reference interpreter', () => {
  it('LeNet-BN: loss and every next state agree for two steps', async () => {
    const data = loadDataset('fashion-mnist-subset');
    const [b1, b2] = [...batches(data.train, BATCH, 7, 0)].slice(0, 2);
    const ref = await trainerOn('reference'), js = await trainerOn('js');
    try {
      for (const b of [b1, b2]) {
        const lr = await ref.trainStep(b.x, b.y), lj = await js.trainStep(b.x, b.y);
        expect(Math.abs(lj - lr)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(lr)));
        expect(js.state.size).toBe(ref.state.size);
        for (const [name, t] of ref.state) {
          const u = js.state.get(name)!;
          let worst = 0;
          for (let i = 0; i < t.size; i++) worst = Math.max(worst, Math.abs(u.data[i] - t.data[i]) / (1e-4 + 1e-3 * Math.abs(t.data[i])));
          expect(worst, `${name} (step ${ref.step})`).toBeLessThanOrEqual(1);
        }
      }
    } finally { await ref.dispose(); await js.dispose(); }
  }, 60_000);
});
