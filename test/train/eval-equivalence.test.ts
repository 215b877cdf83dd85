// The two graphs of one model agree in eval mode: the training graph with every BatchNorm frozen (running
// statistics, no update) gives the inference graph's output, which gives the eval output PyTorch recorded
// for the fixture MLP-BN.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS } from '../fixtures.ts';
import { readNpy } from './npy.ts';
import { buildMlpEval } from './mlp-graph.ts';
import { buildInferenceGraph, buildTrainingGraph } from '../../passes/split-train-infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import '../../src/ops/index.ts';

const DIR = join(MODELS, 'bn_train_step_mlp_bn/reference');

describe('training graph in eval mode == inference graph == PyTorch eval', () => {
  it('on the fixture MLP-BN', () => {
    const model = buildMlpEval(join(DIR, 'state_before'), 16, false);
    const x = readNpy(join(DIR, 'input.npy'));
    const inf = buildInferenceGraph(model);
    const yInf = runGraph(inf, { input: x })[inf.outputs[0].name];
    const p = buildTrainingGraph(model, { loss: 'mse', optimizer: { kind: 'sgd', lr: 0 }, freeze: ['bn_*'] });
    const yTrain = runGraph(p.graph, { input: x, labels: Tensor.zeros('float32', [16, 1]) })[p.output.name];
    expect(Array.from(yTrain.data)).toEqual(Array.from(yInf.data));
    const want = readNpy(join(DIR, 'output_eval_before.npy'));
    Array.from(want.data).forEach((w, i) => expect(Math.abs(yInf.data[i] - w)).toBeLessThanOrEqual(1e-5 + 1e-3 * Math.abs(w)));
  });
});
