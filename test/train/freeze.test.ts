// Frozen layers: --freeze patterns leave parameters untouched; a frozen BatchNorm keeps its running statistics
// (and, in the training graph, stays an eval-mode BatchNormalization instead of BatchNormTrain).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS } from '../fixtures.ts';
import { readNpy } from './npy.ts';
import { buildMlpEval } from './mlp-graph.ts';
import { buildTrainingGraph, isFrozenName } from '../../passes/split-train-infer.ts';
import { findOp } from '../../src/ir/registry.ts';

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

  // Needs the eval-mode BatchNormalization op (src/ops/normalization.ts) for shape inference.
  it.skipIf(!findOp('BatchNormalization'))('a frozen BatchNorm stays in eval mode and its running stats are not state updates', () => {
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
