// Winograd for stride-2 convs by phase split (runtime/js/kernels/winograd-phase.ts) against the reference
// interpreter within the derived error bound (test/helpers/error-bound.ts + winograd-bound.ts, which bounds a
// stride-2 conv as the stride-1 conv over its phase planes): generated shapes (odd sizes, maps smaller than a tile,
// filters 3..8 wide, pads 0..K-1 per side, asymmetric), bias absent or present, every fused epilogue operand kind
// (per channel, full residual, scalar) and activation, the SIMD and the JS tail epilogue, each transform of the
// phase filter width forced (F(4x4,2x2); F(2x2,3x3), F(4x4,3x3); F(2x2,4x4), F(4x4,4x4)), 1 and 2 threads. Each case
// checks the conv really took the phase kernel. Then the pieces in float64: the generated Toom-Cook matrices are
// the correlation, the phase planes and regrouped weights are the stride-2 conv; then switch and cost model.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lowering } from '../../passes/pipelines.ts';
import { compileProgram, JS_CAPABILITIES } from '../../runtime/js/index.ts';
import { choosePhaseWinograd, phaseGeometry, phasePlanes, phaseWeights } from '../../runtime/js/kernels/winograd-phase.ts';
import { F2R4, F4R2, F4R4, transformsFor } from '../../runtime/js/wasm/winograd-matrices.ts';
import type { ConvGeometry } from '../../runtime/js/kernels/conv.ts';
import { CONV_EPILOGUES, convEpilogueGraph, runConvEpilogue } from '../helpers/conv-epilogue-case.ts';
import { lcg } from '../helpers/random.ts';

const EPILOGUES = CONV_EPILOGUES;

interface Case {
  N: number; C: number; M: number; K: number; H: number; W: number; pads: number[]; bias: boolean;
  epilogue: (typeof EPILOGUES)[number]; /** Forced tile size; undefined: the cost model's choice. */ tile?: 2 | 4;
  threads: number; simdEpilogue: boolean; seed: number;
}

const outSize = (n: number, lo: number, hi: number, K: number) => Math.floor((n + lo + hi - K) / 2) + 1;

const build = (c: Case) => convEpilogueGraph({ ...c, stride: 2 });

/** Runs the case on the js backend (lowered, fused): the worst |js - ref| / bound and the conv's kernel. */
const run = (c: Case, extra: Record<string, unknown> = {}) =>
  runConvEpilogue({ ...c, stride: 2 }, { threads: c.threads, winogradTile: c.tile, simdEpilogue: c.simdEpilogue, ...extra });

const pad = (K: number) => fc.integer({ min: 0, max: K - 1 });
const arbCase: fc.Arbitrary<Case> = fc.integer({ min: 3, max: 8 }).chain((K) => fc.record({
  N: fc.constantFrom(1, 2),
  C: fc.constantFrom(1, 2, 3, 5, 9),
  M: fc.constantFrom(1, 3, 4, 9, 16),
  K: fc.constant(K),
  H: fc.integer({ min: 1, max: 21 }),
  W: fc.integer({ min: 1, max: 21 }),
  pads: fc.tuple(pad(K), pad(K), pad(K), pad(K)),
  bias: fc.boolean(),
  epilogue: fc.constantFrom(...EPILOGUES),
  // F(4x4,2x2) is the only transform for 2x2 phases (K = 3, 4).
  tile: K <= 4 ? fc.constant(4 as const) : fc.constantFrom(2 as const, 4 as const),
  threads: fc.constantFrom(1, 2),
  simdEpilogue: fc.boolean(),
  seed: fc.integer({ min: 1, max: 1e6 }),
})).filter((c) => c.H + c.pads[0]! + c.pads[2]! >= c.K && c.W + c.pads[1]! + c.pads[3]! >= c.K);

describe('Winograd by phases for stride-2 convs (js) == reference within the derived bound', () => {
  it('generated shapes, filters 3..8, pads, bias, epilogues, each transform forced, 1 and 2 threads (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(arbCase, async (c) => {
      const { ratio, kind } = await run(c);
      const R = Math.ceil(c.K / 2);
      expect(kind, JSON.stringify(c)).toContain(`winograd F(${c.tile!}x${c.tile!},${R}x${R}) phases of conv ${c.K}x${c.K}/2`);
      expect(ratio, JSON.stringify(c)).toBeLessThanOrEqual(1);
    }), { numRuns: 60, seed: 18 });
  }, 90_000);

  it('ResNet-18\'s stem (7x7/2, 3 -> 64 channels, bias + ReLU) at 64x64 takes F(4x4,4x4) by the cost model, 1 and 2 threads', async () => {
    for (const threads of [1, 2]) {
      const c: Case = { N: 1, C: 3, M: 64, K: 7, H: 64, W: 64, pads: [3, 3, 3, 3], bias: true, epilogue: 'relu', threads, simdEpilogue: true, seed: 5 };
      const { ratio, kind } = await run(c);
      expect(kind).toContain('winograd F(4x4,4x4) phases of conv 7x7/2 3->64');
      expect(ratio).toBeLessThanOrEqual(1);
    }
  }, 60_000);
});

