// The DSL ViT (examples/vit.layers) trains from the command line: `layerc train` on the bundled Fashion-MNIST
// subset (2000 training / 500 test images) prints one line per epoch with the test accuracy, and one epoch of
// AdamW already lifts it far above chance (10 %; the run in the README reaches 86 % on the full set).
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../fixtures.ts';

describe('layerc train examples/vit.layers', () => {
  it('prints the accuracy per epoch and learns (one epoch of the subset, js backend)', () => {
    const out = execFileSync(join(REPO_ROOT, 'bin/layerc.js'), ['train', join(REPO_ROOT, 'examples/vit.layers'), '--data', 'fashion-mnist-subset',
      '--loss', 'cross-entropy', '--optimizer', 'adamw', '--lr', '0.003', '--batch', '64', '--epochs', '1', '--seed', '0', '--threads', '1'],
    { stdio: 'pipe', timeout: 120_000, encoding: 'utf8' });
    const epoch = /Epoch 1\/1 .* accuracy: ([\d.]+) .* test_accuracy: ([\d.]+)/.exec(out);
    expect(epoch, out).not.toBeNull();
    expect(Number(epoch![2])).toBeGreaterThan(0.4);
    expect(out).toMatch(/31 steps, .*test accuracy [\d.]+ %/);
  }, 120_000);
});
