// One-step gradients of DSL models built from the #19 layers: a tiny ViT (patch embedding, tokens, position
// embedding, a pre-norm encoder block with multi-head attention and a GELU MLP, mean pooling, head) and a
// tiny U-Net-like net (groupnorm, silu, upsample nearest/linear, conv_transpose2d, skip concat). For each:
// autodiff on the reference interpreter vs central finite differences in float64 (every 4th parameter entry),
// then the same gradient graph in float32 on the js and wgsl backends vs the reference.
import { describe, expect, it } from 'vitest';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { backward } from '../../src/train/autodiff.ts';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { compileProgram } from '../../runtime/js/index.ts';
import { compileJsLowered, lowerForJsBackend, toleranceRatio } from '../js/graphs.ts';
import { uniformTensor } from '../helpers/random.ts';
import { compileWgslLowered, hasAdapter } from '../wgsl/gpu.ts';

const VIT = `block encoder(x, dim, heads, mlp) {
  h = x + (x |> layernorm |> multihead_attention(dim, heads))
  return h + (h |> layernorm |> dense(mlp) |> gelu |> dense(dim))
}
model vit(x: f32[2, 1, 8, 8]) {
  t = x |> conv2d(8, kernel=4, stride=4) |> tokens |> pos_embedding
  return t |> encoder(8, 2, 12) |> layernorm |> reduce_mean(axis=1) |> dense(3)
}`;

const UNET = `model unet(x: f32[2, 2, 6, 6]) {
  e = x |> conv2d(4, kernel=3, pad=1) |> groupnorm(2) |> silu
  d = e |> maxpool(2) |> conv2d(4, kernel=3, pad=1) |> gelu(approximate="tanh")
  u = concat(d |> upsample(2), d |> conv_transpose2d(4, kernel=2, stride=2), e, axis=1)
  return u |> conv2d(2, kernel=1) |> upsample(2, mode="linear") |> avgpool(2)
}`;

/** The model, loss = sum(y * w) for a fixed w, and d loss / d every parameter as outputs; params randomized. */
function gradientGraph(src: string, dtype: 'float32' | 'float64'): { g: Graph; params: Value[]; loss: Value; feeds: Record<string, Tensor> } {
  const g = compileDsl(src, 'm.layers', { seed: 4 });
  const cast = (t: Tensor) => (dtype === 'float64' && t.dtype === 'float32' ? Tensor.fromArray('float64', [...t.shape], t.data) : t);
  g.initializers.forEach((v, i) => {
    const t = v.role === 'param' ? uniformTensor([...v.const!.shape], 40 + i, -0.6, 0.6) : v.const!;
    // Resize scales stay float32 (the op's type rule).
    g.setConst(v, v.users.some((n) => n.op === 'Resize') ? t : cast(t));
  });
  const x = g.inputs[0];
  x.type = { ...x.type, dtype };
  inferShapes(g);
  const y = g.outputs[0];
  const n = (y.type.shape as number[]).reduce((a, b) => a * b, 1);
  const w = g.addConst('w', cast(Tensor.fromArray('float32', y.type.shape as number[], Array.from({ length: n }, (_, i) => Math.sin(i + 1)))));
  const loss = g.addNode('ReduceSum', [g.addNode('Mul', [y, w]).outputs[0]!], { keepdims: 0 }).outputs[0]!;
  inferShapes(g);
  const params = g.initializers.filter((v) => v.role === 'param');
  const grads = backward(g, loss, params);
  g.outputs = [loss, ...params.map((p) => grads.get(p)!)];
  inferShapes(g);
  return { g, params, loss, feeds: { [x.name]: cast(uniformTensor(x.type.shape as number[], 8, -1, 1)) } };
}

describe.each([['tiny ViT', VIT], ['tiny U-Net', UNET]])('%s one-step gradients', (_, src) => {
  it('reference autodiff == central finite differences (float64)', () => {
    const { g, params, loss, feeds } = gradientGraph(src, 'float64');
    const out = runGraph(g, feeds);
    let checked = 0;
    params.forEach((p, k) => {
      const t = p.const!, ad = out[g.outputs[k + 1].name]!;
      for (let i = k % 4; i < t.size; i += 4) {
        const old = t.data[i];
        t.data[i] = old + 1e-6; const up = runGraph(g, feeds, { outputs: [loss.name] } as never)[loss.name]!.data[0];
        t.data[i] = old - 1e-6; const down = runGraph(g, feeds, { outputs: [loss.name] } as never)[loss.name]!.data[0];
        t.data[i] = old;
        const fd = (up - down) / 2e-6;
        expect(Math.abs(ad.data[i] - fd), `${p.name}[${i}] autodiff ${ad.data[i]} fd ${fd}`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(fd)) + 1e-7);
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(60);
  });

  const { g, feeds } = gradientGraph(src, 'float32');
  const ref = runGraph(g, feeds);
  const agree = (got: Record<string, Tensor>) => {
    for (const o of g.outputs) expect(toleranceRatio(got[o.name]!, ref[o.name]!), o.name).toBeLessThanOrEqual(1);
  };

  it('js backend == reference (loss and every parameter gradient), every node on a kernel', async () => {
    expect(compileProgram(lowerForJsBackend(g)).kernels.filter((k) => k.kind === 'reference').map((k) => k.op)).toEqual([]);
    const m = await compileJsLowered(g);
    try { agree(await m.run(feeds)); } finally { await m.dispose(); }
  });

  it.skipIf(!hasAdapter)('wgsl backend == reference (loss and every parameter gradient)', async () => {
    const m = await compileWgslLowered(g);
    try {
      expect(m.info?.hostFallback).toBeUndefined();
      agree(await m.run(feeds));
    } finally { await m.dispose(); }
  });
});
