// MaxPoolGrad over disjoint windows (stride = kernel, no padding: the unrolled path of
// runtime/js/kernels/pool-grad.ts, and for 2x2 the wasm kernel runtime/js/wasm/max-pool-grad.ts) against the reference, exactly: every cell gets dY or 0, no arithmetic. The
// inputs take only three values so windows have ties (the first maximum gets the gradient); heights and widths
// not a multiple of the window leave uncovered rows and columns, which must be 0 even where dX's slot held
// another value before; 1 and 2 threads.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { compileProgram } from '../../runtime/js/index.ts';
import '../../src/ops/index.ts';
import { compileJsLowered, lowerForJsBackend } from './graphs.ts';
import { lcg } from '../helpers/random.ts';

interface Case { N: number; C: number; H: number; W: number; KH: number; KW: number; seed: number }

async function mismatches(c: Case): Promise<number> {
  const rnd = lcg(c.seed);
  const OH = Math.floor(c.H / c.KH), OW = Math.floor(c.W / c.KW);
  const x = Tensor.fromArray('float32', [c.N, c.C, c.H, c.W], Array.from({ length: c.N * c.C * c.H * c.W }, () => Math.floor(rnd() * 3)));
  // Some dY are -0: the reference's dX is 0 + dY, so +0 there.
  const dy = Tensor.fromArray('float32', [c.N, c.C, OH, OW], Array.from({ length: c.N * c.C * OH * OW }, () => (rnd() < 0.1 ? -0 : rnd() * 2 - 1)));
  const g = new Graph('mpg');
  const dyi = g.addInput('dy', { dtype: 'float32', shape: [...dy.shape] }), xi = g.addInput('x', { dtype: 'float32', shape: [...x.shape] });
  // A dead intermediate of dX's size first (sigmoid(x), summed away), so dX's slot may hold stale non-zeros.
  const dead = g.addNode('Sigmoid', [xi]).outputs[0]!;
  const sum = g.addNode('ReduceSum', [dead], { keepdims: 0 }).outputs[0]!;
  g.outputs = [sum, g.addNode('MaxPoolGrad', [dyi, xi], { kernel_shape: [c.KH, c.KW], strides: [c.KH, c.KW] } as never, { domain: 'ai.layerc' }).outputs[0]!];
  inferShapes(g);
  expect(compileProgram(lowerForJsBackend(g), { threads: 1 }).kernels.map((k) => k.kind).join()).toMatch(/disjoint/);
  const want = runGraph(g, { dy, x })[g.outputs[1]!.name]!;
  let bad = 0;
  for (const threads of [1, 2]) {
    const m = await compileJsLowered(g, { threads });
    try {
      const got = (await m.run({ dy, x }))[g.outputs[1]!.name]!;
      for (let i = 0; i < want.size; i++) if (!Object.is(got.data[i], want.data[i])) bad++;
    } finally { await m.dispose(); }
  }
  return bad;
}

describe('MaxPoolGrad over disjoint windows', () => {
  it('equals the reference exactly, ties and uncovered edges included, 1 and 2 threads (fast-check)', async () => {
    const arb = fc.record({ N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 1, max: 9 }), W: fc.integer({ min: 1, max: 9 }),
      KH: fc.integer({ min: 1, max: 3 }), KW: fc.integer({ min: 1, max: 3 }), seed: fc.integer({ min: 1, max: 1e6 }) })
      .filter((c) => c.H >= c.KH && c.W >= c.KW);
    await fc.assert(fc.asyncProperty(arb, async (c) => { expect(await mismatches(c), JSON.stringify(c)).toBe(0); }), { numRuns: 25, seed: 18 });
  }, 60_000);

  it('2x2 windows (the wasm kernel, four windows per step): widths with 0-3 windows past the last group of four (fast-check)', async () => {
    const arb = fc.record({ N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 2, max: 7 }), W: fc.integer({ min: 2, max: 21 }),
      KH: fc.constant(2), KW: fc.constant(2), seed: fc.integer({ min: 1, max: 1e6 }) });
    await fc.assert(fc.asyncProperty(arb, async (c) => { expect(await mismatches(c), JSON.stringify(c)).toBe(0); }), { numRuns: 20, seed: 19 });
  }, 60_000);
});
