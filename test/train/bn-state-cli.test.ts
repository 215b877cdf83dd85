// BatchNorm state that cannot be lost, through the real CLI (bin/layerc.js; training and every restore in a fresh
// process, the refusals through main() in this process, which is much faster to start):
//  - the classic TensorFlow question: a tanh MLP [5, 3, 1] with BN on its 2 inputs (examples/tf_bn_mlp.layers),
//    Adam lr 0.05, `layerc train`, then restored in fresh processes (`train --resume` with nothing left to train,
//    `run --weights`): the eval-mode error is the one printed before saving, bit for bit; with the running
//    statistics removed from the file every loader refuses with LC071, and --allow-partial runs and says what
//    it left at initialization;
//  - (in this process) `run --weights` of a checkpoint trained on mlp_train_sgd (a PyTorch export whose running statistics are
//    `Identity(gamma)` / `Identity(beta)` aliases) reproduces PyTorch's trained model (final_model) within the
//    fixture's tolerance, and num_batches_tracked counts the steps as PyTorch's state_dict does.
import { join } from 'node:path';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import { MODELS, REPO_ROOT } from '../fixtures.ts';
import { readNpy } from './npy.ts';
import { encodeCheckpoint, loadCheckpoint } from '../../src/io/safetensors.ts';
import { readTensorFile } from '../../src/io/tensor-file.ts';
import { encodeNpy } from '../../src/io/npy.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { main } from '../../src/cli.ts';
import { lcg31 } from '../helpers/random.ts';

const LAYERC = join(REPO_ROOT, 'bin/layerc.js');
function layerc(...args: string[]): { status: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [LAYERC, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? -1, out: r.stdout, err: r.stderr };
}
/** The same command through main() in this process: exit status, stdout lines and stderr. */
async function inProcess(...args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '', err = '';
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((x) => { err += String(x); return true; });
  const o = vi.spyOn(console, 'log').mockImplementation((...xs: unknown[]) => { out += `${xs.join(' ')}\n`; });
  try { return { status: await main(args), out, err }; } finally { e.mockRestore(); o.mockRestore(); process.exitCode = undefined; }
}
const ok = (r: { status: number; err: string }) => expect(r.status, r.err).toBe(0);

/** evaluate()'s MSE (src/train/loop/fit.ts) for one output column: sum of d*d in row order, then / rows. */
function mse(y: Tensor, t: Tensor): number {
  let total = 0;
  for (let r = 0; r < t.size; r++) { const d = y.data[r] - t.data[r]; total += d * d / 1; }
  return total / t.size;
}

/** A copy of a checkpoint without the named tensors (its metadata and checksum rewritten: a valid file). */
function without(src: string, dst: string, drop: (name: string) => boolean): void {
  const ck = loadCheckpoint(src);
  for (const n of [...ck.tensors.keys()]) if (drop(n)) ck.tensors.delete(n);
  writeFileSync(dst, encodeCheckpoint(ck));
}

