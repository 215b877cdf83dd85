// (The CLI runs its default backend, js: this is also the JS training path checked against PyTorch.)
// The issue's acceptance command: `layerc train mlp_train_sgd/model.onnx --loss mse --optimizer sgd --lr 0.05
// --batch 1000 --steps 200 --bn-convention pytorch` reproduces PyTorch's losses (rtol 1e-4) and final state
// (atol 1e-4, running stats included) in float32, and the inference graph with the trained state gives the
// eval-mode MSE 0.028292 (rtol 1e-3), and so does its `layerc export --mode inference` model in onnxruntime-node.
import { join } from 'node:path';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { MODELS, REPO_ROOT } from '../fixtures.ts';
import { readNpy } from './npy.ts';
import { loadCheckpoint } from '../../src/io/safetensors.ts';
import { applyState, evaluate } from '../../src/train/loop/fit.ts';
import { buildInferenceGraph } from '../../passes/split-train-infer.ts';
import { loadTrainableModel } from '../../src/train/graphs/load-model.ts';
import '../../src/ops/index.ts';

const DIR = join(MODELS, 'mlp_train_sgd');
const REF = join(DIR, 'reference');

describe('layerc train on mlp_train_sgd', () => {
  it('reproduces the PyTorch run and the eval MSE', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'layerc-train-'));
    const ck = join(tmp, 'ck.safetensors'), log = join(tmp, 'log.json');
    execFileSync(join(REPO_ROOT, 'bin/layerc.js'), ['train', join(DIR, 'model.onnx'), '--data', `${join(REF, 'X.npy')},${join(REF, 'y.npy')}`,
      '--loss', 'mse', '--optimizer', 'sgd', '--lr', '0.05', '--batch', '1000', '--steps', '200', '--bn-convention', 'pytorch',
      '--checkpoint', ck, '--log', log], { stdio: 'pipe', timeout: 240_000 });
    const losses = JSON.parse(readFileSync(log, 'utf8')).losses as number[];
    const want = readNpy(join(REF, 'losses.npy'));
    expect(losses).toHaveLength(200);
    losses.forEach((l, k) => expect(Math.abs(l - want.data[k]), `step ${k}`).toBeLessThanOrEqual(1e-4 * want.data[k]));
    const state = loadCheckpoint(ck).tensors;
    for (const layer of ['net.1', 'net.4']) for (const stat of ['running_mean', 'running_var']) {
      const name = [...state.keys()].find((n) => n.includes(layer) && n.includes(stat));
      expect(name, `${layer}.${stat} in the checkpoint`).toBeDefined();
      const ref = readNpy(join(REF, 'state_final', `${layer}.${stat}.npy`));
      Array.from(ref.data).forEach((r, i) => expect(Math.abs(state.get(name!)!.data[i] - r)).toBeLessThanOrEqual(1e-4));
    }
    for (const p of ['net.0.weight', 'net.3.bias', 'net.6.weight']) {
      const ref = readNpy(join(REF, 'state_final', `${p}.npy`));
      Array.from(ref.data).forEach((r, i) => expect(Math.abs(state.get(p)!.data[i] - r), p).toBeLessThanOrEqual(1e-4));
    }
    const inference = buildInferenceGraph(loadTrainableModel(join(DIR, 'model.onnx')));
    applyState(inference, state);
    const { loss } = await evaluate(inference, { x: readNpy(join(REF, 'X.npy')), y: readNpy(join(REF, 'y.npy')) }, 'mse', 'reference', 1000);
    expect(Math.abs(loss - 0.028292) / 0.028292).toBeLessThanOrEqual(1e-3);
    // The exported inference model (BN folded), run by onnxruntime-node, gives the same eval MSE.
    const onnx = join(tmp, 'trained.onnx');
    execFileSync(join(REPO_ROOT, 'bin/layerc.js'), ['export', ck, '--mode', 'inference', '-o', onnx], { stdio: 'pipe' });
    const session = await ort.InferenceSession.create(onnx);
    const X = readNpy(join(REF, 'X.npy')), Y = readNpy(join(REF, 'y.npy'));
    const out = (await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', X.data as Float32Array, X.shape) }))[session.outputNames[0]].data as Float32Array;
    let se = 0;
    for (let i = 0; i < Y.size; i++) se += (out[i] - Y.data[i]) ** 2;
    expect(Math.abs(se / Y.size - 0.028292) / 0.028292).toBeLessThanOrEqual(1e-3);
  }, 300_000);
});