describe('Winograd by phases: matrices, regrouping, switch and cost model', () => {
  it('the generated F(4x4,2x2), F(2x2,4x4), F(4x4,4x4) compute the r-tap correlation (float64, fast-check)', () => {
    fc.assert(fc.property(fc.constantFrom(F4R2, F2R4, F4R4), fc.integer({ min: 1, max: 1e6 }), (t, seed) => {
      const rnd = lcg(seed);
      const g = Array.from({ length: t.r }, () => rnd() * 2 - 1), d = Array.from({ length: t.alpha }, () => rnd() * 2 - 1);
      const Gg = t.G.map((row) => row.reduce((s, x, k) => s + x * g[k]!, 0));
      const Bd = t.BT.map((row) => row.reduce((s, x, k) => s + x * d[k]!, 0));
      for (let i = 0; i < t.m; i++) {
        const y = t.AT[i]!.reduce((s, a, j) => s + a * Gg[j]! * Bd[j]!, 0);
        const want = g.reduce((s, gk, k) => s + gk * d[i + k]!, 0);
        expect(Math.abs(y - want)).toBeLessThan(1e-12);
      }
    }), { numRuns: 60, seed: 3 });
  });

  it('the phase planes and regrouped weights, as an unpadded stride-1 conv, are the stride-2 conv (float64, fast-check)', () => {
    const arb = fc.record({
      N: fc.constantFrom(1, 2), C: fc.integer({ min: 1, max: 3 }), M: fc.integer({ min: 1, max: 3 }), K: fc.integer({ min: 3, max: 8 }),
      H: fc.integer({ min: 1, max: 13 }), W: fc.integer({ min: 1, max: 13 }), PT: fc.integer({ min: 0, max: 7 }), PL: fc.integer({ min: 0, max: 7 }),
      PB: fc.integer({ min: 0, max: 7 }), PR: fc.integer({ min: 0, max: 7 }), seed: fc.integer({ min: 1, max: 1e6 }),
    }).filter((s) => s.H + s.PT + s.PB >= s.K && s.W + s.PL + s.PR >= s.K);
    fc.assert(fc.property(arb, (s) => {
      const rnd = lcg(s.seed), OH = outSize(s.H, s.PT, s.PB, s.K), OW = outSize(s.W, s.PL, s.PR, s.K);
      const c: ConvGeometry = { N: s.N, C: s.C, H: s.H, W: s.W, M: s.M, G: 1, KH: s.K, KW: s.K, OH, OW, SH: 2, SW: 2, DH: 1, DW: 1, PT: s.PT, PL: s.PL };
      const x = Float32Array.from({ length: s.N * s.C * s.H * s.W }, () => rnd() * 2 - 1);
      const w = Float32Array.from({ length: s.M * s.C * s.K * s.K }, () => rnd() * 2 - 1);
      const p = phaseGeometry(c)!, xq = phasePlanes(c, x), wq = phaseWeights(c, w), R = p.KH;
      expect([p.C, p.KH, p.OH, p.OW, p.PT, p.SH]).toEqual([4 * s.C, Math.ceil(s.K / 2), OH, OW, 0, 1]);
      for (let n = 0; n < s.N; n++) for (let m = 0; m < s.M; m++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
        let want = 0, got = 0;
        for (let ci = 0; ci < s.C; ci++) for (let ky = 0; ky < s.K; ky++) for (let kx = 0; kx < s.K; kx++) {
          const iy = 2 * oy - s.PT + ky, ix = 2 * ox - s.PL + kx;
          if (iy >= 0 && iy < s.H && ix >= 0 && ix < s.W) want += x[((n * s.C + ci) * s.H + iy) * s.W + ix]! * w[((m * s.C + ci) * s.K + ky) * s.K + kx]!;
        }
        for (let cq = 0; cq < p.C; cq++) for (let ky = 0; ky < R; ky++) for (let kx = 0; kx < R; kx++) {
          got += xq[((n * p.C + cq) * p.H + oy + ky) * p.W + ox + kx]! * wq[((m * p.C + cq) * R + ky) * R + kx]!;
        }
        expect(Math.abs(got - want)).toBeLessThan(1e-12);
      }
    }), { numRuns: 40, seed: 11 });
  });

  it('winograd: false or winogradPhase: false keep the stem on the im2col GEMM', () => {
    const { graph } = build({ N: 1, C: 3, M: 64, K: 7, H: 64, W: 64, pads: [3, 3, 3, 3], bias: true, epilogue: 'relu', threads: 1, simdEpilogue: true, seed: 1 });
    lowering(JS_CAPABILITIES)(graph);
    const kinds = (o: Record<string, unknown>) => compileProgram(graph, { threads: 1, ...o }).kernels.map((k) => k.kind).join();
    expect(kinds({})).toContain('phases of conv 7x7/2');
    expect(kinds({ winograd: false })).toMatch(/^conv 7x7\/2/);
    expect(kinds({ winogradPhase: false })).toMatch(/^conv 7x7\/2/);
  });

  it('the cost model: F(4x4,4x4) for ResNet-18\'s stem, F(4x4,3x3) for a 5x5/2 layer, im2col for ResNet-18\'s 3x3/2 and 1x1/2 convs', () => {
    const geo = (C: number, M: number, H: number, K: number): ConvGeometry => {
      const P = K >> 1, O = Math.floor((H + 2 * P - K) / 2) + 1;
      return { N: 1, C, H, W: H, M, G: 1, KH: K, KW: K, OH: O, OW: O, SH: 2, SW: 2, DH: 1, DW: 1, PT: P, PL: P };
    };
    expect(choosePhaseWinograd(geo(3, 64, 224, 7))).toBe(F4R4);
    expect(choosePhaseWinograd(geo(32, 64, 56, 5))?.m).toBe(4);
    for (const [C, H] of [[64, 56], [128, 28], [256, 14]]) expect(choosePhaseWinograd(geo(C, 2 * C, H, 3))).toBeNull();
    expect(choosePhaseWinograd(geo(64, 128, 56, 1))).toBeNull();
    expect(transformsFor(1)).toEqual([]);
  });
});
