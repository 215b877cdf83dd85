// `layerc train --backend wgsl` end to end: the mlp_train_sgd command, shortened to 20 steps, on the
// WebGPU backend reproduces PyTorch's per-step losses (rtol 1e-4, the tolerance of the js/reference CLI test)
// and the checkpoint holds updated running statistics.
import { join } from 'node:path';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MODELS, REPO_ROOT } from '../fixtures.ts';
import { readNpy } from '../train/npy.ts';
import { loadCheckpoint } from '../../src/io/safetensors.ts';
import { hasAdapter } from './gpu.ts';

const DIR = join(MODELS, 'mlp_train_sgd');
const REF = join(DIR, 'reference');
const STEPS = 20;

describe.skipIf(!hasAdapter)('layerc train --backend wgsl', () => {
  it(`reproduces PyTorch's first ${STEPS} losses on mlp_train_sgd`, () => {
    const tmp = mkdtempSync(join(tmpdir(), 'layerc-train-wgsl-'));
    const ck = join(tmp, 'ck.safetensors'), log = join(tmp, 'log.json');
    execFileSync(join(REPO_ROOT, 'bin/layerc.js'), ['train', join(DIR, 'model.onnx'), '--data', `${join(REF, 'X.npy')},${join(REF, 'y.npy')}`,
      '--loss', 'mse', '--optimizer', 'sgd', '--lr', '0.05', '--batch', '1000', '--steps', String(STEPS), '--bn-convention', 'pytorch',
      '--backend', 'wgsl', '--checkpoint', ck, '--log', log], { stdio: 'pipe', timeout: 240_000 });
    const losses = JSON.parse(readFileSync(log, 'utf8')).losses as number[];
    const want = readNpy(join(REF, 'losses.npy'));
    expect(losses).toHaveLength(STEPS);
    losses.forEach((l, k) => expect(Math.abs(l - want.data[k]), `step ${k}`).toBeLessThanOrEqual(1e-4 * want.data[k]));
    const state = loadCheckpoint(ck).tensors;
    const mean = [...state.entries()].find(([n]) => n.includes('running_mean'))![1];
    expect(Array.from(mean.data).some((v) => v !== 0), 'running_mean moved off its initial zeros').toBe(true);
  }, 300_000);
});
