// The Winograd conv kernel (runtime/js/kernels/winograd.ts) against the reference interpreter, within the
// derived error bound (test/helpers/error-bound.ts + winograd-bound.ts): generated shapes (odd sizes, sizes
// below the tile, one channel, many channels, pads 0/1/asymmetric), bias absent or present, every fused
// epilogue operand kind (per channel, full residual, scalar) and activation, the SIMD and the JS tail epilogue,
// F(2x2,3x3) and F(4x4,3x3) forced, the tiles on the GEMM's columns or (small-map kernel) on its rows, 1 and 2
// threads. Each case checks the conv really took the Winograd kernel it forced.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lowering } from '../../passes/pipelines.ts';
import { compileProgram, JS_CAPABILITIES } from '../../runtime/js/index.ts';
import { chooseWinograd, chooseWinogradLayout } from '../../runtime/js/kernels/winograd.ts';
import { winogradWeights } from '../../runtime/js/kernels/winograd-weights.ts';
import { F2, F4, filterTransform, matmul, transpose } from '../../runtime/js/wasm/winograd-matrices.ts';
import { CONV_EPILOGUES, convEpilogueGraph, runConvEpilogue } from '../helpers/conv-epilogue-case.ts';
import { lcg } from '../helpers/random.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../../src/cli/compile.ts';

const EPILOGUES = CONV_EPILOGUES;

interface Case {
  N: number; C: number; M: number; H: number; W: number; pads: number[]; bias: boolean;
  epilogue: (typeof EPILOGUES)[number]; /** Forced tile size; undefined: the cost model's choice. */ tile?: 2 | 4; threads: number; simdEpilogue: boolean; seed: number;
  /** Force the small-map kernel (runtime/js/kernels/winograd-small.ts) on or off; undefined: the cost model's choice. */
  small?: boolean;
}

const build = (c: Case) => convEpilogueGraph({ ...c, K: 3, stride: 1 });

/** Runs the case on the js backend (lowered, fused): the worst |js - ref| / bound, the conv kernel, the output. */
const run = (c: Case) => runConvEpilogue({ ...c, K: 3, stride: 1 }, { threads: c.threads, winogradTile: c.tile, winogradSmall: c.small, simdEpilogue: c.simdEpilogue });

const arbCase: fc.Arbitrary<Case> = fc.record({
  N: fc.constantFrom(1, 2),
  C: fc.constantFrom(1, 2, 3, 5, 17, 40),
  M: fc.constantFrom(1, 3, 4, 9, 16),
  H: fc.integer({ min: 1, max: 13 }),
  W: fc.integer({ min: 1, max: 13 }),
  pads: fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })),
  bias: fc.boolean(),
  epilogue: fc.constantFrom(...EPILOGUES),
  tile: fc.constantFrom(2 as const, 4 as const),
  threads: fc.constantFrom(1, 2),
  simdEpilogue: fc.boolean(),
  seed: fc.integer({ min: 1, max: 1e6 }),
  small: fc.boolean(),
}).filter((c) => c.H + c.pads[0]! + c.pads[2]! >= 3 && c.W + c.pads[1]! + c.pads[3]! >= 3);

describe('Winograd conv (js) == reference within the derived bound', () => {
  it('generated shapes, pads, bias, epilogues, F(2x2) and F(4x4), 1 and 2 threads (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(arbCase, async (c) => {
      const { ratio, kind } = await run(c);
      expect(kind, JSON.stringify(c)).toContain(`winograd F(${c.tile!}x${c.tile!},3x3)${c.small ? ' small map' : ' conv'}`);
      expect(ratio, JSON.stringify(c)).toBeLessThanOrEqual(1);
    }), { numRuns: 50, seed: 18 });
  }, 60_000);

  it('the small-map kernel (tiles as GEMM rows) equals the tiled one bit for bit: same products, same order (fast-check)', async () => {
    const arb = fc.record({
      N: fc.constantFrom(1, 2), C: fc.constantFrom(1, 3, 8, 21), M: fc.constantFrom(1, 5, 8, 13, 20),
      H: fc.integer({ min: 1, max: 15 }), W: fc.integer({ min: 1, max: 15 }),
      pads: fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })),
      bias: fc.boolean(), epilogue: fc.constantFrom(...EPILOGUES), tile: fc.constantFrom(2 as const, 4 as const),
      threads: fc.constantFrom(1, 2), simdEpilogue: fc.constant(true), seed: fc.integer({ min: 1, max: 1e6 }),
    }).filter((c) => c.H + c.pads[0]! + c.pads[2]! >= 3 && c.W + c.pads[1]! + c.pads[3]! >= 3);
    await fc.assert(fc.asyncProperty(arb, async (c: Case) => {
      const small = await run({ ...c, small: true }), tiled = await run({ ...c, small: false });
      expect(small.kind, JSON.stringify(c)).toContain('small map');
      expect(tiled.kind, JSON.stringify(c)).not.toContain('small map');
      const a = small.got.data as Float32Array, b = tiled.got.data as Float32Array;
      const bad = [...a.keys()].filter((i) => !Object.is(a[i], b[i]));
      expect(bad.slice(0, 3).map((i) => `${i}: ${a[i]} vs ${b[i]}`), JSON.stringify(c)).toEqual([]);
    }), { numRuns: 30, seed: 7 });
  }, 60_000);

  it('a 128-channel 7x7 layer (ResNet-18\'s 512-channel ones in small; residual + ReLU) takes the small-map F(4x4) by the cost model, 1 and 2 threads', async () => {
    for (const threads of [1, 2]) {
      const c: Case = { N: 1, C: 128, M: 128, H: 7, W: 7, pads: [1, 1, 1, 1], bias: true, epilogue: 'residual-relu', threads, simdEpilogue: true, seed: 4 };
      const { ratio, kind } = await run(c);
      expect(kind).toContain('winograd F(4x4,3x3) small map');
      expect(ratio).toBeLessThanOrEqual(1);
    }
  }, 60_000);

  it('a ResNet-like layer (64 channels, 28x28, residual + ReLU) with the cost model\'s own choice, 2 threads', async () => {
    const c: Case = { N: 1, C: 64, M: 64, H: 28, W: 28, pads: [1, 1, 1, 1], bias: true, epilogue: 'residual-relu', threads: 2, simdEpilogue: true, seed: 3 };
    const { ratio, kind } = await run(c);
    expect(kind).toContain('winograd F(4x4,3x3)');
    expect(ratio).toBeLessThanOrEqual(1);
  }, 30_000);
});

