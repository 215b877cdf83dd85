// Divergence: a step that produces NaN/Inf is reported as LC067 with the step and the first node (layer) whose
// output went non-finite, and
// the checkpoint on disk holds the last good (finite) state.
import { join } from 'node:path';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { MODELS } from '../fixtures.ts';
import { readNpy } from './npy.ts';
import { buildMlpEval } from './mlp-graph.ts';
import { fit } from '../../src/train/loop/fit.ts';
import { loadCheckpoint } from '../../src/io/safetensors.ts';
import { LayercError } from '../../src/diagnostics.ts';

const REF = join(MODELS, 'mlp_train_sgd/reference');

describe('divergence', () => {
  it('LC067 names the step and the state; the last good state is saved', async () => {
    const ck = join(mkdtempSync(join(tmpdir(), 'layerc-div-')), 'ck.safetensors');
    const X = readNpy(join(REF, 'X.npy')), y = readNpy(join(REF, 'y.npy'));
    for (let i = 0; i < 10; i++) y.data[i] = i === 3 ? 1e38 : y.data[i]; // one huge label: the loss overflows float32
    const err = await fit(buildMlpEval(join(REF, 'state_initial'), 100, true), { train: { x: X, y }, source: 'test' },
      { loss: 'mse', optimizer: { kind: 'sgd', lr: 0.05 }, batch: 100, steps: 10, seed: 0, checkpoint: ck }).catch((e) => e);
    expect(err).toBeInstanceOf(LayercError);
    expect((err as LayercError).code).toBe('LC067');
    expect((err as LayercError).message).toMatch(/step \d+/);
    // The layer: the first node whose output is not finite (here the squared error of the huge label).
    expect((err as LayercError).message).toMatch(/first non-finite value .* output of node 'loss_sq' \(Mul\)/);
    expect((err as LayercError).context.node).toBe('loss_sq');
    expect(existsSync(ck)).toBe(true);
    const saved = loadCheckpoint(ck);
    for (const [name, t] of saved.tensors) expect(t.data.every(Number.isFinite), name).toBe(true);
    const failed = Number(/step (\d+)/.exec((err as LayercError).message)![1]);
    expect(Number(saved.metadata.step)).toBe(failed - 1);
  });
});
