// Every example compiles with all shapes inferred, runs on the reference interpreter, and agrees with
// onnxruntime-node on the same graph written by exportOnnx (src/export/onnx.ts). Plus: the DSL LeNet-BN with the PyTorch
// fixture's weights (loaded by name) reproduces the fixture's expected output.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compileDsl, compileDslFile } from '../../src/frontend/dsl.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { verify } from '../../src/ir/verify.ts';
import { loadOnnxFile } from '../../src/frontend/onnx.ts';
import { exportOnnx } from '../../src/export/onnx.ts';
import { readTensorFile } from '../../src/io/tensor-file.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { MODELS, REPO_ROOT } from '../fixtures.ts';
import { uniformTensor } from '../helpers/random.ts';

const EXAMPLES = join(REPO_ROOT, 'examples');
const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.layers')).sort();

const randomInput = (shape: number[], seed: number): Tensor => uniformTensor(shape, seed);

function expectClose(actual: Tensor, expected: ArrayLike<number>, atol: number, rtol: number): void {
  expect(actual.size).toBe(expected.length);
  for (let i = 0; i < actual.size; i++) {
    const [a, e] = [actual.data[i], expected[i]];
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) expect.fail(`element ${i}: ${a} vs ${e}`);
  }
}

describe('DSL examples', () => {
  it('has the four required examples, the BatchNorm-state one and the transformer ones (#19)', () => {
    expect(files).toEqual(['lenet_bn.layers', 'mlp_bn.layers', 'mobilenet_block.layers', 'resnet_mini.layers', 'tf_bn_mlp.layers', 'transformer_encoder.layers', 'vit.layers']);
  });

  it.each(files)('%s compiles, runs on the reference backend and matches onnxruntime-node', async (f) => {
    const g = compileDslFile(join(EXAMPLES, f), { seed: 7 });
    verify(g);
    for (const n of g.nodes) {
      expect(n.span?.line, n.name).toBeGreaterThan(0);
      for (const o of n.outputs) expect(o.type.shape, n.name).not.toBeNull();
    }
    const x = g.inputs[0];
    const shape = x.type.shape!.map((d) => (typeof d === 'number' ? d : 2));
    const input = randomInput(shape, 99);
    const ours = runGraph(g, { [x.name]: input });
    const session = await ort.InferenceSession.create(exportOnnx(g));
    const theirs = await session.run({ [x.name]: new ort.Tensor('float32', input.data as Float32Array, shape) });
    for (const o of g.outputs) {
      const t = ours[o.name];
      expect(t.shape).toEqual(theirs[o.name].dims.map(Number));
      expectClose(t, theirs[o.name].data as Float32Array, 1e-4, 1e-4);
    }
  });
});

describe('README', () => {
  it('the DSL example in README.md compiles with every shape inferred', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const src = /```\n(block basic[\s\S]*?)```/.exec(readme.slice(readme.indexOf('## The DSL')))?.[1];
    expect(src).toBeDefined();
    const g = compileDsl(src!, 'README.md');
    expect(g.outputs.map((o) => o.type.shape)).toEqual([['N', 16, 32, 32], ['N', 32, 32, 32]]);
  });
});

describe('LeNet-BN fixture reproduction', () => {
  // The DSL names each layer after its index in the PyTorch nn.Sequential (`net.<i>`), so the fixture's
  // initializers (`net.0.weight`, `net.1.running_mean`, ...) load by name.
  const src = `
model lenet_bn(input: f32[N, 1, 28, 28]) {
  output = input |> conv2d(6, kernel=5, name="net.0") |> batchnorm(name="net.1") |> sigmoid |> maxpool(2, stride=2)
    |> conv2d(16, kernel=5, name="net.4") |> batchnorm(name="net.5") |> sigmoid |> maxpool(2, stride=2)
    |> flatten |> dense(120, name="net.9") |> batchnorm(name="net.10") |> sigmoid
    |> dense(84, name="net.12") |> batchnorm(name="net.13") |> sigmoid |> dense(10, name="net.15")
  return output
}`;
  it('matches test_data_set_0 within the case tolerance', () => {
    const dir = join(MODELS, 'lenet_bn');
    const weights = loadOnnxFile(join(dir, 'model.onnx'));
    const g = compileDsl(src, 'lenet_fixture.layers', { weights });
    // Every parameter and running statistic came from the fixture (none left at its seeded init).
    const names = g.initializers.filter((v) => v.role).map((v) => v.name).sort();
    expect(names).toEqual(weights.initializers.map((v) => v.name).sort());
    const tol = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')).tolerance as { rtol: number; atol: number };
    const out = runGraph(g, { input: readTensorFile(join(dir, 'test_data_set_0/input_0.pb')) });
    const expected = readTensorFile(join(dir, 'test_data_set_0/output_0.pb'));
    expect(out[g.outputs[0].name].shape).toEqual(expected.shape);
    expectClose(out[g.outputs[0].name], expected.data, tol.atol, tol.rtol);
  });

  it('examples/lenet_bn.layers itself loads the fixture by nn.Sequential index (sequential: "net")', () => {
    const dir = join(MODELS, 'lenet_bn');
    const g = compileDslFile(join(EXAMPLES, 'lenet_bn.layers'), { weights: loadOnnxFile(join(dir, 'model.onnx')), sequential: 'net' });
    const tol = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')).tolerance as { rtol: number; atol: number };
    const out = runGraph(g, { x: readTensorFile(join(dir, 'test_data_set_0/input_0.pb')) });
    expectClose(out.y, readTensorFile(join(dir, 'test_data_set_0/output_0.pb')).data, tol.atol, tol.rtol);
  });

  it('rejects weights of the wrong shape with LC051', () => {
    const weights = loadOnnxFile(join(MODELS, 'lenet_bn/model.onnx'));
    const bad = src.replace('conv2d(6, kernel=5, name="net.0")', 'conv2d(6, kernel=3, name="net.0")').replace('kernel=5, name="net.4"', 'kernel=7, name="net.4"');
    expect(() => compileDsl(bad, 'bad.layers', { weights })).toThrow(/LC051|net\.0\.weight.*does not match/);
  });
});
