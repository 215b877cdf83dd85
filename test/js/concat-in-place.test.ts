// A Concat planned without a copy (runtime/plan.ts places its inputs inside its output, so their producers write
// there) on random SqueezeNet fire-module-like graphs: a squeeze conv, then 2-3 branches (1x1 and 3x3 convs with
// ReLU, Winograd or direct, a depthwise conv, a MaxPool, an activation that may run in place over the squeeze
// output), concatenated in any order, flat or nested, then a conv, a GlobalAveragePool or the Concat itself as the graph
// output; a branch may also be a graph output. Batch 1 and 2 (batch 2: the parts are not contiguous, the Concat
// copies), channel counts whose parts do or do not start on the plan's 64-byte alignment.
// The arithmetic is unchanged, so every output must equal, bit for bit, the same model compiled with
// `concatInPlace: false` (every Concat copies), at 1 and 2 threads, and lie within the derived bound of the
// reference interpreter (test/helpers/error-bound.ts); where the rule says the copy goes, it went.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { compileProgram } from '../../runtime/js/index.ts';
import '../../src/ops/index.ts';
import { compileJsLowered, lowerForJsBackend } from './graphs.ts';
import { worstElement } from '../helpers/differential.ts';
import { referenceWithBounds } from '../helpers/error-bound.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';

const BRANCHES = ['conv1', 'conv3', 'conv3', 'dw', 'pool', 'act'] as const;
const arbCase = fc.record({
  N: fc.constantFrom(1, 1, 2), C0: fc.constantFrom(3, 4, 8), S: fc.constantFrom(4, 8, 5),
  H: fc.constantFrom(1, 2, 4, 4, 5, 7, 8), W: fc.constantFrom(1, 4, 4, 6, 8, 13),
  branches: fc.array(fc.record({ kind: fc.constantFrom(...BRANCHES), C: fc.constantFrom(4, 8, 16, 3, 5) }), { minLength: 2, maxLength: 3 }),
  order: fc.constantFrom('as built', 'reversed'), nested: fc.constantFrom(false, false, true), head: fc.constantFrom('conv', 'conv', 'gap', 'concat'),
  branchOutput: fc.constantFrom(false, false, true), opts: fc.constantFrom({}, { winograd: false }, { winogradTile: 4 as const }, { winogradTile: 2 as const }),
  seed: fc.integer({ min: 1, max: 1e6 }),
});
type Case = typeof arbCase extends fc.Arbitrary<infer T> ? T : never;

function build(c: Case): { g: Graph; feeds: Record<string, ReturnType<typeof uniformTensor>>; mustPlace: boolean } {
  const rnd = lcg(c.seed), g = new Graph('fire');
  const x = g.addInput('x', { dtype: 'float32', shape: [c.N, c.C0, c.H, c.W] });
  const w = (shape: number[]) => g.addConst(g.uniqueName('w'), uniformTensor(shape, rnd, -0.6, 0.6));
  const conv = (v: Value, cin: number, cout: number, k: number, group = 1) => g.addNode('Conv', [v, w([cout, cin / group, k, k]), w([cout])],
    { kernel_shape: [k, k], pads: Array(4).fill((k - 1) >> 1), group }).outputs[0]!;
  const relu = (v: Value) => g.addNode('Relu', [v]).outputs[0]!;
  const s = relu(conv(x, c.C0, c.S, 1));
  const parts = c.branches.map((b) => {
    switch (b.kind) {
      case 'conv1': return { v: relu(conv(s, c.S, b.C, 1)), C: b.C };
      case 'conv3': return { v: relu(conv(s, c.S, b.C, 3)), C: b.C };
      case 'dw': return { v: conv(s, c.S, c.S, 3, c.S), C: c.S };
      case 'pool': return { v: g.addNode('MaxPool', [s], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }).outputs[0]!, C: c.S };
      default: return { v: g.addNode('Sigmoid', [s]).outputs[0]!, C: c.S };
    }
  });
  if (c.order === 'reversed') parts.reverse();
  const cat = (vs: Value[]) => g.addNode('Concat', vs, { axis: 1 }).outputs[0]!;
  const y = c.nested && parts.length === 3 ? cat([cat([parts[0]!.v, parts[1]!.v]), parts[2]!.v]) : cat(parts.map((p) => p.v));
  const total = parts.reduce((a, p) => a + p.C, 0);
  const head = c.head === 'conv' ? relu(conv(y, total, 4, 1)) : c.head === 'gap' ? g.addNode('GlobalAveragePool', [y]).outputs[0]! : y;
  g.outputs = c.branchOutput ? [head, parts[0]!.v] : [head];
  inferShapes(g);
  // The rule (flat Concats): batch 1, every part starting on a 64-byte boundary, no part or the Concat a graph output.
  let at = 0;
  const aligned = parts.every((p) => { const ok = at % 64 === 0; at += p.C * c.H * c.W * 4; return ok; });
  const mustPlace = !c.nested && c.N === 1 && aligned && c.head !== 'concat' && !c.branchOutput;
  return { g, feeds: { x: uniformTensor([c.N, c.C0, c.H, c.W], rnd) }, mustPlace };
}

describe('Concat planned in place', () => {
  it('changes no bit against copying Concats, 1 and 2 threads, and stays within the reference bound (fast-check)', async () => {
    let placed = 0;
    await fc.assert(fc.asyncProperty(arbCase, async (c) => {
      const { g, feeds, mustPlace } = build(c);
      const kinds = compileProgram(lowerForJsBackend(g), { threads: 1, ...c.opts }).kernels.map((k) => k.kind);
      const inPlace = kinds.filter((k) => k === 'concat in place').length;
      if (mustPlace) expect(inPlace, JSON.stringify(c)).toBe(1);
      if (c.N > 1 || c.head === 'concat') expect(inPlace).toBe(0);
      placed += inPlace;
      const { ref, bounds } = referenceWithBounds(g, feeds);
      for (const threads of [1, 2]) {
        const on = await compileJsLowered(g, { threads, ...c.opts }), off = await compileJsLowered(g, { threads, ...c.opts, concatInPlace: false });
        try {
          const [a, b] = [await on.run(feeds), await off.run(feeds)];
          for (const o of g.outputs) {
            const got = a[o.name]!.data as Float32Array, want = b[o.name]!.data as Float32Array;
            const differ = got.findIndex((v, i) => !Object.is(v, want[i]));
            expect(differ, `${JSON.stringify(c)} threads ${threads} ${o.name}: element ${differ} ${got[differ]} vs ${want[differ]}`).toBe(-1);
            expect(worstElement(a[o.name]!, ref[o.name]!, bounds.get(o.name)!).ratio, JSON.stringify(c)).toBeLessThanOrEqual(1);
          }
        } finally { await on.dispose(); await off.dispose(); }
      }
    }), { numRuns: 40, seed: 18 });
    expect(placed).toBeGreaterThan(10);
  }, 120_000);
});
