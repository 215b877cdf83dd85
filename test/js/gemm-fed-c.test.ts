// Gemm whose C is computed at run time (a graph input or another node's output) with beta != 1: the js GEMM
// scales C into scratch while it packs A (runtime/js/kernels/gemm.ts) instead of sending the node to the
// reference interpreter. Seeded random sizes (odd, below and above the 4x8 register block), every C broadcast
// (scalar, [N], [M, 1], [M, N]), alpha and beta (0 and negative too), transA/transB, 1 and 2 threads: a kernel
// (no fallback) that agrees with the reference within |js - ref| <= 1e-4 + 1e-3 |ref|.
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { lcg, uniformTensor } from '../helpers/random.ts';
import { agree } from './single-op.ts';

describe('js Gemm with a fed C and beta != 1', () => {
  it('agrees with the reference for every C broadcast, alpha/beta, transposes and 1-2 threads', async () => {
    await fc.assert(fc.asyncProperty(fc.record({
      M: fc.integer({ min: 1, max: 11 }), N: fc.integer({ min: 1, max: 19 }), K: fc.integer({ min: 1, max: 9 }),
      cShape: fc.constantFrom('scalar', 'N', 'M1', 'MN'), alpha: fc.constantFrom(1, 0.5, -2), beta: fc.constantFrom(0, 0.25, -1.5, 3),
      transA: fc.constantFrom(0, 1), transB: fc.constantFrom(0, 1), constB: fc.boolean(), threads: fc.constantFrom(1, 2), seed: fc.integer(),
    }), async (c) => {
      const r = lcg(c.seed >>> 0);
      const a = uniformTensor(c.transA ? [c.K, c.M] : [c.M, c.K], r), b = uniformTensor(c.transB ? [c.N, c.K] : [c.K, c.N], r);
      const cs = { scalar: [], N: [c.N], M1: [c.M, 1], MN: [c.M, c.N] }[c.cShape];
      await agree({ op: 'Gemm', inputs: [a, b, uniformTensor(cs, r)], consts: c.constB ? [1] : [],
        attrs: { alpha: c.alpha, beta: c.beta, transA: c.transA, transB: c.transB } }, c.threads);
    }), { seed: 20261206, numRuns: 80 });
  }, 120_000);
});
