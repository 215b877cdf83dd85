// Every DSL layer and option has ONNX semantics: small models that between them use each row of the layer
// table (and each non-default argument) are exported with exportOnnx and run in onnxruntime-node, which
// must agree with our reference interpreter. A layer whose mapping to ONNX were wrong (say, pads in the
// wrong order, momentum not inverted, count_include_pad) would differ here or fail to load.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { compileDsl, LAYERS } from '../../src/frontend/dsl.ts';
import { exportOnnx } from '../../src/export/onnx.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { uniformTensor } from '../helpers/random.ts';

const MODELS: Record<string, string> = {
  conv_options: `model m(x: f32[N, 4, 9, 9]) {
  a = x |> conv2d(6, kernel=3, stride=2, pad=1, dilation=1, groups=2, bias=false) |> leaky_relu(alpha=0.2)
  b = x |> conv2d(4, kernel=3, pad="same", dilation=2) |> relu6
  c = x |> conv2d(4, kernel=2, stride=2, pad="same") |> tanh
  return a, b, c
}`,
  transpose_and_pools: `model m(x: f32[N, 3, 7, 7]) {
  up = x |> conv_transpose2d(5, kernel=3, stride=2, pad=1, output_pad=1) |> sigmoid
  p = up |> avgpool(3, stride=2, pad=1)
  q = up |> maxpool(2) |> global_avgpool |> flatten
  return p, q
}`,
  dense_bn_softmax: `model m(x: f32[N, 2, 3, 3]) {
  f = x |> batchnorm(eps=0.001, momentum=0.3) |> flatten
  y = f |> dense(7) |> batchnorm(scale=false, center=false) |> relu |> dropout(0.25)
    |> dense(5, bias=false, trainable=false, name="head") |> softmax(axis=1)
  return y, concat(f, f, axis=1)
}`,
  blocks_residual: `block unit(x, ch, k = 3) {
  return relu((x |> conv2d(ch, kernel=k, pad=1) |> batchnorm) + x)
}
model m(x: f32[N, 3, 5, 5]) {
  y = x |> unit(3) |> unit(ch=3, k=3, name="second")
  return concat(y, x, axis=1) |> softmax
}`,
  transformer: `model m(x: f32[N, 4, 6, 6]) {
  u = x |> groupnorm(2) |> silu |> upsample(2) |> upsample(scale=2, mode="linear")
  t = x |> conv2d(8, kernel=2, stride=2) |> tokens |> pos_embedding
  h = t + (t |> layernorm |> multihead_attention(8, 2))
  y = h |> layernorm(axis=1, eps=0.001) |> dense(12) |> gelu |> dense(8) |> gelu(approximate="tanh") |> reduce_mean(axis=1)
  return u, y
}`,
};

const randomTensor = (shape: number[], seed: number, scale = 1): Tensor => uniformTensor(shape, seed, -scale, scale);

describe('DSL layers agree with onnxruntime-node', () => {
  it('the models below use every layer of the table', () => {
    const used = new Set(Object.values(MODELS).flatMap((src) => [...src.matchAll(/([a-z_0-9]+)(?=\(|\s*$|\s*\||\s*\n)/gm)].map((m) => m[1])));
    expect(Object.keys(LAYERS).filter((l) => !used.has(l))).toEqual([]);
  });

  it.each(Object.keys(MODELS))('%s', async (name) => {
    const g = compileDsl(MODELS[name], `${name}.layers`, { seed: 11 });
    // Non-trivial BN statistics, so a wrong epsilon/mean/var wiring cannot hide behind mean 0 / var 1.
    for (const v of g.initializers) {
      if (v.role === 'running_mean') g.setConst(v, randomTensor([...v.const!.shape], v.name.length, 0.5));
      if (v.role === 'running_var') g.setConst(v, Tensor.fromArray('float32', [...v.const!.shape], Array.from(randomTensor([...v.const!.shape], 3).data, (z) => 0.5 + Math.abs(z))));
      if ((v.name.endsWith('.bias') || /^(gn|ln)\d+\.weight$/.test(v.name)) && v.role === 'param') g.setConst(v, randomTensor([...v.const!.shape], 17, 0.3));
    }
    const x = g.inputs[0];
    const shape = x.type.shape!.map((d) => (typeof d === 'number' ? d : 2));
    const input = randomTensor(shape, 23);
    const ours = runGraph(g, { [x.name]: input });
    const session = await ort.InferenceSession.create(exportOnnx(g));
    const theirs = await session.run({ [x.name]: new ort.Tensor('float32', input.data as Float32Array, shape) });
    for (const o of g.outputs) {
      const a = ours[o.name], b = theirs[o.name];
      expect(b.dims.map(Number), o.name).toEqual(a.shape);
      const bd = b.data as Float32Array;
      for (let i = 0; i < a.size; i++) expect(Math.abs(a.data[i] - bd[i]), `${o.name}[${i}]`).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(bd[i]));
    }
  });
});
