// The two graphs of one model agree in eval mode: the training graph with every BatchNorm frozen (running
// statistics, no update) gives the inference graph's output, which gives the eval output PyTorch recorded
// for the fixture MLP-BN.
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { foldForInference } from '../../src/train/graphs/fold-inference.ts';
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

describe('fast-check: training graph in eval mode == inference graph == -O2 folded graph', () => {
  const src = `model m(x: f32[N, 1, 8, 8]) {
  y = x |> conv2d(3, kernel=3) |> batchnorm |> relu |> maxpool(2) |> flatten |> dense(5) |> batchnorm(scale=false) |> tanh |> dense(2)
  return y
}`;
  it('random weights and running statistics (DSL conv/dense + BN)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e6 }), fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 8, maxLength: 8 }), (seed, r) => {
      const model = compileDsl(src, 'm.layers', { seed });
      // Non-trivial running statistics (a fold that ignored them, or used batch statistics, would show).
      let k = 0;
      for (const v of model.initializers) {
        if (v.role === 'running_mean') v.const!.data.forEach((_, i, a) => { a[i] = r[k++ % 8]; });
        if (v.role === 'running_var') v.const!.data.forEach((_, i, a) => { a[i] = 0.5 + Math.abs(r[k++ % 8]); });
      }
      const x = Tensor.fromArray('float32', [4, 1, 8, 8], Array.from({ length: 256 }, (_, i) => Math.sin(i * (1 + r[0]))));
      const inf = buildInferenceGraph(model);
      const yInf = runGraph(inf, { x })[inf.outputs[0].name];
      const p = buildTrainingGraph(model, { loss: 'cross-entropy', optimizer: { kind: 'sgd', lr: 0 }, freeze: ['bn*'], batch: 4 });
      const yTrain = runGraph(p.graph, { x, labels: Tensor.zeros('int64', [4]) })[p.output.name];
      expect(Array.from(yTrain.data)).toEqual(Array.from(yInf.data));
      const folded = foldForInference(buildInferenceGraph(model));
      expect(folded.bnAfter).toBe(0);
      const yFold = runGraph(folded.graph, { x })[folded.graph.outputs[0].name];
      yInf.data.forEach((w, i) => expect(Math.abs(yFold.data[i] - w)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(w)));
    }), { numRuns: 8, seed: 11 });
  });
});
