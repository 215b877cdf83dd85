// The NCHWc4 wasm kernels (runtime/js/wasm/blocked-pointwise.ts, blocked-depthwise.ts) alone against float64
// references, on odd shapes: pixel counts not a multiple of the 4-pixel tile (primes, a single pixel), output channels
// = 4 mod 8 (the lone-block tile), inputs read in NCHW (a region's entry) or NCHWc4, outputs written NCHW (an exit) or NCHWc4, depthwise windows with stride 1
// and 2, dilation, symmetric and asymmetric pads larger than the window's reach (checked border pixels), 1x1 planes,
// an epilogue with a per-channel bias, a residual and an activation, and the work split in two as two threads call it.
// Bound: a K-term float32 sum in any order is within (K + 2) u sum |a||b| of the exact value (error-bound.ts); the
// kernels sum in the NCHW kernels' order, so the layout pass changes no bit (test/js/layout.test.ts).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { emitBlockedPointwise, packPointwiseWeights } from '../../runtime/js/wasm/blocked-pointwise.ts';
import { emitBlockedDepthwise, emitGatherBlock } from '../../runtime/js/wasm/blocked-depthwise.ts';
import { encodeModule, type WasmFunction } from '../../runtime/js/wasm/encode.ts';
import type { SimdStep } from '../../runtime/js/wasm/simd-act.ts';
import { U, SAFETY } from '../helpers/error-bound.ts';
import { lcg } from '../helpers/random.ts';

