// 200 full-batch SGD steps of the fixture MLP-BN (mlp_train_sgd, PyTorch reference): the loss sequence step by
// step and the final state, running statistics included. The model is built with the exporter's aliasing
// (running_var = Identity(gamma)), so a training graph that did not give running stats their own storage
// would overwrite gamma and fail here. Tolerances: the fixture's own (losses rtol 1e-4, state atol 1e-4).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS } from '../fixtures.ts';
import { readNpy } from './npy.ts';
import { buildMlpEval } from './mlp-graph.ts';
import { buildTrainingGraph } from '../../passes/split-train-infer.ts';
import { Trainer } from '../../src/train/loop/trainer.ts';

const REF = join(MODELS, 'mlp_train_sgd/reference');

describe('mlp_train_sgd: 200 steps of SGD reproduce PyTorch', () => {
  it('losses step by step and the final state', async () => {
    const model = buildMlpEval(join(REF, 'state_initial'), 1000, true);
    const program = buildTrainingGraph(model, { loss: 'mse', optimizer: { kind: 'sgd', lr: 0.05 }, bnConvention: 'pytorch' });
    const trainer = await Trainer.create(program);
    const X = readNpy(join(REF, 'X.npy')), y = readNpy(join(REF, 'y.npy'));
    const want = readNpy(join(REF, 'losses.npy'));
    for (let k = 0; k < 200; k++) {
      const loss = await trainer.trainStep(X, y);
      expect(Math.abs(loss - want.data[k])).toBeLessThanOrEqual(1e-4 * Math.abs(want.data[k]));
    }
    const names = ['net.0.weight', 'net.0.bias', 'net.1.weight', 'net.1.bias', 'net.1.running_mean', 'net.1.running_var',
      'net.3.weight', 'net.3.bias', 'net.4.weight', 'net.4.bias', 'net.4.running_mean', 'net.4.running_var', 'net.6.weight', 'net.6.bias'];
    for (const name of names) {
      const got = trainer.state.get(name);
      expect(got, name).toBeDefined();
      const ref = readNpy(join(REF, 'state_final', `${name}.npy`));
      for (let i = 0; i < ref.size; i++) expect(Math.abs(got!.data[i] - ref.data[i]), `${name}[${i}]`).toBeLessThanOrEqual(1e-4);
    }
  });
});
