// A js Gemm with fewer rows than the micro-kernel's 4 (a batch-1 classifier) packs A in panels of that many rows
// instead of padding to 4 zero rows (runtime/js/kernels/gemm.ts). Each output still sums the same products in the
// same order, so its rows must equal, bit for bit, the first rows of the same Gemm on 4 rows (the 4-row panels);
// and they lie within the reference's bound. Odd K and N (column tails), transA/transB, alpha, a bias and a fused
// ReLU or none, 1 and 2 threads.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import '../../src/ops/index.ts';
import { compileJsLowered } from './graphs.ts';
import { worstElement } from '../helpers/differential.ts';
import { referenceWithBounds } from '../helpers/error-bound.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';

interface Case { R: number; K: number; N: number; transA: boolean; transB: boolean; alpha: number; relu: boolean; threads: number; seed: number }

function gemm(c: Case, rows: number, a: Tensor, rnd: () => number) {
  const g = new Graph('gemm-rows');
  const x = g.addInput('a', { dtype: 'float32', shape: c.transA ? [c.K, rows] : [rows, c.K] });
  const b = g.addConst('b', uniformTensor(c.transB ? [c.N, c.K] : [c.K, c.N], rnd));
  const bias = g.addConst('c', uniformTensor([c.N], rnd));
  let y = g.addNode('Gemm', [x, b, bias], { transA: Number(c.transA), transB: Number(c.transB), alpha: c.alpha }).outputs[0]!;
  if (c.relu) y = g.addNode('Relu', [y]).outputs[0]!;
  g.outputs = [y];
  inferShapes(g);
  return { g, feeds: { a } };
}

describe('js Gemm with fewer than 4 rows', () => {
  it('gives the bits of the 4-row kernel on its rows, and stays within the reference bound (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(fc.record({
      R: fc.integer({ min: 1, max: 3 }), K: fc.integer({ min: 1, max: 70 }), N: fc.integer({ min: 1, max: 37 }), transA: fc.boolean(), transB: fc.boolean(),
      alpha: fc.constantFrom(1, 0.5, -2), relu: fc.boolean(), threads: fc.constantFrom(1, 2), seed: fc.integer({ min: 1, max: 1e6 }),
    }), async (c) => {
      const a4 = uniformTensor(c.transA ? [c.K, 4] : [4, c.K], lcg(c.seed));
      // The first R rows of the 4-row A (transA: its first R columns).
      const a = Tensor.fromArray('float32', c.transA ? [c.K, c.R] : [c.R, c.K], Array.from({ length: c.R * c.K }, (_, i) =>
        c.transA ? a4.data[Math.floor(i / c.R) * 4 + (i % c.R)]! : a4.data[i]!));
      const small = gemm(c, c.R, a, lcg(c.seed + 1)), full = gemm(c, 4, a4, lcg(c.seed + 1));
      const ms = [await compileJsLowered(small.g, { threads: c.threads }), await compileJsLowered(full.g, { threads: c.threads })];
      try {
        const got = Object.values(await ms[0]!.run(small.feeds))[0]!, want = Object.values(await ms[1]!.run(full.feeds))[0]!;
        const differ = (got.data as Float32Array).findIndex((v, i) => !Object.is(v, want.data[i]));
        expect(differ, JSON.stringify(c)).toBe(-1);
        const { ref, bounds } = referenceWithBounds(small.g, small.feeds), o = small.g.outputs[0]!.name;
        expect(worstElement(got, ref[o]!, bounds.get(o)!).ratio, JSON.stringify(c)).toBeLessThanOrEqual(1);
      } finally { for (const m of ms) await m.dispose(); }
    }), { numRuns: 60, seed: 18 });
  }, 60_000);
});
