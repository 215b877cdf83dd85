// GlobalAveragePool and GlobalMaxPool on the wasm SIMD row kernel (runtime/js/wasm/row-reduce.ts) against the
// reference: the mean within the derived bound ((S + 1) u avg|x|, test/helpers/differential.ts at 1 and 2 threads,
// -O0/-O2), the max bit for bit with NaNs placed anywhere; planes of 1-3 columns (no vector), multiples of 4 and
// odd sizes (a tail), several planes per thread. Each case asserts the SIMD kernel was picked.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph } from '../../src/ir/graph.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { compileProgram } from '../../runtime/js/index.ts';
import '../../src/ops/index.ts';
import { compareBackends, JS_VARIANTS } from '../helpers/differential.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';
import { agree } from './single-op.ts';

const arbCase = fc.record({
  max: fc.boolean(), N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 7 }), H: fc.integer({ min: 1, max: 15 }),
  W: fc.integer({ min: 1, max: 15 }), nans: fc.integer({ min: 0, max: 2 }), threads: fc.constantFrom(1, 2), seed: fc.integer({ min: 1, max: 1e6 }),
});

describe('global pools on the SIMD row kernel', () => {
  it('mean within the derived bound, max bit for bit with NaNs (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(arbCase, async (c) => {
      const shape = [c.N, c.C, c.H, c.W], op = c.max ? 'GlobalMaxPool' : 'GlobalAveragePool';
      const x = uniformTensor(shape, lcg(c.seed), -3, 5);
      const g = new Graph('gpool');
      g.outputs = [g.addNode(op, [g.addInput('x', { dtype: 'float32', shape })], {}).outputs[0]!];
      inferShapes(g);
      expect(compileProgram(g, { threads: c.threads }).kernels.map((k) => k.kind).join(), JSON.stringify(c)).toMatch(/ simd$/);
      if (!c.max) {
        const { disagreements } = await compareBackends(g, { x }, JS_VARIANTS);
        expect(disagreements, JSON.stringify(c)).toEqual([]);
        return;
      }
      const r = lcg(c.seed + 1);
      for (let i = 0; i < c.nans; i++) x.data[Math.floor(r() * x.size)] = NaN;
      await agree({ op, inputs: [x], exact: true }, c.threads);
    }), { numRuns: 60, seed: 18 });
  }, 120_000);
});
