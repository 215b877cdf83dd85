// Elementwise chains of plain arithmetic run in wasm SIMD (runtime/js/wasm/elementwise-chain.ts) with the JS
// body's float64 arithmetic, so their outputs must equal the reference interpreter's on the lowered graph (the
// chain node's body, float64, one rounding) bit for bit: random
// chains of Add/Sub/Mul/Div over contiguous inputs, broadcast scalars and literal-free constants, lengths with
// every remainder mod 4 (the JS tail), at 1 and 2 threads (fast-check). A chain with Exp keeps the JS kernel.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { compileProgram } from '../../runtime/js/index.ts';
import { compileJsLowered, lowerForJsBackend } from './graphs.ts';
import '../../src/ops/index.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';

const chainKinds = (g: Graph) => compileProgram(lowerForJsBackend(g), { threads: 1 }).kernels.map((k) => k.kind).filter((k) => k.startsWith('elementwise chain'));

describe('js elementwise chains in wasm SIMD', () => {
  it('random arithmetic chains equal the reference bit for bit (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 2, max: 37 }), fc.integer({ min: 2, max: 7 }), fc.constantFrom(1, 2),
      async (seed, n, count, threads) => {
        const rnd = lcg(seed);
        const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
        const g = new Graph('chain');
        const shape = rnd() < 0.5 ? [n] : [1, n];
        const feeds = { x: uniformTensor(shape, rnd, -3, 3), y: uniformTensor(shape, rnd, 0.5, 2) };
        const leaves: Value[] = [g.addInput('x', { dtype: 'float32', shape }), g.addInput('y', { dtype: 'float32', shape }),
          g.addConst('s', uniformTensor([], rnd, -2, 2))];
        // A chain: each op takes the previous value and a leaf (either side), so every intermediate has one user.
        let v = leaves[0]!;
        for (let i = 0; i < count; i++) {
          const op = pick(['Add', 'Sub', 'Mul', 'Div']), leaf = pick(leaves);
          v = g.addNode(op, rnd() < 0.5 ? [v, leaf] : [leaf, v]).outputs[0]!;
        }
        g.outputs = [v];
        inferShapes(g);
        expect(chainKinds(g)).toEqual([expect.stringMatching(new RegExp(`^elementwise chain ${n} \\(\\d+ ops\\) simd$`))]);
        const m = await compileJsLowered(g, { threads });
        const got = await m.run(feeds);
        await m.dispose();
        // The lowered graph's reference runs the chain body (float64, one rounding), as the kernels must.
        const want = runGraph(lowerForJsBackend(g), feeds)[v.name]!;
        expect(Array.from(got[v.name]!.data)).toEqual(Array.from(want.data));
      }), { numRuns: 40, seed: 20261206 });
  });

  it('a chain with Exp keeps the JS kernel', () => {
    const g = new Graph('chain');
    const x = g.addInput('x', { dtype: 'float32', shape: [8] });
    const e = g.addNode('Exp', [x]).outputs[0]!;
    g.outputs = [g.addNode('Mul', [e, x]).outputs[0]!];
    inferShapes(g);
    expect(chainKinds(g)).toEqual(['elementwise chain 8 (2 ops)']);
  });
});
