// Keras-fit behaviour of the training loop and `layerc train` / `layerc evaluate`: the epoch loss is the mean of
// the epoch's step losses, training accuracy and validation metrics agree with evaluate() (at lr 0 the weights do
// not move, so both must see the same model), --validation-split holds out the last rows, learning-rate schedules
// give the hand-computed rates, early stopping stops, the checkpoint is optional, and the CLI prints one
// `Epoch k/n - ... - loss: ... - val_loss: ...` line per epoch.
import { describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { evaluate, fit } from '../../src/train/loop/fit.ts';
import { buildInferenceGraph } from '../../passes/split-train-infer.ts';
import { learningRateAt } from '../../src/train/schedule.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { encodeNpy } from '../../src/io/npy.ts';
import { main } from '../../src/cli.ts';

const SRC = 'model m(x: f32[N, 2]) {\n  return x |> dense(3)\n}\n';
const N = 16;
const x = Tensor.fromArray('float32', [N, 2], Array.from({ length: 2 * N }, (_, i) => Math.sin(1.7 * i)));
const y = Tensor.fromArray('int64', [N], Array.from({ length: N }, (_, i) => i % 3));
const data = { train: { x, y }, source: 'synthetic' };
const base = { loss: 'cross-entropy' as const, batch: 4, seed: 3 };

describe('fit', () => {
  it('epoch loss is the mean of its steps; accuracy and val metrics match evaluate() when nothing moves (lr 0)', async () => {
    const r = await fit(compileDsl(SRC, 'm.layers'), data, { ...base, optimizer: { kind: 'sgd', lr: 0 }, epochs: 2, validationSplit: 0.25 });
    expect(r.epochs).toHaveLength(2);
    expect(r.losses).toHaveLength(6); // 12 training rows / batch 4, two epochs
    r.epochs.forEach((m, e) => expect(m.trainLoss).toBeCloseTo(r.losses.slice(3 * e, 3 * e + 3).reduce((a, b) => a + b) / 3, 12));
    const g = buildInferenceGraph(compileDsl(SRC, 'm.layers'));
    const rows = (a: number, b: number) => ({ x: Tensor.fromArray('float32', [b - a, 2], x.data.subarray(2 * a, 2 * b)), y: Tensor.fromArray('int64', [b - a], y.data.subarray(a, b)) });
    const train = await evaluate(g, rows(0, 12), 'cross-entropy', 'reference', 12);
    const val = await evaluate(g, rows(12, 16), 'cross-entropy', 'reference', 4);
    expect(r.epochs[0].trainAccuracy).toBeCloseTo(train.accuracy!, 12);
    expect(r.epochs[0].trainLoss).toBeCloseTo(train.loss, 5);
    expect(r.epochs[0].valLoss).toBeCloseTo(val.loss, 5);
    expect(r.epochs[0].valAccuracy).toBeCloseTo(val.accuracy!, 12);
  });

  it('learning-rate schedules: step, cosine, warm-up by hand; fit records each epoch\'s rate', async () => {
    expect([0, 1, 2, 3].map((e) => learningRateAt(0.1, { kind: 'step', every: 2, gamma: 0.5 }, 0, e, 100))).toEqual([0.1, 0.1, 0.05, 0.05]);
    expect(learningRateAt(0.1, { kind: 'cosine' }, 0, 0, 10)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(0.1, { kind: 'cosine' }, 5, 0, 10)).toBeCloseTo(0.05, 12);
    expect(learningRateAt(0.1, { kind: 'cosine', warmup: 4 }, 1, 0, 10)).toBeCloseTo(0.05, 12); // (1 + 1) / 4
    expect(learningRateAt(0.1, { kind: 'cosine', warmup: 4 }, 7, 0, 10)).toBeCloseTo(0.05, 12); // t 3 of T 6
    const r = await fit(compileDsl(SRC, 'm.layers'), data, { ...base, optimizer: { kind: 'sgd', lr: 0.2 }, epochs: 3, schedule: { kind: 'step', every: 1, gamma: 0.5 } });
    expect(r.epochs.map((m) => m.lr)).toEqual([0.2, 0.1, 0.05]);
  });

  it('early stopping ends the run when the monitored metric stops improving', async () => {
    // lr 0 and one full batch: the same loss every epoch, so epoch 2 is the first without improvement.
    const r = await fit(compileDsl(SRC, 'm.layers'), data, { ...base, batch: N, optimizer: { kind: 'sgd', lr: 0 }, epochs: 10, earlyStopping: { monitor: 'loss', patience: 1 } });
    expect(r.epochs).toHaveLength(2);
    expect(r.stoppedEarly).toMatchObject({ epoch: 2, monitor: 'loss' });
    await expect(fit(compileDsl(SRC, 'm.layers'), data, { ...base, optimizer: { kind: 'sgd', lr: 0 }, epochs: 1, earlyStopping: { monitor: 'val_loss' } }))
      .rejects.toMatchObject({ code: 'LC069' });
  });
});

describe('layerc train / evaluate', () => {
  it('prints an Epoch line per epoch, needs no checkpoint, and evaluate agrees with the trained checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerc-fit-'));
    let out = '';
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out += `${a.join(' ')}\n`; });
    try {
      const model = join(dir, 'm.layers'), X = join(dir, 'X.npy'), Y = join(dir, 'y.npy');
      writeFileSync(model, SRC); writeFileSync(X, encodeNpy(x)); writeFileSync(Y, encodeNpy(y));
      const args = ['train', model, '--data', `${X},${Y}`, '--loss', 'cross-entropy', '--optimizer', 'adamw', '--lr', '0.05', '--weight-decay', '0.01',
        '--batch', '4', '--epochs', '2', '--validation-split', '0.25', '--lr-schedule', 'cosine', '--warmup', '2', '--backend', 'reference'];
      expect(await main(args)).toBe(0);
      expect(out).toMatch(/^Epoch 1\/2 - [\d.]+ s - loss: [\d.]+ - accuracy: [\d.]+ - val_loss: [\d.]+ - val_accuracy: [\d.]+ - lr: [\d.]+$/m);
      expect(out).toMatch(/^Epoch 2\/2 /m);
      expect(existsSync(join(dir, 'ck.safetensors'))).toBe(false);
      out = '';
      const ck = join(dir, 'ck.bin');
      expect(await main([...args, '--checkpoint', ck])).toBe(0);
      const testLine = /^6 steps, .*; last epoch's mean train loss ([\d.]+); checkpoint /m.exec(out);
      expect(testLine).not.toBeNull();
      out = '';
      expect(await main(['evaluate', ck, '--data', `${X},${Y}`, '--backend', 'reference'])).toBe(0);
      expect(out).toMatch(/^loss: [\d.]+ - accuracy: [\d.]+ \(cross-entropy, 16 rows of /m);
    } finally { log.mockRestore(); process.exitCode = undefined; rmSync(dir, { recursive: true, force: true }); }
  }, 60_000);
});