/** A memory of `floats` floats (NaN everywhere: a stray store or an unwritten output shows) and the functions' exports. */
function instantiate(floats: number, fns: WasmFunction[]) {
  const pages = Math.ceil((floats * 4 + 64) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const F = new Float32Array(memory.buffer).fill(NaN);
  const mod = new WebAssembly.Module(encodeModule(fns, { initial: pages, maximum: pages, shared: false }) as BufferSource);
  return { F, W: new WebAssembly.Instance(mod, { env: { memory } }).exports as Record<string, (...a: number[]) => void> };
}

const block = (C: number, P: number, x: ArrayLike<number>) => {
  const out = new Float32Array(C * P);
  for (let c = 0; c < C; c++) for (let p = 0; p < P; p++) out[((c >> 2) * P + p) * 4 + (c & 3)] = x[c * P + p]!;
  return out;
};
const steps = (epilogue: boolean): SimdStep[] => (epilogue
  ? [{ kind: 'add', per: 'row' }, { kind: 'add', per: 'full' }, { kind: 'act', name: 'Clip', params: { min: -0.5, max: 0.75 } }] : []);
const clip = (v: number) => Math.min(0.75, Math.max(-0.5, v));
const rand = (n: number, rnd: () => number) => Float32Array.from({ length: n }, () => rnd() * 2 - 1);

/** Worst |got - exact| / bound (outputs in NCHW order); Infinity for NaN or a store outside the output. */
function worst(got: (i: number) => number, exact: number[], mag: number[], K: number, guard: () => boolean): number {
  if (!guard()) return Infinity;
  let w = 0;
  exact.forEach((e, i) => { const g = got(i); w = Math.max(w, Number.isNaN(g) ? Infinity : Math.abs(g - e) / (SAFETY * (K + 2) * U * mag[i]! + 1e-30)); });
  return w;
}

interface PwCase { K: number; M: number; P: number; nchw: boolean; nchwOut: boolean; epilogue: boolean; splitPixels: boolean; seed: number }

function runPointwise(c: PwCase): number {
  const rnd = lcg(c.seed), { K, M, P } = c;
  const x = rand(K * P, rnd), w = rand(M * K, rnd), bias = rand(M, rnd), res = rand(M * P, rnd);
  const xAt = 0, wAt = K * P, bAt = wAt + M * K, rAt = bAt + M, yAt = rAt + M * P, total = yAt + M * P + 64;
  const { F, W } = instantiate(total, [{ name: 'pw', code: emitBlockedPointwise({ K, M, P, input: c.nchw ? 'nchw' : 'nchwc4', output: c.nchwOut ? 'nchw' : 'nchwc4', steps: steps(c.epilogue) }) }]);
  F.set(c.nchw ? x : block(K, P, x), xAt); F.set(packPointwiseWeights(w, M, K), wAt); F.set(bias, bAt); F.set(c.nchwOut ? res : block(M, P, res), rAt);
  const nq = Math.ceil(M / 8), extra = c.epilogue ? [bAt * 4, rAt * 4] : [];
  // Two calls, as two threads: pixel halves (the first a multiple of 4) or block-pair halves.
  const ph = Math.floor(P / 8) * 4, qh = nq >> 1;
  const calls = c.splitPixels ? [[0, nq, 0, ph], [0, nq, ph, P]] : [[0, qh, 0, P], [qh, nq, 0, P]];
  for (const a of calls) W.pw!(xAt * 4, wAt * 4, yAt * 4, ...a, ...extra);
  const exact: number[] = [], mag: number[] = [];
  for (let m = 0; m < M; m++) for (let p = 0; p < P; p++) {
    let e = c.epilogue ? bias[m]! + res[m * P + p]! : 0, s = c.epilogue ? Math.abs(bias[m]!) + Math.abs(res[m * P + p]!) : 0;
    for (let k = 0; k < K; k++) { e += w[m * K + k]! * x[k * P + p]!; s += Math.abs(w[m * K + k]! * x[k * P + p]!); }
    exact.push(c.epilogue ? clip(e) : e); mag.push(s);
  }
  return worst((i) => F[c.nchwOut ? yAt + i : yAt + (((i / P) | 0) >> 2) * P * 4 + (i % P) * 4 + (((i / P) | 0) & 3)]!, exact, mag, K, () => F.subarray(yAt + M * P, total).every(Number.isNaN));
}

interface DwCase { C: number; H: number; W: number; k: number; s: number; d: number; pads: number[]; nchw: boolean; epilogue: boolean; seed: number; checked?: boolean }

/** The output block planes of the last runDepthwise. */
let lastDepthwise = new Float32Array(0);

function runDepthwise(c: DwCase): number {
  const rnd = lcg(c.seed), { C, H, W: IW, k, s, d } = c, [PT, PL, PB, PR] = c.pads as [number, number, number, number];
  const OH = Math.floor((H + PT + PB - d * (k - 1) - 1) / s) + 1, OW = Math.floor((IW + PL + PR - d * (k - 1) - 1) / s) + 1, P = OH * OW;
  const x = rand(C * H * IW, rnd), w = rand(C * k * k, rnd), bias = rand(C, rnd), res = rand(C * P, rnd);
  const xAt = 0, sAt = C * H * IW, wAt = sAt + H * IW * 4, bAt = wAt + C * k * k, rAt = bAt + C, yAt = rAt + C * P, total = yAt + C * P + 64;
  const fns = [{ name: 'dw', code: emitBlockedDepthwise({ H, W: IW, PT, PL, OH, OW, KH: k, KW: k, SH: s, SW: s, DH: d, DW: d, steps: steps(c.epilogue), maxBorderBodies: c.checked ? 0 : undefined }) },
    { name: 'gather', code: emitGatherBlock(H * IW, H * IW * 4) }];
  const { F, W } = instantiate(total, fns);
  F.set(c.nchw ? x : block(C, H * IW, x), xAt); F.set(bias, bAt); F.set(block(C, P, res), rAt);
  for (let ch = 0; ch < C; ch++) for (let t = 0; t < k * k; t++) F[wAt + ((ch >> 2) * k * k + t) * 4 + (ch & 3)] = w[ch * k * k + t]!;
  for (let cb = 0; cb < C / 4; cb++) {
    const src = c.nchw ? sAt : xAt + cb * H * IW * 4;
    if (c.nchw) W.gather!((xAt + cb * 4 * H * IW) * 4, sAt * 4);
    W.dw!(src * 4, (yAt + cb * P * 4) * 4, (wAt + cb * k * k * 4) * 4, ...(c.epilogue ? [(bAt + cb * 4) * 4, (rAt + cb * P * 4) * 4] : []));
  }
  const exact: number[] = [], mag: number[] = [];
  for (let ch = 0; ch < C; ch++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
    let e = c.epilogue ? bias[ch]! + res[ch * P + oy * OW + ox]! : 0, m = c.epilogue ? Math.abs(bias[ch]!) + Math.abs(res[ch * P + oy * OW + ox]!) : 0;
    for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
      const iy = oy * s - PT + ky * d, ix = ox * s - PL + kx * d;
      if (iy < 0 || iy >= H || ix < 0 || ix >= IW) continue;
      const t = w[(ch * k + ky) * k + kx]! * x[(ch * H + iy) * IW + ix]!;
      e += t; m += Math.abs(t);
    }
    exact.push(c.epilogue ? clip(e) : e); mag.push(m);
  }
  lastDepthwise = F.slice(yAt, yAt + C * P);
  return worst((i) => { const ch = (i / P) | 0; return F[yAt + ((ch >> 2) * P + (i % P)) * 4 + (ch & 3)]!; }, exact, mag, k * k, () => F.subarray(yAt + C * P, total).every(Number.isNaN));
}

