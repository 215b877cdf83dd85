// `--mode training` export: standard ONNX BatchNormalization with training_mode=1 and the running-stat outputs
// as graph outputs. onnxruntime-node runs it on the fixture input: train-mode output = PyTorch's, running stats
// = the ONNX-spec reference (population variance, momentum 0.9).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { MODELS } from '../fixtures.ts';
import { readNpy } from './npy.ts';
import { buildMlpEval } from './mlp-graph.ts';
import { buildInferenceGraph } from '../../passes/split-train-infer.ts';
import { trainingModeGraph } from '../../src/train/graphs/export.ts';
import { exportOnnx } from '../../src/export/onnx.ts';

const DIR = join(MODELS, 'bn_train_step_mlp_bn/reference');

describe('training-mode ONNX export', () => {
  it('runs in onnxruntime-node with the reference output and ONNX-spec running stats', async () => {
    const g = trainingModeGraph(buildInferenceGraph(buildMlpEval(join(DIR, 'state_before'), 16, false)));
    const session = await ort.InferenceSession.create(exportOnnx(g));
    const x = readNpy(join(DIR, 'input.npy'));
    const out = await session.run({ input: new ort.Tensor('float32', x.data as Float32Array, [16, 2]) });
    const close = (got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number) =>
      Array.from(want).forEach((w, i) => expect(Math.abs(got[i] - w), `[${i}]`).toBeLessThanOrEqual(atol + rtol * Math.abs(w)));
    close(out[g.outputs[0].name].data as Float32Array, readNpy(join(DIR, 'output_train.npy')).data, 1e-3, 1e-5);
    for (const layer of ['net.1', 'net.4']) for (const stat of ['running_mean', 'running_var']) {
      const name = g.outputs.find((v) => v.name.startsWith(`${layer}.${stat}`))!.name;
      close(out[name].data as Float32Array, readNpy(join(DIR, 'state_after_onnx_spec', `${layer}.${stat}.npy`)).data, 1e-5, 1e-6);
    }
  });
});
