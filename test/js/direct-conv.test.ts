// Stride-1 convs with a window on the js backend's direct wasm kernel (runtime/js/wasm/direct.ts) against the
// reference within the derived bound (test/helpers/error-bound.ts), on odd shapes: output widths around the
// 8-column block (a last block of 1-7 columns, of at most 4 columns it computes one vector), output channels
// not a multiple of the 4-row block, padding (output rows whose window reaches into it skip the padding-only
// kernel rows), dilation, a residual + activation epilogue, js at 1 and 2 threads, Winograd off (3x3 convs would
// take it: ./winograd tests cover that kernel).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph } from '../../src/ir/graph.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { compileProgram } from '../../runtime/js/index.ts';
import '../../src/ops/index.ts';
import { compileJsLowered, lowerForJsBackend } from './graphs.ts';
import { worstElement } from '../helpers/differential.ts';
import { referenceWithBounds } from '../helpers/error-bound.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';

const arbCase = fc.record({
  N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 5 }), M: fc.integer({ min: 1, max: 9 }),
  H: fc.integer({ min: 3, max: 9 }), W: fc.integer({ min: 3, max: 21 }), k: fc.constantFrom(2, 3, 5), p: fc.integer({ min: 0, max: 2 }),
  d: fc.integer({ min: 1, max: 2 }), residual: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }),
}).filter((c) => c.H + 2 * c.p > c.d * (c.k - 1) && c.W + 2 * c.p > c.d * (c.k - 1));

describe('direct stride-1 conv kernel', () => {
  it('agrees with the reference within the derived bound on odd shapes, 1 and 2 threads (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(arbCase, async (c) => {
      const rnd = lcg(c.seed);
      const g = new Graph('direct');
      const x = g.addInput('x', { dtype: 'float32', shape: [c.N, c.C, c.H, c.W] });
      const conv = g.addNode('Conv', [x, g.addConst('w', uniformTensor([c.M, c.C, c.k, c.k], rnd)), g.addConst('b', uniformTensor([c.M], rnd))],
        { pads: [c.p, c.p, c.p, c.p], dilations: [c.d, c.d] }).outputs[0]!;
      inferShapes(g);
      const yShape = conv.type.shape as number[];
      const r = c.residual ? g.addInput('r', { dtype: 'float32', shape: yShape }) : null;
      g.outputs = [g.addNode('Relu', [r ? g.addNode('Add', [conv, r]).outputs[0]! : conv]).outputs[0]!];
      inferShapes(g);
      expect(compileProgram(lowerForJsBackend(g), { threads: 1, winograd: false }).kernels.map((k) => k.kind).join()).toMatch(/direct conv/);
      const feeds = { x: uniformTensor([c.N, c.C, c.H, c.W], rnd), ...(r ? { r: uniformTensor(yShape, rnd) } : {}) };
      const { ref, bounds } = referenceWithBounds(g, feeds);
      const out = g.outputs[0]!.name;
      for (const threads of [1, 2]) {
        const m = await compileJsLowered(g, { threads, winograd: false });
        try {
          const { ratio } = worstElement((await m.run(feeds))[out]!, ref[out]!, bounds.get(out)!);
          expect(ratio, `${JSON.stringify(c)} threads ${threads}`).toBeLessThanOrEqual(1);
        } finally { await m.dispose(); }
      }
    }), { numRuns: 12, seed: 18 });
  }, 90_000);
});
