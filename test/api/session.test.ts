// InferenceSession is used as onnxruntime's is: the same calls on the same model give the same outputs as
// onnxruntime-node's session (the reference here), an ort.Tensor is a valid feed, and misuse is a catalogued error.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { MODELS } from '../fixtures.ts';
import { InferenceSession } from '../../src/api/session.ts';
import { optimize } from '../../src/api/pipeline.ts';
import { loadOnnxFile } from '../../src/frontend/onnx.ts';
import { readTensorFile } from '../../src/io/tensor-file.ts';
import { Tensor } from '../../src/ir/tensor.ts';

const LENET = join(MODELS, 'lenet_bn');
const x = readTensorFile(join(LENET, 'test_data_set_0/input_0.pb'));

describe('InferenceSession', () => {
  it('gives what onnxruntime-node gives for the same calls (js -O2, reference -O0, onnxruntime option names), ort.Tensor feeds', async () => {
    const theirs = await ort.InferenceSession.create(join(LENET, 'model.onnx'));
    const feed = new ort.Tensor('float32', x.data as Float32Array, [...x.shape]);
    const want = (await theirs.run({ [theirs.inputNames[0]]: feed }))[theirs.outputNames[0]];
    for (const options of [{ backend: 'js' as const, threads: 1 }, { backend: 'reference' as const, optimize: 0 as const }, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' as const }]) {
      const s = await InferenceSession.create(readFileSync(join(LENET, 'model.onnx')), options);
      expect(s.inputNames).toEqual(theirs.inputNames);
      expect(s.outputNames).toEqual(theirs.outputNames);
      const got = (await s.run({ [s.inputNames[0]]: feed }))[s.outputNames[0]];
      expect(got.dims).toEqual(want.dims);
      (want.data as Float32Array).forEach((v, i) => expect(Math.abs(got.data[i] - v), `${JSON.stringify(options)} [${i}]`).toBeLessThanOrEqual(1e-5 + 1e-3 * Math.abs(v)));
      await s.release();
    }
  });

  it('misuse is a catalogued error: missing input LC036, wrong shape LC032, wrong dtype LC033, run after release LC002', async () => {
    const s = await InferenceSession.create(join(LENET, 'model.onnx'), { backend: 'reference' });
    const name = s.inputNames[0];
    await expect(s.run({})).rejects.toMatchObject({ code: 'LC036' });
    await expect(s.run({ [name]: Tensor.zeros('float32', [1, 1, 28, 28]) })).rejects.toMatchObject({ code: 'LC032' });
    await expect(s.run({ [name]: Tensor.zeros('float64', [...x.shape]) })).rejects.toMatchObject({ code: 'LC033' });
    await expect(s.run({ [name]: { data: new Float32Array(3), dims: [...x.shape] } })).rejects.toMatchObject({ code: 'LC032' });
    await s.release();
    await expect(s.run({ [name]: x })).rejects.toMatchObject({ code: 'LC002' });
    await expect(InferenceSession.create(join(LENET, 'absent.onnx'))).rejects.toMatchObject({ code: 'LC003' });
  });

  it('optimize(graph, level) returns an optimized copy and leaves its argument alone', () => {
    const g = loadOnnxFile(join(LENET, 'model.onnx'));
    const ops = g.nodes.map((n) => n.op);
    const o = optimize(g, 2);
    expect(g.nodes.map((n) => n.op)).toEqual(ops);
    expect(ops).toContain('BatchNormalization');
    expect(o.nodes.map((n) => n.op)).not.toContain('BatchNormalization');
  });
});