describe('the classic TensorFlow question: tanh MLP [5, 3, 1], BN on 2 inputs, Adam lr 0.05', () => {
  const model = join(REPO_ROOT, 'examples/tf_bn_mlp.layers');
  const tmp = mkdtempSync(join(tmpdir(), 'layerc-tfbn-'));
  // Inputs far from zero mean / unit variance, so the input BN matters: x0 in [0, 10), x1 in [-50, 50).
  const rand = lcg31(12345);
  const n = 256;
  const x = new Float32Array(2 * n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) { x[2 * i] = 10 * rand(); x[2 * i + 1] = 100 * rand() - 50; y[i] = Math.tanh(x[2 * i] / 5 - 1) + 0.02 * x[2 * i + 1]; }
  const X = join(tmp, 'X.npy'), Y = join(tmp, 'y.npy');
  writeFileSync(X, encodeNpy(new Tensor('float32', [n, 2], x)));
  writeFileSync(Y, encodeNpy(new Tensor('float32', [n, 1], y)));
  const ck = join(tmp, 'tf.safetensors');
  const train = ['train', model, '--data', `${X},${Y}`, '--loss', 'mse', '--optimizer', 'adam', '--lr', '0.05', '--batch', '32', '--epochs', '4', '--backend', 'reference'];
  const evalLine = /eval-mode mse loss on the training data: (\S+)/;

  it('restores bit for bit in fresh processes; a file without running statistics is refused (LC071) or, with --allow-partial, named', async () => {
    const trained = layerc(...train, '--checkpoint', ck);
    ok(trained);
    expect(trained.out).toMatch(/^batchnorm: pytorch convention, momentum 0\.1 \(running = 0\.9 \* running \+ 0\.1 \* batch, unbiased batch variance\), eps 0\.00001: bn1$/m);
    const before = Number(evalLine.exec(trained.out)![1]);
    const state = loadCheckpoint(ck).tensors;
    expect(Array.from(state.get('bn1.running_mean')!.data).some((v) => v !== 0), 'running_mean moved from 0').toBe(true);
    expect(state.get('bn1.num_batches_tracked')!.data[0]).toBe(32); // 256 / 32 * 4 steps
    expect(state.get('optimizer.step')!.data[0]).toBe(32);

    // Fresh process 1: resume with nothing left to train evaluates the restored state with the same code.
    const resumed = layerc(...train, '--resume', ck, '--checkpoint', join(tmp, 'again.safetensors'));
    ok(resumed);
    expect(Number(evalLine.exec(resumed.out)![1])).toBe(before);
    // Fresh process 2: run --weights on the data, the error computed here as evaluate() computes it.
    const out = join(tmp, 'out');
    ok(layerc('run', model, '-O0', '--weights', ck, '--input', `x=${X}`, '--output-dir', out)); // -O0: the graph evaluate() runs, unfolded
    const target = readNpy(Y);
    expect(mse(readTensorFile(join(out, 'y.npy')), target)).toBe(before);

    // The careless save: weights and biases only.
    const stripped = join(tmp, 'no-stats.safetensors');
    without(ck, stripped, (name) => /running_(mean|var)$/.test(name));
    for (const cmd of [['run', model, '--weights', stripped, '--input', `x=${X}`], [...train, '--resume', stripped, '--checkpoint', join(tmp, 'r.safetensors')]]) {
      const r = await inProcess(...cmd);
      expect(r.status, cmd[0]).toBe(8);
      expect(r.err).toContain('error[LC071]');
      expect(r.err).toMatch(/missing running_mean bn1\.running_mean; running_var bn1\.running_var/);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
    const partial = await inProcess('run', model, '--weights', stripped, '--allow-partial', '--input', `x=${X}`, '--output-dir', join(tmp, 'partial'));
    ok(partial);
    expect(partial.err).toMatch(/warning: --allow-partial: .* left at initialization: running_mean bn1\.running_mean; running_var bn1\.running_var/);
    const lost = mse(readTensorFile(join(tmp, 'partial', 'y.npy')), target);
    expect(lost / before, `MSE with the initial running statistics ${lost} vs ${before}`).toBeGreaterThan(10);
    console.log(`tf_bn_mlp: eval MSE before save ${before}, after restore (resume, run --weights) ${before}, running stats at init ${lost}`);
  }, 120_000);
});

describe('run --weights on a PyTorch export whose running statistics are Identity aliases (mlp_train_sgd)', () => {
  const DIR = join(MODELS, 'mlp_train_sgd'), REF = join(DIR, 'reference');
  const tol = JSON.parse(readFileSync(join(DIR, 'case.json'), 'utf8')).tolerance as { rtol: number; atol: number };

  it('reproduces final_model after 200 steps; num_batches_tracked = 200 like PyTorch', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'layerc-alias-'));
    const ck = join(tmp, 'ck.safetensors');
    ok(await inProcess('train', join(DIR, 'model.onnx'), '--data', `${join(REF, 'X.npy')},${join(REF, 'y.npy')}`, '--loss', 'mse', '--optimizer', 'sgd',
      '--lr', '0.05', '--batch', '1000', '--steps', '200', '--checkpoint', ck));
    const state = loadCheckpoint(ck).tensors;
    for (const l of ['net.1', 'net.4']) {
      const t = state.get(`${l}.num_batches_tracked`)!;
      expect({ dtype: t.dtype, shape: t.shape, value: t.data[0] }).toEqual({ dtype: 'int64', shape: [], value: readNpy(join(REF, 'state_final', `${l}.num_batches_tracked.npy`)).data[0] });
    }
    const out = join(tmp, 'out');
    ok(await inProcess('run', join(DIR, 'model.onnx'), '--weights', ck, '--input', `input=${join(DIR, 'final_model/test_data_set_0/input_0.pb')}`, '--output-dir', out));
    const got = readTensorFile(join(out, 'output.pb')), want = readTensorFile(join(DIR, 'final_model/test_data_set_0/output_0.pb'));
    let maxErr = 0;
    for (let i = 0; i < want.size; i++) {
      const e = Math.abs(got.data[i] - want.data[i]);
      maxErr = Math.max(maxErr, e);
      expect(e, `output[${i}]`).toBeLessThanOrEqual(tol.atol + tol.rtol * Math.abs(want.data[i]));
    }
    console.log(`mlp_train_sgd: run --weights vs final_model max abs error ${maxErr}`);
    // Without its running statistics the same checkpoint is refused instead of running BN on gamma/beta.
    const stripped = join(tmp, 'stripped.safetensors');
    without(ck, stripped, (name) => name.startsWith('net.4.running'));
    const r = await inProcess('run', join(DIR, 'model.onnx'), '--weights', stripped, '--input', `input=${join(DIR, 'final_model/test_data_set_0/input_0.pb')}`);
    expect(r.status).toBe(8);
    expect(r.err).toMatch(/error\[LC071\].*missing running_mean net\.4\.running_mean; running_var net\.4\.running_var/);
  }, 120_000);
});