describe('Winograd: transforms, switch and cost model', () => {
  it('A^T[(G g G^T) ⊙ (B^T d B)]A is the 3x3 correlation of the tile (float64, both sizes)', () => {
    const rnd = lcg(5);
    for (const t of [F2, F4]) {
      const d = Array.from({ length: t.alpha }, () => Array.from({ length: t.alpha }, () => rnd() * 2 - 1));
      const w = Array.from({ length: 9 }, () => rnd() * 2 - 1);
      const U = filterTransform(t, w, 0), V = matmul(matmul(t.BT, d), transpose(t.BT));
      const Y = matmul(matmul(t.AT, V.map((r, i) => r.map((v, j) => v * U[i * t.alpha + j]!))), transpose(t.AT));
      for (let i = 0; i < t.m; i++) for (let j = 0; j < t.m; j++) {
        let s = 0;
        for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) s += d[i + ky]![j + kx]! * w[ky * 3 + kx]!;
        expect(Math.abs(Y[i]![j]! - s)).toBeLessThan(1e-12);
      }
    }
  });

  it('the packed filter transform is the dense float64 G g G^T rounded once, at [ξ][M/4][C][4], zero rows padding', () => {
    // 70 channels: two staged chunks of channels; 7 filters: a partial last panel.
    const rnd = lcg(9), M = 7, C = 70;
    const w = Float32Array.from({ length: M * C * 9 }, () => rnd() * 2 - 1);
    for (const t of [F2, F4]) {
      const packed = winogradWeights(t, w, M, C), out = new Float32Array(packed.length).fill(NaN);
      packed.write(out);
      const panel = Math.ceil(M / 4) * C * 4, bad: string[] = [];
      for (let m = 0; m < 8; m++) for (let ch = 0; ch < C; ch++) {
        const U = m < M ? filterTransform(t, w, (m * C + ch) * 9) : new Float64Array(t.alpha ** 2);
        U.forEach((u, xi) => { const got = out[xi * panel + ((m >> 2) * C + ch) * 4 + (m & 3)]; if (!Object.is(got, Math.fround(u))) bad.push(`m${m} c${ch} ξ${xi}: ${got} vs ${u}`); });
      }
      expect(packed.length).toBe(t.alpha ** 2 * panel);
      expect(bad.slice(0, 3)).toEqual([]);
    }
  });

  it('winograd: false keeps every conv on the direct kernels; by default a ResNet layer takes Winograd', () => {
    const c: Case = { N: 1, C: 64, M: 64, H: 56, W: 56, pads: [1, 1, 1, 1], bias: true, epilogue: 'relu', threads: 1, simdEpilogue: true, seed: 1 };
    const g = build(c).graph;
    lowering(JS_CAPABILITIES)(g);
    expect(compileProgram(g, { threads: 1 }).kernels.map((k) => k.kind).join()).toContain('winograd');
    expect(compileProgram(g, { threads: 1, winograd: false }).kernels.map((k) => k.kind).join()).not.toContain('winograd');
  });

  it('layerc compile --target js: Winograd kernels by default, none with --no-winograd (winograd: false)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerc-wino-'));
    try {
      const model = join(dir, 'm.layers');
      writeFileSync(model, 'model m(x: f32[1, 32, 28, 28]) {\n  y = x |> conv2d(32, kernel=3, pad=1) |> relu\n  return y\n}\n');
      const header = async (winograd: boolean, out: string) => {
        await compileModel(model, { target: 'js', output: join(dir, out), optLevel: 2, threads: 1, batch: 1, winograd });
        return readFileSync(join(dir, out, 'model.mjs'), 'utf8').split('\n').filter((l) => l.includes('conv')).join('\n');
      };
      expect(await header(true, 'on')).toContain('winograd F(4x4,3x3)');
      expect(await header(false, 'off')).not.toContain('winograd');
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('the cost model: direct for a 1->4 channel conv, F(4x4) for ResNet-18\'s 56x56 layers, small-map F(4x4) for its 7x7 ones', () => {
    const geo = (C: number, M: number, H: number) => ({ N: 1, C, M, H, W: H, G: 1, KH: 3, KW: 3, OH: H, OW: H, SH: 1, SW: 1, DH: 1, DW: 1, PT: 1, PL: 1 });
    expect(chooseWinograd(geo(1, 4, 28))).toBeNull();
    expect(chooseWinogradLayout(geo(64, 64, 56))).toMatchObject({ t: { m: 4 }, small: false });
    expect(chooseWinogradLayout(geo(512, 512, 7))).toMatchObject({ t: { m: 4 }, small: true });
    // The tiled kernel keeps F(2x2) there (4 tiles are half a panel of 8 columns).
    expect(chooseWinogradLayout(geo(512, 512, 7), undefined, false)?.t.m).toBe(2);
  });
});
