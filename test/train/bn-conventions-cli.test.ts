// BatchNorm conventions that travel, through the CLI (main(), in this process: spawning tsx costs ~5 s a
// command on a loaded machine; bn-state-cli.test.ts covers fresh processes), checked against
// numbers computed here by hand and against onnxruntime-node:
//  - `train --bn-convention keras` prints the convention, momentum and eps in effect, updates the running
//    statistics by Keras' rule (hand-computed), and `export --mode training` of its checkpoint is a graph named
//    *_training whose ONNX momentum (0.99) makes onnxruntime reproduce Keras' running-stat update;
//  - `run --mode training` normalizes with the batch statistics: equal to onnxruntime's training-mode forward;
//  - `inspect CHECKPOINT` lists the state by kind with a statistic per tensor;
//  - `batchnorm(momentum=0.99)` under --bn-convention keras gets the "did you mean decay=0.99?" warning on stderr.
import { join } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import * as ort from 'onnxruntime-node';
import { REPO_ROOT } from '../fixtures.ts';
import { loadCheckpoint } from '../../src/io/safetensors.ts';
import { readTensorFile } from '../../src/io/tensor-file.ts';
import { encodeNpy } from '../../src/io/npy.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { loadOnnxFile } from '../../src/frontend/onnx.ts';
import { main } from '../../src/cli.ts';

/** `layerc ARGS` through the CLI's main(): exit status, stdout (console.log lines) and stderr. */
async function layerc(...args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '', err = '';
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err += String(s); return true; });
  const o = vi.spyOn(console, 'log').mockImplementation((...xs: unknown[]) => { out += `${xs.join(' ')}\n`; });
  try {
    return { status: await main(args), out, err };
  } finally { e.mockRestore(); o.mockRestore(); process.exitCode = undefined; }
}
const ok = (r: { status: number; err: string }) => expect(r.status, r.err).toBe(0);

/** Per-column mean and biased variance of an [n, 2] float32 matrix, in float64. */
function columnStats(x: Float32Array, n: number): { mean: number[]; variance: number[] } {
  const mean = [0, 1].map((c) => { let s = 0; for (let i = 0; i < n; i++) s += x[2 * i + c]; return s / n; });
  const variance = [0, 1].map((c) => { let s = 0; for (let i = 0; i < n; i++) s += (x[2 * i + c] - mean[c]) ** 2; return s / n; });
  return { mean, variance };
}

