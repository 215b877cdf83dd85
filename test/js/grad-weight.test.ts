// ConvGradWeight of stride-1 unpadded convs on the js backend's direct wasm kernel (runtime/js/wasm/grad-weight.ts)
// against the definition summed in float64, on odd shapes: output widths not a multiple of 4 (the masked last
// chunk of a row), output-channel counts not a multiple of the block rows, rectangular and dilated windows,
// groups, 1 and 2 threads. Bound: dW is a sum of L = N*OH*OW products, so any float32 summation order is within
// (L + 2) u sum |dY||X| of the exact value (test/helpers/error-bound.ts, the Conv rule with K = L).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph } from '../../src/ir/graph.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { compileProgram } from '../../runtime/js/index.ts';
import '../../src/ops/index.ts';
import { compileJsLowered, lowerForJsBackend } from './graphs.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';
import { SAFETY, U } from '../helpers/error-bound.ts';
import type { Tensor } from '../../src/ir/tensor.ts';

interface Case { N: number; G: number; Cg: number; Mg: number; KH: number; KW: number; DH: number; DW: number; OH: number; OW: number; seed: number }

/** Exact dW and sum |dY||X| per element, from the definition. */
function exact(c: Case, dy: Tensor, x: Tensor): { want: Float64Array; mag: Float64Array } {
  const { N, G, Cg, Mg, KH, KW, DH, DW, OH, OW } = c;
  const M = G * Mg, C = G * Cg, H = OH + (KH - 1) * DH, W = OW + (KW - 1) * DW;
  const want = new Float64Array(M * Cg * KH * KW), mag = new Float64Array(want.length);
  const Y = dy.data as Float32Array, Xd = x.data as Float32Array;
  for (let m = 0; m < M; m++) for (let ci = 0; ci < Cg; ci++) for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) {
    const i = ((m * Cg + ci) * KH + ky) * KW + kx, cin = Math.floor(m / Mg) * Cg + ci;
    for (let n = 0; n < N; n++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
      const p = Y[((n * M + m) * OH + oy) * OW + ox]! * Xd[((n * C + cin) * H + oy + ky * DH) * W + ox + kx * DW]!;
      want[i] += p; mag[i] += Math.abs(p);
    }
  }
  return { want, mag };
}

async function worstRatio(c: Case): Promise<number> {
  const M = c.G * c.Mg, C = c.G * c.Cg, H = c.OH + (c.KH - 1) * c.DH, W = c.OW + (c.KW - 1) * c.DW;
  const rnd = lcg(c.seed);
  const dy = uniformTensor([c.N, M, c.OH, c.OW], rnd), x = uniformTensor([c.N, C, H, W], rnd);
  const g = new Graph('gw');
  const dyi = g.addInput('dy', { dtype: 'float32', shape: dy.shape as number[] }), xi = g.addInput('x', { dtype: 'float32', shape: x.shape as number[] });
  const attrs = { strides: [1, 1], pads: [0, 0, 0, 0], dilations: [c.DH, c.DW], group: c.G, w_shape: [M, c.Cg, c.KH, c.KW] };
  g.outputs = [g.addNode('ConvGradWeight', [dyi, xi], attrs, { domain: 'ai.layerc' }).outputs[0]!];
  inferShapes(g);
  expect(compileProgram(lowerForJsBackend(g), { threads: 1 }).kernels[0]!.kind).toMatch(/grad-weight direct/);
  const { want, mag } = exact(c, dy, x);
  const L = c.N * c.OH * c.OW;
  const ratio = (got: Tensor) => {
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(Number(got.data[i]) - want[i]!) / (SAFETY * (L + 2) * U * mag[i]! + 1e-30));
    return got.size === want.length ? worst : Infinity;
  };
  let worst = ratio(runGraph(g, { dy, x })[g.outputs[0]!.name]!); // the reference itself is within the bound
  for (const threads of [1, 2]) {
    const m = await compileJsLowered(g, { threads });
    try { worst = Math.max(worst, ratio((await m.run({ dy, x }))[g.outputs[0]!.name]!)); } finally { await m.dispose(); }
  }
  return worst;
}

const arbCase = fc.record({
  N: fc.integer({ min: 1, max: 3 }), G: fc.integer({ min: 1, max: 2 }), Cg: fc.integer({ min: 1, max: 3 }), Mg: fc.integer({ min: 1, max: 7 }),
  KH: fc.integer({ min: 1, max: 5 }), KW: fc.integer({ min: 1, max: 5 }), DH: fc.integer({ min: 1, max: 2 }), DW: fc.integer({ min: 1, max: 2 }),
  OH: fc.integer({ min: 1, max: 7 }), OW: fc.integer({ min: 1, max: 11 }), seed: fc.integer({ min: 1, max: 1e6 }),
});

describe('ConvGradWeight, direct wasm kernel (stride 1, no padding)', () => {
  it('agrees with the definition within the L-term bound on odd shapes, 1 and 2 threads (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(arbCase, async (c) => { expect(await worstRatio(c), JSON.stringify(c)).toBeLessThanOrEqual(1); }), { numRuns: 25, seed: 18 });
  }, 60_000);

  it('LeNet\'s second conv (6 -> 16, 5x5, 12x12 input; a full row of 8 columns, no masked chunk) and a 3-wide masked row', async () => {
    expect(await worstRatio({ N: 3, G: 1, Cg: 6, Mg: 16, KH: 5, KW: 5, DH: 1, DW: 1, OH: 8, OW: 8, seed: 7 })).toBeLessThanOrEqual(1);
    expect(await worstRatio({ N: 2, G: 2, Cg: 2, Mg: 5, KH: 3, KW: 3, DH: 1, DW: 2, OH: 4, OW: 3, seed: 8 })).toBeLessThanOrEqual(1);
  });
});