const quad = (max: number) => fc.integer({ min: 1, max }).map((n) => 4 * n);
const size = fc.oneof(fc.integer({ min: 1, max: 9 }), fc.constantFrom(13, 17, 29, 31));

describe('NCHWc4 pointwise conv kernel', () => {
  it('agrees with the exact product within the K-term bound: odd pixel counts, lone last block, NCHW or blocked input and output, split in two (fast-check)', () => {
    const arb = fc.record({ K: quad(12), M: quad(11), P: fc.oneof(size, fc.constantFrom(49, 61, 196)), nchw: fc.boolean(), nchwOut: fc.boolean(), epilogue: fc.boolean(),
      splitPixels: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }) });
    fc.assert(fc.property(arb, (c) => { expect(runPointwise(c), JSON.stringify(c)).toBeLessThanOrEqual(1); }), { numRuns: 200, seed: 18 });
  });
});

describe('NCHWc4 depthwise conv kernel', () => {
  it('agrees with the exact window sums within the bound: stride 1 and 2, dilation, pads, 1x1 planes, NCHW or blocked input, border taps specialized or checked (fast-check)', () => {
    const arb = fc.record({ C: quad(3), H: size, W: size, k: fc.constantFrom(1, 3, 3, 5), s: fc.constantFrom(1, 2), d: fc.constantFrom(1, 1, 2),
      pads: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }), nchw: fc.boolean(), epilogue: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }),
      checked: fc.boolean() })
      .filter((c) => c.H + c.pads[0]! + c.pads[2]! > c.d * (c.k - 1) && c.W + c.pads[1]! + c.pads[3]! > c.d * (c.k - 1));
    fc.assert(fc.property(arb, (c) => { expect(runDepthwise(c), JSON.stringify(c)).toBeLessThanOrEqual(1); }), { numRuns: 300, seed: 18 });
  });

  it('specialized border pixels equal the run-time checked ones bit for bit (same taps, same order; fast-check)', () => {
    const arb = fc.record({ C: quad(2), H: size, W: size, k: fc.constantFrom(1, 3, 5), s: fc.constantFrom(1, 2), d: fc.constantFrom(1, 2),
      pads: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }), nchw: fc.boolean(), epilogue: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }) })
      .filter((c) => c.H + c.pads[0]! + c.pads[2]! > c.d * (c.k - 1) && c.W + c.pads[1]! + c.pads[3]! > c.d * (c.k - 1));
    fc.assert(fc.property(arb, (c) => {
      runDepthwise({ ...c, checked: false });
      const special = lastDepthwise;
      runDepthwise({ ...c, checked: true });
      expect(Array.from(special), JSON.stringify(c)).toEqual(Array.from(lastDepthwise));
    }), { numRuns: 150, seed: 1812 });
  });

  it('reads a 3x3 stride-2 window over a 1x1 plane with pad 1 (only the centre tap is inside)', () => {
    expect(runDepthwise({ C: 4, H: 1, W: 1, k: 3, s: 2, d: 1, pads: [1, 1, 1, 1], nchw: false, epilogue: true, seed: 7 })).toBeLessThanOrEqual(1);
  });
});
