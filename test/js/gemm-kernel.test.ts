// The packed wasm GEMM micro-kernel (runtime/js/wasm/gemm.ts) against a float64 product, on odd shapes:
// M and N not multiples of the register tile (edge tiles), K not a multiple of the K unroll, prime sizes,
// both loop orders, B packed or read in place (ldb), a column-bias + ReLU epilogue, and the block ranges
// split in two as two threads call it. Error bound: a K-term sum in float32 with any order is within
// (K + 2) u sum_k |a||b| of the exact value (test/helpers/error-bound.ts, Conv/Gemm rule).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { emitGemm } from '../../runtime/js/wasm/gemm.ts';
import { encodeModule } from '../../runtime/js/wasm/encode.ts';
import { MR, V, NR } from '../../runtime/js/kernels/conv.ts';
import { packConstB } from '../../runtime/js/kernels/gemm.ts';
import { U, SAFETY } from '../helpers/error-bound.ts';
import { lcg } from '../helpers/random.ts';

interface Case { M: number; N: number; K: number; unroll: number; rowsOuter: boolean; inPlaceB: boolean; bias: boolean; splitRows: boolean; seed: number }

/** Worst |wasm - exact| / bound over C; > 1 is a failure. */
function run(c: Case): number {
  const { M, N, K } = c;
  const rnd = lcg(c.seed);
  const a = Float32Array.from({ length: M * K }, () => rnd() * 2 - 1);
  const b = Float32Array.from({ length: K * N }, () => rnd() * 2 - 1);
  const bias = Float32Array.from({ length: N }, () => rnd() * 2 - 1);
  const mbs = Math.ceil(M / MR), nbs = Math.ceil(N / NR);
  // Layout (floats): packed A | B (packed panels, or row-major with a padded row stride) | bias | C | guard.
  const ldb = N + 3;
  const aAt = 0, bAt = mbs * K * MR, bFloats = c.inPlaceB ? K * ldb + NR : nbs * K * NR;
  const biasAt = bAt + bFloats, cAt = biasAt + nbs * NR, total = cAt + M * N + 64;
  const pages = Math.ceil((total * 4) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const F = new Float32Array(memory.buffer);
  for (let mb = 0; mb < mbs; mb++) for (let k = 0; k < K; k++) for (let r = 0; r < MR; r++) {
    const m = mb * MR + r;
    F[aAt + (mb * K + k) * MR + r] = m < M ? a[m * K + k]! : 0;
  }
  if (c.inPlaceB) for (let k = 0; k < K; k++) F.set(b.subarray(k * N, (k + 1) * N), bAt + k * ldb);
  else for (let nb = 0; nb < nbs; nb++) for (let k = 0; k < K; k++) for (let j = 0; j < NR; j++) {
    const n = nb * NR + j;
    F[bAt + (nb * K + k) * NR + j] = n < N ? b[k * N + n]! : 0;
  }
  F.set(bias, biasAt);
  F.fill(NaN, cAt + M * N, total); // a store past C would show up below
  const steps = c.bias ? [{ kind: 'add' as const, per: 'col' as const }, { kind: 'act' as const, name: 'Relu', params: {} }] : [];
  const code = emitGemm({ M, N, K, MR, V, ldc: N, steps: steps as never, rowsOuter: c.rowsOuter, unroll: c.unroll, ldb: c.inPlaceB ? ldb : undefined });
  const mod = new WebAssembly.Module(encodeModule([{ name: 'gemm', code }], { initial: pages, maximum: pages, shared: false }) as BufferSource);
  const gemm = new WebAssembly.Instance(mod, { env: { memory } }).exports.gemm as (...args: number[]) => void;
  const extra = c.bias ? [biasAt * 4] : [];
  // Two calls over halves of one dimension, as two threads split the blocks.
  const half = (n: number) => Math.floor(n / 2);
  if (c.splitRows) for (const [lo, hi] of [[0, half(mbs)], [half(mbs), mbs]]) gemm(aAt * 4, bAt * 4, cAt * 4, lo!, hi!, 0, nbs, ...extra);
  else for (const [lo, hi] of [[0, half(nbs)], [half(nbs), nbs]]) gemm(aAt * 4, bAt * 4, cAt * 4, 0, mbs, lo!, hi!, ...extra);
  let worst = 0;
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let exact = c.bias ? bias[n]! : 0, mag = c.bias ? Math.abs(bias[n]!) : 0;
    for (let k = 0; k < K; k++) { exact += a[m * K + k]! * b[k * N + n]!; mag += Math.abs(a[m * K + k]! * b[k * N + n]!); }
    if (c.bias) exact = Math.max(0, exact);
    const got = F[cAt + m * N + n]!;
    const bound = SAFETY * (K + 2) * U * mag + 1e-30;
    worst = Math.max(worst, Number.isNaN(got) ? Infinity : Math.abs(got - exact) / bound);
  }
  for (let i = cAt + M * N; i < total; i++) if (!Number.isNaN(F[i]!)) return Infinity;
  return worst;
}

