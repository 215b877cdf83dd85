// The transformer layers of the DSL (#19: layernorm, groupnorm, gelu, silu, upsample, tokens, pos_embedding,
// reduce_mean, multihead_attention, dense on tokens): the IR shapes each one gives, its reference numbers
// against a computation written out by hand here (plain loops over the layer's own parameters, randomized),
// and the js and wgsl backends against the reference on one model that uses them all.
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { compileJs, compileProgram } from '../../runtime/js/index.ts';
import { toleranceRatio } from '../js/graphs.ts';
import { uniformTensor } from '../helpers/random.ts';
import { compileWgslLowered, hasAdapter } from '../wgsl/gpu.ts';

/** Compiles `body` as a one-input model; every float parameter gets seeded random values (not the 1/0 init). */
function model(input: string, body: string): Graph {
  const g = compileDsl(`model m(x: f32[${input}]) {\n  return x |> ${body}\n}`, 'm.layers', { seed: 1 });
  g.initializers.forEach((v, i) => { if (v.role === 'param') g.setConst(v, uniformTensor([...v.const!.shape], 100 + i, -0.8, 0.8)); });
  return g;
}
const param = (g: Graph, name: string) => g.value(name)!.const!.data;
function run(g: Graph, shape: number[], seed = 3): { x: Float32Array; y: Tensor } {
  const x = uniformTensor(shape, seed, -2, 2);
  return { x: x.data as Float32Array, y: runGraph(g, { x })[g.outputs[0].name] };
}
function expectNear(got: Tensor, want: number[], tol = 2e-5): void {
  expect(got.size).toBe(want.length);
  for (let i = 0; i < want.length; i++) if (!(Math.abs(got.data[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) expect.fail(`[${i}] ${got.data[i]} vs ${want[i]}`);
}
/** erf by its Maclaurin series (|x| <= 3 here: 60 terms reach double precision). */
function erf(x: number): number {
  let term = x, sum = x;
  for (let n = 1; n < 80; n++) { term *= (-x * x) / n; sum += term / (2 * n + 1); }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
/** Normalizes each of `rows` rows of `len` values (biased variance), scaled per element by `affine(i)`. */
function normRows(x: ArrayLike<number>, rows: number, len: number, eps: number, affine: (row: number, i: number, v: number) => number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    const seg = Array.from({ length: len }, (_, i) => x[r * len + i]);
    const m = seg.reduce((a, b) => a + b, 0) / len;
    const v = seg.reduce((a, b) => a + (b - m) ** 2, 0) / len;
    seg.forEach((s, i) => out.push(affine(r, i, (s - m) / Math.sqrt(v + eps))));
  }
  return out;
}

describe('transformer DSL layers: shapes and reference numbers vs a hand computation', () => {
  it('layernorm over the last axis, and over the last two with axis=1', () => {
    const g = model('N, 3, 5', 'layernorm');
    expect(g.value('ln1.weight')!.const!.shape).toEqual([5]);
    const { x, y } = run(g, [2, 3, 5]);
    expect(y.shape).toEqual([2, 3, 5]);
    const w = param(g, 'ln1.weight'), b = param(g, 'ln1.bias');
    expectNear(y, normRows(x, 6, 5, 1e-5, (_, i, v) => v * w[i] + b[i]));
    const g2 = model('N, 3, 5', 'layernorm(axis=1, eps=0.01)');
    expect(g2.value('ln1.weight')!.const!.shape).toEqual([3, 5]);
    const r2 = run(g2, [2, 3, 5]);
    const w2 = param(g2, 'ln1.weight'), b2 = param(g2, 'ln1.bias');
    expectNear(r2.y, normRows(r2.x, 2, 15, 0.01, (_, i, v) => v * w2[i] + b2[i]));
  });

  it('groupnorm(groups): statistics per (sample, group), scale and bias per channel', () => {
    const g = model('N, 6, 2, 3', 'groupnorm(3)');
    const { x, y } = run(g, [2, 6, 2, 3]);
    const w = param(g, 'gn1.weight'), b = param(g, 'gn1.bias');
    // a group is 2 channels x 6 pixels = 12 contiguous values; channel = (row % 3) * 2 + i / 6
    expectNear(y, normRows(x, 6, 12, 1e-5, (r, i, v) => { const c = (r % 3) * 2 + Math.floor(i / 6); return v * w[c] + b[c]; }));
  });

  it('gelu (erf and tanh forms) and silu', () => {
    for (const [body, f] of [
      ['gelu', (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2))],
      ['gelu(approximate="tanh")', (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
      ['silu', (v: number) => v / (1 + Math.exp(-v))],
    ] as const) {
      const { x, y } = run(model('N, 7', body), [3, 7]);
      expectNear(y, Array.from(x, f));
    }
  });

  it('upsample: nearest copies floor(i / k); linear interpolates at half-pixel centres (PyTorch align_corners=False)', () => {
    const [H, W] = [3, 4];
    const near = run(model(`N, 2, ${H}, ${W}`, 'upsample(3)'), [1, 2, H, W]);
    expect(near.y.shape).toEqual([1, 2, 9, 12]);
    const want: number[] = [];
    for (let c = 0; c < 2; c++) for (let i = 0; i < 9; i++) for (let j = 0; j < 12; j++) want.push(near.x[c * H * W + Math.floor(i / 3) * W + Math.floor(j / 3)]);
    expectNear(near.y, want, 0);
    const lin = run(model(`N, 2, ${H}, ${W}`, 'upsample(2, mode="linear")'), [1, 2, H, W]);
    const src = (o: number, n: number) => { const s = Math.min(Math.max((o + 0.5) / 2 - 0.5, 0), n - 1); const i0 = Math.floor(s); return [i0, Math.min(i0 + 1, n - 1), s - i0]; };
    const w2: number[] = [];
    for (let c = 0; c < 2; c++) for (let i = 0; i < 2 * H; i++) for (let j = 0; j < 2 * W; j++) {
      const [a0, a1, fa] = src(i, H), [b0, b1, fb] = src(j, W), at = (r: number, q: number) => lin.x[c * H * W + r * W + q];
      w2.push((1 - fa) * ((1 - fb) * at(a0, b0) + fb * at(a0, b1)) + fa * ((1 - fb) * at(a1, b0) + fb * at(a1, b1)));
    }
    expectNear(lin.y, w2);
  });

  it('tokens, pos_embedding, reduce_mean and dense on tokens: a ViT stem and head', () => {
    const g = model('N, 3, 2, 2', 'tokens |> pos_embedding |> dense(5) |> reduce_mean(axis=1)');
    const shapes = Object.fromEntries(g.nodes.map((n) => [n.name, n.outputs[0].type.shape]));
    expect(shapes.pos1).toEqual(['N', 4, 3]);
    expect(g.outputs[0].type.shape).toEqual(['N', 5]);
    const { x, y } = run(g, [2, 3, 2, 2]);
    const P = param(g, 'pos1.weight'), W = param(g, 'dense1.weight'), B = param(g, 'dense1.bias');
    const want: number[] = [];
    for (let n = 0; n < 2; n++) {
      for (let o = 0; o < 5; o++) {
        let s = 0;
        for (let t = 0; t < 4; t++) {
          let dot = B[o];
          for (let c = 0; c < 3; c++) dot += W[o * 3 + c] * (x[n * 12 + c * 4 + t] + P[t * 3 + c]);
          s += dot;
        }
        want.push(s / 4);
      }
    }
    expectNear(y, want);
  });

  it('multihead_attention(dim, heads): per-head softmax(q k^T / sqrt(dh)) v with biased q/k/v/out projections', () => {
    const [T, C, dim, heads] = [3, 4, 6, 2], dh = dim / heads;
    const g = model(`N, ${T}, ${C}`, `multihead_attention(${dim}, ${heads})`);
    expect(g.outputs[0].type.shape).toEqual(['N', T, dim]);
    const { x, y } = run(g, [2, T, C]);
    const proj = (p: string, inp: number[][], fin: number) => inp.map((row) => Array.from({ length: dim }, (_, o) => {
      let s = param(g, `attn1.${p}.bias`)[o];
      for (let i = 0; i < fin; i++) s += param(g, `attn1.${p}.weight`)[o * fin + i] * row[i];
      return s;
    }));
    const want: number[] = [];
    for (let n = 0; n < 2; n++) {
      const xs = Array.from({ length: T }, (_, t) => Array.from(x.slice((n * T + t) * C, (n * T + t + 1) * C)));
      const [q, k, v] = ['q_proj', 'k_proj', 'v_proj'].map((p) => proj(p, xs, C));
      const o = Array.from({ length: T }, () => new Array<number>(dim).fill(0));
      for (let h = 0; h < heads; h++) {
        for (let i = 0; i < T; i++) {
          const s = Array.from({ length: T }, (_, j) => { let d = 0; for (let e = 0; e < dh; e++) d += q[i][h * dh + e] * k[j][h * dh + e]; return d / Math.sqrt(dh); });
          const mx = Math.max(...s), ex = s.map((z) => Math.exp(z - mx)), z = ex.reduce((a, b) => a + b, 0);
          for (let j = 0; j < T; j++) for (let e = 0; e < dh; e++) o[i][h * dh + e] += (ex[j] / z) * v[j][h * dh + e];
        }
      }
      want.push(...proj('out_proj', o, dim).flat());
    }
    expectNear(y, want);
  });
});

const ALL = `model m(x: f32[2, 4, 6, 6]) {
  u = x |> groupnorm(2) |> silu |> upsample(2) |> upsample(scale=2, mode="linear")
  t = x |> conv2d(8, kernel=2, stride=2) |> tokens |> pos_embedding
  h = t + (t |> layernorm |> multihead_attention(8, 2))
  y = h |> layernorm(axis=1) |> dense(12) |> gelu |> dense(8) |> gelu(approximate="tanh") |> reduce_mean(axis=1)
  return u, y
}`;

describe('transformer DSL layers on the js and wgsl backends == reference', () => {
  const g = compileDsl(ALL, 'all.layers', { seed: 5 });
  g.initializers.forEach((v, i) => { if (v.role === 'param' && v.name.endsWith('bias')) g.setConst(v, uniformTensor([...v.const!.shape], i, -0.5, 0.5)); });
  const feeds = { x: uniformTensor([2, 4, 6, 6], 9, -2, 2) };
  const ref = runGraph(g, feeds);

  it('js: every node on a kernel, outputs within 1e-4 + 1e-3 |ref|', async () => {
    expect(compileProgram(g).kernels.filter((k) => k.kind === 'reference').map((k) => k.op)).toEqual([]);
    const m = await compileJs(g);
    try {
      const got = await m.run(feeds);
      for (const o of g.outputs) expect(toleranceRatio(got[o.name]!, ref[o.name]!), o.name).toBeLessThanOrEqual(1);
    } finally { await m.dispose(); }
  });

  it.skipIf(!hasAdapter)('wgsl: no host fallback (the attention runs fused, passes/fuse-attention.ts), outputs within 1e-4 + 1e-3 |ref|', async () => {
    const m = await compileWgslLowered(g);
    try {
      expect(m.info?.hostFallback).toBeUndefined();
      const got = await m.run(feeds);
      for (const o of g.outputs) expect(toleranceRatio(got[o.name]!, ref[o.name]!), o.name).toBeLessThanOrEqual(1);
    } finally { await m.dispose(); }
  });
});