describe('--bn-convention keras end to end', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'layerc-keras-'));
  const n = 64;
  const x = new Float32Array(2 * n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) { x[2 * i] = 3 + Math.sin(i); x[2 * i + 1] = 20 * Math.cos(1.7 * i) - 5; y[i] = 0.1 * x[2 * i] - 0.01 * x[2 * i + 1]; }
  const X = join(tmp, 'X.npy'), Y = join(tmp, 'y.npy');
  writeFileSync(X, encodeNpy(new Tensor('float32', [n, 2], x)));
  writeFileSync(Y, encodeNpy(new Tensor('float32', [n, 1], y)));
  const model = join(REPO_ROOT, 'examples/tf_bn_mlp.layers');
  const ck = join(tmp, 'keras.safetensors');
  const batch = columnStats(x, n);

  it('train prints and follows Keras\' rule; the training export reproduces it in onnxruntime; run --mode training = ORT\'s forward', async () => {
    const steps = 3;
    const trained = await layerc('train', model, '--data', `${X},${Y}`, '--loss', 'mse', '--optimizer', 'sgd', '--lr', '0.01', '--batch', String(n),
      '--steps', String(steps), '--bn-convention', 'keras', '--backend', 'reference', '--checkpoint', ck);
    ok(trained);
    expect(trained.out).toContain('batchnorm: keras convention, momentum 0.99 (running = 0.99 * running + 0.01 * batch, biased batch variance), eps 0.00001: bn1\n');
    // Full batch each step, BN on the input: after k steps running = 0.99^k init + (1 - 0.99^k) batch.
    const state = loadCheckpoint(ck).tensors;
    const keep = 0.99 ** steps;
    expect(state.has('bn1.num_batches_tracked'), 'num_batches_tracked is PyTorch-only').toBe(false);
    for (let c = 0; c < 2; c++) {
      expect(state.get('bn1.running_mean')!.data[c]).toBeCloseTo((1 - keep) * batch.mean[c], 5);
      expect(state.get('bn1.running_var')!.data[c] / (keep + (1 - keep) * batch.variance[c])).toBeCloseTo(1, 5);
    }

    const onnx = join(tmp, 'keras-training.onnx');
    ok(await layerc('export', ck, '--mode', 'training', '-o', onnx));
    const g = loadOnnxFile(onnx);
    expect(g.name).toMatch(/_training$/);
    const bn = g.nodes.find((nd) => nd.op === 'BatchNormalization')!;
    expect(bn.attrs.training_mode).toBe(1);
    expect(bn.attrs.momentum as number).toBeCloseTo(0.99, 6);
    const session = await ort.InferenceSession.create(onnx);
    const out = await session.run({ x: new ort.Tensor('float32', x, [n, 2]) });
    const rm = state.get('bn1.running_mean')!.data, rv = state.get('bn1.running_var')!.data;
    for (let c = 0; c < 2; c++) {
      // Keras: new = decay * old + (1 - decay) * batch, biased variance, decay 0.99.
      const wantMean = 0.99 * rm[c] + 0.01 * batch.mean[c], wantVar = 0.99 * rv[c] + 0.01 * batch.variance[c];
      expect(Math.abs((out['bn1.running_mean_new'].data as Float32Array)[c] - wantMean)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(wantMean)));
      expect(Math.abs((out['bn1.running_var_new'].data as Float32Array)[c] - wantVar)).toBeLessThanOrEqual(1e-5 * Math.max(1, wantVar));
    }

    // run --mode training: batch statistics, like ORT's training-mode forward; inference mode differs.
    const modes: Record<string, Tensor> = {};
    for (const mode of ['training', 'inference']) {
      ok(await layerc('run', model, '--weights', ck, '--input', `x=${X}`, '--mode', mode, '--output-dir', join(tmp, mode)));
      modes[mode] = readTensorFile(join(tmp, mode, 'y.npy'));
    }
    const ortY = out[session.outputNames[0]].data as Float32Array;
    let maxErr = 0, diff = 0;
    for (let i = 0; i < n; i++) { maxErr = Math.max(maxErr, Math.abs(modes.training.data[i] - ortY[i])); diff = Math.max(diff, Math.abs(modes.inference.data[i] - ortY[i])); }
    expect(maxErr).toBeLessThanOrEqual(1e-5);
    expect(diff, 'inference mode uses the running statistics, not the batch\'s').toBeGreaterThan(1e-2);
    console.log(`keras export in ORT: running stats match the hand-computed Keras update; run --mode training vs ORT forward max err ${maxErr} (inference mode differs by ${diff})`);

    const inspect = await layerc('inspect', ck);
    ok(inspect);
    expect(inspect.out).toMatch(/^checkpoint .*step 3, .*bn_convention keras/);
    expect(inspect.out).toMatch(/^ {2}running_var +bn1\.running_var +float32\[2\] +min \S+ max \S+ mean \S+$/m);
    expect(inspect.out).toMatch(/^ {2}param +dense1\.weight +float32\[5, 2\] +min/m);
  }, 120_000);

  it('batchnorm(momentum=0.99) under --bn-convention keras warns "did you mean decay=0.99?" on stderr', async () => {
    const src = join(tmp, 'pytorch-word.layers');
    writeFileSync(src, 'model m(x: f32[N, 2]) {\n  y = x |> batchnorm(momentum=0.99) |> dense(1)\n  return y\n}\n');
    const r = await layerc('train', src, '--data', `${X},${Y}`, '--loss', 'mse', '--optimizer', 'sgd', '--lr', '0.01', '--batch', String(n),
      '--steps', '1', '--bn-convention', 'keras', '--backend', 'reference', '--checkpoint', join(tmp, 'w.safetensors'));
    ok(r);
    expect(r.err).toMatch(/^warning: batchnorm 'bn1': momentum=0\.99 weighs the NEW batch by 0\.99 .*did you mean decay=0\.99\?/m);
    expect(r.err).toContain(`--> ${src}:2:`);
    // The PyTorch word keeps its PyTorch meaning under the Keras convention, and the printed setting says so.
    expect(r.out).toContain('batchnorm: keras convention, momentum 0.01 (running = 0.01 * running + 0.99 * batch, biased batch variance)');
  }, 60_000);
});
