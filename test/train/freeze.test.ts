// Frozen layers: --freeze patterns leave parameters untouched; a frozen BatchNorm keeps its running statistics
// (and, in the training graph, stays an eval-mode BatchNormalization instead of BatchNormTrain).
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { loadCheckpoint } from '../../src/io/safetensors.ts';
import { describe, expect, it } from 'vitest';
import { MODELS, REPO_ROOT } from '../fixtures.ts';
import { readNpy } from './npy.ts';
import { buildMlpEval } from './mlp-graph.ts';
import { buildTrainingGraph, isFrozenName } from '../../passes/split-train-infer.ts';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { Trainer } from '../../src/train/loop/trainer.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import '../../src/ops/index.ts';

const REF = join(MODELS, 'mlp_train_sgd/reference');

describe('frozen layers', () => {
  it('glob patterns match names and name prefixes', () => {
    expect(isFrozenName('net.0.weight', ['net.0'])).toBe(true);
    expect(isFrozenName('net.0.weight', ['net.*.weight'])).toBe(true);
    expect(isFrozenName('net.10.weight', ['net.1'])).toBe(false);
  });

  it('frozen parameters get no gradient and no update; the others still train', () => {
    const p = buildTrainingGraph(buildMlpEval(join(REF, 'state_initial'), 1000, true),
      { loss: 'mse', optimizer: { kind: 'sgd', lr: 0.05 }, freeze: ['net.0.*', 'net.6.bias'] });
    const names = [...p.next.keys()].map((v) => v.name);
    expect(names).not.toContain('net.0.weight');
    expect(names).not.toContain('net.6.bias');
    expect(names).toContain('net.3.weight');
    expect(names).toContain('net.1.running_var');
  });

  it('BN without trainable scale/shift (scale=false, center=false) still trains its running statistics', () => {
    const model = buildMlpEval(join(REF, 'state_initial'), 1000, false);
    for (const n of ['net.1.weight', 'net.1.bias']) model.value(n)!.trainable = false;
    const p = buildTrainingGraph(model, { loss: 'mse', optimizer: { kind: 'sgd', lr: 0.05 } });
    expect(p.graph.nodes.filter((n) => n.op === 'BatchNormTrain')).toHaveLength(2);
    const names = [...p.next.keys()].map((v) => v.name);
    expect(names).toContain('net.1.running_var');
    expect(names).not.toContain('net.1.weight');
    expect(names).not.toContain('net.1.bias');
  });

  it('a frozen BatchNorm stays in eval mode and its running stats are not state updates', () => {
    const p = buildTrainingGraph(buildMlpEval(join(REF, 'state_initial'), 1000, true),
      { loss: 'mse', optimizer: { kind: 'sgd', lr: 0.05 }, freeze: ['bn_net.1'] });
    const ops = p.graph.nodes.map((n) => `${n.name}:${n.op}`);
    expect(ops).toContain('bn_net.1:BatchNormalization');
    expect(ops.filter((o) => o.endsWith(':BatchNormTrain'))).toHaveLength(1);
    const names = [...p.next.keys()].map((v) => v.name);
    expect(names.some((n) => n.startsWith('net.1.running'))).toBe(false);
    expect(names).toContain('net.4.running_mean');
    // its running statistics still have their own storage (not gamma/beta)
    const bn = p.graph.nodes.find((n) => n.name === 'bn_net.1')!;
    expect(bn.inputs[4]!.const).not.toBe(bn.inputs[1]!.const);
    expect(Array.from(bn.inputs[4]!.const!.data)).toEqual(Array.from(readNpy(join(REF, 'state_initial/net.1.running_var.npy')).data));
  });
});

describe('frozen and scale-less BatchNorm from the DSL', () => {
  const src = `model m(x: f32[N, 2]) {
  y = x |> dense(4) |> batchnorm(trainable=false, name="bnf") |> tanh |> dense(3) |> batchnorm(scale=false, center=false, name="bnp") |> dense(1)
  return y
}`;
  it('batchnorm(trainable=false) stays eval-mode with constant running stats; scale=false/center=false trains stats only', async () => {
    const model = compileDsl(src, 'frozen.layers', { seed: 3 });
    const p = buildTrainingGraph(model, { loss: 'mse', optimizer: { kind: 'sgd', lr: 0.1 }, batch: 8 });
    const bnf = p.graph.nodes.find((n) => n.op === 'BatchNormalization')!;
    expect(bnf, 'the frozen BN stays BatchNormalization').toBeDefined();
    expect(p.graph.nodes.filter((n) => n.op === 'BatchNormTrain')).toHaveLength(1);
    const names = [...p.next.keys()].map((v) => v.name);
    expect(names.filter((n) => n.startsWith('bnf.'))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['bnp.running_mean', 'bnp.running_var']));
    expect(names).not.toContain('bnp.weight');
    expect(names).not.toContain('bnp.bias');
    // One real step: the frozen BN's stats and the scale-less BN's gamma/beta do not move, its running stats do.
    const before = new Map(model.initializers.map((v) => [v.name, Array.from(v.const!.data)]));
    const trainer = await Trainer.create(p, 'reference');
    const x = Tensor.fromArray('float32', [8, 2], Array.from({ length: 16 }, (_, i) => Math.sin(i)));
    await trainer.trainStep(x, Tensor.fromArray('float32', [8, 1], Array.from({ length: 8 }, (_, i) => i / 8)));
    const now = (n: string) => Array.from(trainer.state.get(n)?.data ?? p.graph.value(n)!.const!.data);
    for (const n of ['bnf.running_mean', 'bnf.running_var', 'bnf.weight', 'bnf.bias', 'bnp.weight', 'bnp.bias']) expect(now(n), n).toEqual(before.get(n));
    expect(now('bnp.running_mean')).not.toEqual(before.get('bnp.running_mean'));
    await trainer.dispose();
  });
});

describe('layerc train --freeze', () => {
  it('net.0.* freezes a Gemm, net.4.* a whole BN (params and running stats); the others move', () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerc-freeze-'));
    const ck = join(dir, 'ck.safetensors');
    execFileSync(join(REPO_ROOT, 'bin/layerc.js'), ['train', join(MODELS, 'mlp_train_sgd/model.onnx'), '--data', `${join(REF, 'X.npy')},${join(REF, 'y.npy')}`,
      '--loss', 'mse', '--optimizer', 'sgd', '--lr', '0.05', '--batch', '1000', '--steps', '3', '--freeze', 'net.0.*', 'net.4.*', '--checkpoint', ck], { stdio: 'pipe' });
    const state = loadCheckpoint(ck).tensors;
    const init = (n: string) => Array.from(readNpy(join(REF, 'state_initial', `${n}.npy`)).data);
    for (const n of ['net.0.weight', 'net.0.bias', 'net.4.weight', 'net.4.running_mean', 'net.4.running_var']) {
      expect(Array.from(state.get(n)?.data ?? []), n).toEqual(init(n));
    }
    for (const n of ['net.3.weight', 'net.1.running_mean']) expect(Array.from(state.get(n)!.data), n).not.toEqual(init(n));
  }, 60_000);
});
