// The js backend's layout pass (runtime/js/layout.ts) on random MobileNetV2-like graphs: an optional entry pointwise
// conv, inverted-residual blocks (expand 1x1 + Clip(0, 6), depthwise 3x3 or 5x5 with stride 1 or 2, an optional
// MobileNetV3 squeeze-excitation scale, project 1x1, a residual Add when shapes allow, unfused elementwise ops), then GlobalAveragePool and/or the last block as graph outputs. Channel counts
// mix multiples of 4 with odd ones and primes (those values stay NCHW), planes go down to 1x1, batches of 1 and 2.
// Each output with the pass on (the default) and with `layout: 'nchw'`, at 1 and 2 threads, must agree with the
// reference within the derived bound (test/helpers/error-bound.ts), so the two agree within twice it; the plan never
// blocks a graph output or a channel count that is not a multiple of 4, and blocks something when every channel
// count is a multiple of 4 and a depthwise -> project chain has no residual (then the blocked kernels ran).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { compileProgram } from '../../runtime/js/index.ts';
import { planLayout } from '../../runtime/js/layout.ts';
import '../../src/ops/index.ts';
import { compileJsLowered, lowerForJsBackend } from './graphs.ts';
import { worstElement } from '../helpers/differential.ts';
import { referenceWithBounds } from '../helpers/error-bound.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';

const channels = fc.constantFrom(4, 8, 12, 16, 3, 5, 7, 13);
const arbCase = fc.record({
  N: fc.integer({ min: 1, max: 2 }), C0: channels, H: fc.constantFrom(1, 2, 5, 7, 9), W: fc.constantFrom(1, 3, 6, 7, 11),
  entry: fc.option(channels, { nil: null }),
    // out null: as many channels as the block's input (a residual when the stride is 1); ew: y = Relu(y) + y + (x when
  // the shapes match), elementwise ops left unfused (y has two users), one of them reading the NCHW graph input.
  blocks: fc.array(fc.record({ t: fc.integer({ min: 1, max: 3 }), out: fc.option(channels, { nil: null }), k: fc.constantFrom(3, 3, 5), s: fc.constantFrom(1, 1, 2),
    ew: fc.boolean(), se: fc.boolean() }), { minLength: 1, maxLength: 3 }),
  head: fc.constantFrom('gap', 'plain', 'both'), seed: fc.integer({ min: 1, max: 1e6 }),
});
type Case = typeof arbCase extends fc.Arbitrary<infer T> ? T : never;

function build(c: Case): { g: Graph; feeds: Record<string, ReturnType<typeof uniformTensor>>; mustBlock: boolean } {
  const rnd = lcg(c.seed), g = new Graph('layout');
  const x = g.addInput('x', { dtype: 'float32', shape: [c.N, c.C0, c.H, c.W] });
  const w = (shape: number[]) => g.addConst(g.uniqueName('w'), uniformTensor(shape, rnd, -0.6, 0.6));
  const clip = (v: Value) => g.addNode('Clip', [v, g.addConst(g.uniqueName('lo'), uniformTensor([], () => 0.5, 0, 0)), g.addConst(g.uniqueName('hi'), uniformTensor([], () => 0.5, 6, 6))]).outputs[0]!;
  const conv = (v: Value, cin: number, cout: number, k = 1, s = 1, group = 1) => g.addNode('Conv', [v, w([cout, cin / group, k, k]), w([cout])],
    { kernel_shape: [k, k], strides: [s, s], pads: Array(4).fill((k - 1) >> 1), group }).outputs[0]!;
  let v = x, C: number = c.C0, chain = false;
  const counts: number[] = [C];
  if (c.entry) { v = g.addNode('Relu', [conv(v, C, c.entry)]).outputs[0]!; C = c.entry; counts.push(C); }
  for (const b of c.blocks) {
    const E = C * b.t;
    let y = clip(conv(v, C, E));
    y = clip(conv(y, E, E, b.k, b.s, E));
    if (b.se) { // squeeze-excitation: y * HardSigmoid(conv(Relu(conv(GlobalAveragePool(y)))))
      const sq = Math.max(1, E >> 2);
      const s = g.addNode('HardSigmoid', [conv(g.addNode('Relu', [conv(g.addNode('GlobalAveragePool', [y]).outputs[0]!, E, sq)]).outputs[0]!, sq, E)]).outputs[0]!;
      y = g.addNode('Mul', [y, s]).outputs[0]!;
    }
    const out = b.out ?? C;
    y = conv(y, E, out);
    inferShapes(g);
    const residual = b.s === 1 && out === C;
    if (residual) y = g.addNode('Add', [y, v]).outputs[0]!;
    if (b.ew) {
      y = g.addNode('Add', [g.addNode('Relu', [y]).outputs[0]!, y]).outputs[0]!;
      inferShapes(g);
      if ((y.type.shape as number[]).join() === (x.type.shape as number[]).join()) y = g.addNode('Add', [y, x]).outputs[0]!;
    }
    // A depthwise -> project chain the pass must block: no residual (an NCHW residual keeps the project conv NCHW; the
    // project conv may write NCHW, at a graph output).
    if (!residual) chain = true;
    v = y; C = out;
    counts.push(E, C);
  }
  const gap = g.addNode('GlobalAveragePool', [v]).outputs[0]!;
  g.outputs = c.head === 'gap' ? [gap] : c.head === 'plain' ? [v] : [gap, v];
  inferShapes(g);
  return { g, feeds: { x: uniformTensor([c.N, c.C0, c.H, c.W], rnd) }, mustBlock: chain && counts.every((n) => n % 4 === 0) };
}

describe('layout pass (NCHWc4 regions)', () => {
  it('leaves every output within the derived bound of the reference, on and off, 1 and 2 threads (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(arbCase, async (c) => {
      const { g, feeds, mustBlock } = build(c);
      const low = lowerForJsBackend(g);
      const blocked = planLayout(low, { threads: 1, training: false, simd: true });
      for (const v of blocked) {
        expect(low.outputs).not.toContain(v);
        expect((v.type.shape as number[])[1]! % 4).toBe(0);
      }
      const kinds = compileProgram(low, { threads: 1 }).kernels.map((k) => k.kind);
      if (mustBlock) expect(kinds.filter((k) => k.startsWith('blocked depthwise')).length, JSON.stringify(c)).toBeGreaterThan(0);
      expect(kinds.some((k) => k.startsWith('blocked'))).toBe(blocked.size > 0);
      expect(compileProgram(low, { threads: 1, layout: 'nchw' }).kernels.some((k) => k.kind.startsWith('blocked'))).toBe(false);
      const { ref, bounds } = referenceWithBounds(g, feeds);
      for (const layout of ['auto', 'nchw'] as const) for (const threads of [1, 2]) {
        const m = await compileJsLowered(g, { threads, layout });
        try {
          const got = await m.run(feeds);
          for (const o of g.outputs) {
            const { ratio } = worstElement(got[o.name]!, ref[o.name]!, bounds.get(o.name)!);
            expect(ratio, `${JSON.stringify(c)} ${layout} threads ${threads} ${o.name}`).toBeLessThanOrEqual(1);
          }
        } finally { await m.dispose(); }
      }
    }), { numRuns: 20, seed: 18 });
  }, 120_000);
});
