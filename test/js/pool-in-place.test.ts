// MaxPool and AveragePool without padding on the SIMD row kernel reading the input plane in place
// (runtime/js/kernels/pool.ts: no padded copy) against the reference within the derived bound
// (test/helpers/error-bound.ts; exact for max), on odd shapes: strides 1-3 (stride 2 takes the shuffle path),
// dilation, ceil-free windows that leave rows and columns unread, output widths with a partial last vector,
// js at 1 and 2 threads and -O0/-O2.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph } from '../../src/ir/graph.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { compileProgram } from '../../runtime/js/index.ts';
import '../../src/ops/index.ts';
import { lowerForJsBackend } from './graphs.ts';
import { compareBackends, JS_VARIANTS } from '../helpers/differential.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';

const arbCase = fc.record({
  op: fc.constantFrom('MaxPool', 'AveragePool'), N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }),
  H: fc.integer({ min: 1, max: 11 }), W: fc.integer({ min: 1, max: 19 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }),
  d: fc.integer({ min: 1, max: 2 }), seed: fc.integer({ min: 1, max: 1e6 }),
}).filter((c) => c.H > c.d * (c.k - 1) && c.W > c.d * (c.k - 1) && (c.op === 'MaxPool' || c.d === 1));

describe('pooling read in place (no padding)', () => {
  it('agrees with the reference within the derived bound, 1 and 2 threads (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(arbCase, async (c) => {
      const rnd = lcg(c.seed);
      const g = new Graph('pool');
      const x = g.addInput('x', { dtype: 'float32', shape: [c.N, c.C, c.H, c.W] });
      const attrs: Record<string, unknown> = { kernel_shape: [c.k, c.k], strides: [c.s, c.s] };
      if (c.op === 'MaxPool') attrs.dilations = [c.d, c.d];
      g.outputs = [g.addNode(c.op, [x], attrs as never).outputs[0]!];
      inferShapes(g);
      expect(compileProgram(lowerForJsBackend(g), { threads: 1 }).kernels.map((k) => k.kind).join(), JSON.stringify(c)).toMatch(/simd in place/);
      const { disagreements } = await compareBackends(g, { x: uniformTensor([c.N, c.C, c.H, c.W], rnd, -2, 2) }, JS_VARIANTS);
      expect(disagreements, JSON.stringify(c)).toEqual([]);
    }), { numRuns: 20, seed: 18 });
  }, 90_000);
});
