// One training-mode step of the fixture MLP-BN against PyTorch/ONNX references (../shared/fixtures):
// train-mode output, running statistics under the pytorch and onnx conventions, every parameter gradient and
// the input gradient for loss = sum(y**2)/N.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS } from '../fixtures.ts';
import { readNpy } from './npy.ts';
import { buildMlp } from './mlp-graph.ts';
import { backward } from '../../src/train/autodiff.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import type { Tensor } from '../../src/ir/tensor.ts';

const DIR = join(MODELS, 'bn_train_step_mlp_bn/reference');

function expectClose(got: Tensor, want: Tensor, rtol: number, atol: number): void {
  expect(got.shape).toEqual(want.shape);
  for (let i = 0; i < want.size; i++) {
    const tol = atol + rtol * Math.abs(want.data[i]);
    if (!(Math.abs(got.data[i] - want.data[i]) <= tol)) {
      throw new Error(`element ${i}: got ${got.data[i]}, want ${want.data[i]} (tol ${tol})`);
    }
  }
}

function step(convention: string, momentum: number) {
  const m = buildMlp(join(DIR, 'state_before'), 16, convention, momentum);
  const wrt = [...m.params.values(), m.x];
  const grads = backward(m.graph, m.loss, wrt);
  m.graph.outputs = [m.y, m.loss, ...m.runningOut.values(), ...wrt.map((v) => grads.get(v)!)];
  const out = runGraph(m.graph, { input: readNpy(join(DIR, 'input.npy')) }, { training: true });
  const at = (v: { name: string }) => out[v.name];
  return { m, grads, at };
}

describe('BatchNorm training step on bn_train_step_mlp_bn', () => {
  it('pytorch convention: output, loss, running stats and every gradient match PyTorch', () => {
    const { m, grads, at } = step('pytorch', 0.1);
    expectClose(at(m.y), readNpy(join(DIR, 'output_train.npy')), 1e-3, 1e-5);
    expectClose(at(m.loss), readNpy(join(DIR, 'loss.npy')).reshape([]), 1e-5, 1e-7);
    for (const [name, v] of m.runningOut) expectClose(at(v), readNpy(join(DIR, 'state_after_torch', `${name}.npy`)), 1e-5, 1e-6);
    for (const [name, v] of m.params) expectClose(at(grads.get(v)!), readNpy(join(DIR, 'grads', `${name}.npy`)), 1e-3, 2e-6);
    expectClose(at(grads.get(m.x)!), readNpy(join(DIR, 'grad_input.npy')), 1e-3, 2e-6);
  });

  it('onnx convention: running stats follow BatchNormalization-15 (population variance)', () => {
    const { m, at } = step('onnx', 0.9);
    for (const [name, v] of m.runningOut) expectClose(at(v), readNpy(join(DIR, 'state_after_onnx_spec', `${name}.npy`)), 1e-5, 1e-6);
  });

  it('keras convention: decay 0.99 on the old value, biased batch statistics (derived from the onnx reference)', () => {
    const { m, at } = step('keras', 0.99);
    for (const [name, v] of m.runningOut) {
      const old = readNpy(join(DIR, 'state_before', `${name}.npy`)), onnx = readNpy(join(DIR, 'state_after_onnx_spec', `${name}.npy`));
      // onnx: new = 0.9 old + 0.1 batch  =>  batch = (new - 0.9 old) / 0.1; keras: 0.99 old + 0.01 batch
      const want = old.clone();
      for (let i = 0; i < old.size; i++) want.data[i] = 0.99 * old.data[i] + 0.01 * ((onnx.data[i] - 0.9 * old.data[i]) / 0.1);
      expectClose(at(v), want, 1e-5, 1e-6);
    }
  });

  it('the pytorch and onnx running variances differ (the fixture tolerance rejects a mix-up)', () => {
    const a = step('pytorch', 0.1), b = step('onnx', 0.9);
    const v = a.m.runningOut.get('net.1.running_var')!;
    const want = readNpy(join(DIR, 'state_after_onnx_spec', 'net.1.running_var.npy'));
    expect(() => expectClose(a.at(v), want, 1e-5, 1e-6)).toThrow();
    expectClose(b.at(b.m.runningOut.get('net.1.running_var')!), want, 1e-5, 1e-6);
  });
});
