// The opset-13 transformer export (test/helpers/downgrade-opset13.ts: zoo/tiny_vit as torch writes it at
// opset 13, LayerNorm decomposed into ReduceMean/Sub/Pow/Sqrt/Div) is the same function as the fixture:
// onnxruntime-node and the layerc reference interpreter both reproduce PyTorch's expected outputs within the
// case tolerance. The tanh-GELU variant is a different function; it is checked to differ from the erf form
// by what the two GELUs differ by (small, nonzero) and to run in onnxruntime like the reference.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnx from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../../src/frontend/onnx.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { readTensorFile } from '../../src/io/tensor-file.ts';
import { compare, tolerance } from '../../src/cli/onnx-cases.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { downgradeToOpset13 } from '../helpers/downgrade-opset13.ts';
import { ZOO } from '../fixtures.ts';

ort.env.logLevel = 'error';
const DIR = join(ZOO, 'tiny_vit');
const input = readTensorFile(join(DIR, 'test_data_set_0/input_0.pb'));
const expected = readTensorFile(join(DIR, 'test_data_set_0/output_0.pb'));

async function ortRun(bytes: Uint8Array): Promise<Tensor> {
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ input: new ort.Tensor('float32', input.data as Float32Array, [...input.shape]) });
  await s.release();
  const y = out[s.outputNames[0]!]!;
  return new Tensor('float32', [...y.dims], Float32Array.from(y.data as Float32Array));
}

const refRun = (bytes: Uint8Array) => {
  const g = importOnnx(bytes);
  return runGraph(g, { input })[g.outputs[0]!.name]!;
};

describe('tiny_vit downgraded to opset 13 (torch opset-13 export form)', () => {
  const bytes = downgradeToOpset13(readFileSync(join(DIR, 'model.onnx')));

  it('is written the way torch writes opset 13: no LayerNormalization, ReduceMean with an axes attribute', () => {
    const m = onnx.onnx.ModelProto.decode(bytes);
    expect(m.opsetImport!.map((o) => Number(o.version))).toEqual([13]);
    const ops = m.graph!.node!.map((n) => n.opType);
    expect(ops).not.toContain('LayerNormalization');
    const means = m.graph!.node!.filter((n) => n.opType === 'ReduceMean');
    expect(means).toHaveLength(10);
    for (const n of means) {
      expect(n.input).toHaveLength(1);
      expect(n.attribute!.find((a) => a.name === 'axes')!.ints!.map(Number)).toEqual([-1]);
    }
    expect(ops.filter((o) => o === 'Pow' || o === 'Sqrt' || o === 'Sub')).toHaveLength(15);
    expect(ops.filter((o) => o === 'Erf')).toHaveLength(2);
  });

  it('onnxruntime-node and the reference reproduce the expected outputs within the case tolerance', async () => {
    const tol = tolerance(DIR);
    expect(compare(await ortRun(bytes), expected, tol).ok).toBe(true);
    expect(compare(refRun(bytes), expected, tol).ok).toBe(true);
  });

  it('the tanh-GELU variant runs in onnxruntime like the reference, and differs from the erf form only slightly', async () => {
    const tanh = downgradeToOpset13(readFileSync(join(DIR, 'model.onnx')), { gelu: 'tanh' });
    const ops = onnx.onnx.ModelProto.decode(tanh).graph!.node!.map((n) => n.opType);
    expect(ops).not.toContain('Erf');
    expect(ops.filter((o) => o === 'Tanh')).toHaveLength(2);
    const ref = refRun(tanh);
    expect(compare(await ortRun(tanh), ref, { rtol: 1e-4, atol: 1e-5 }).ok).toBe(true);
    const d = compare(ref, expected, { rtol: 0, atol: 0 }).maxAbsErr;
    expect(d).toBeGreaterThan(1e-7);
    expect(d).toBeLessThan(1e-2);
  });
});