const dim = fc.oneof(fc.integer({ min: 1, max: 13 }), fc.constantFrom(17, 29, 31, 37, 61));
const arbCase = fc.record({
  M: dim, N: dim, K: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.constantFrom(31, 67, 130)),
  unroll: fc.integer({ min: 1, max: 3 }), rowsOuter: fc.boolean(), inPlaceB: fc.boolean(), bias: fc.boolean(), splitRows: fc.boolean(),
  seed: fc.integer({ min: 1, max: 1e6 }),
});

describe('packed wasm GEMM micro-kernel', () => {
  it('agrees with the exact product within the K-term bound on odd shapes, split in two (fast-check)', () => {
    fc.assert(fc.property(arbCase, (c) => { expect(run(c), JSON.stringify(c)).toBeLessThanOrEqual(1); }), { numRuns: 300, seed: 18 });
  });

  it('edge tiles on every side: 5x9 by K=7 (one full and one partial block each way)', () => {
    for (const rowsOuter of [false, true]) for (const unroll of [1, 2]) {
      expect(run({ M: 5, N: 9, K: 7, unroll, rowsOuter, inPlaceB: false, bias: true, splitRows: rowsOuter, seed: 5 })).toBeLessThanOrEqual(1);
    }
  });
});

describe('constant B packed at instantiation (runtime/js/kernels/gemm.ts packConstB)', () => {
  it('writes alpha * op(B) in NR-column panels, every float of its place (zero columns pad; a NaN-filled view shows a gap)', () => {
    fc.assert(fc.property(fc.record({ K: dim, N: dim, transB: fc.boolean(), alpha: fc.constantFrom(1, -2, 0.3), seed: fc.integer({ min: 1, max: 1e6 }) }), (c) => {
      const rnd = lcg(c.seed), nbs = Math.ceil(c.N / NR);
      const b = Float32Array.from({ length: c.K * c.N }, () => rnd() * 2 - 1);
      // The reference: panel nb, row k, column j holds alpha * op(B)[k, nb NR + j], 0 past N.
      const want = new Float32Array(nbs * c.K * NR);
      for (let nb = 0; nb < nbs; nb++) for (let k = 0; k < c.K; k++) for (let j = 0; j < NR; j++) {
        const n = nb * NR + j;
        if (n < c.N) want[(nb * c.K + k) * NR + j] = c.alpha * b[c.transB ? n * c.K + k : k * c.N + n]!;
      }
      const w = packConstB(b, c.K, c.N, c.transB, c.alpha);
      expect(w.length).toBe(want.length);
      expect(w.writesAll).toBe(true);
      const got = new Float32Array(w.length).fill(NaN);
      w.write(got);
      expect(got.every((x, i) => Object.is(x, want[i]))).toBe(true);
    }), { numRuns: 200, seed: 18 });
  });
});
