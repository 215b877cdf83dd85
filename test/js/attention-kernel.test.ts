// The js kernel of ai.layerc::Attention (runtime/js/kernels/attention.ts) against the reference interpreter: it must
// serve every node (no reference fallback), on 1 and 2 threads, within the derived error bound of
// test/helpers/error-bound.ts (|js - ref| <= 2 E + 1e-30 per element), on the edge cases and on generated shapes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Tensor } from '../../src/ir/tensor.ts';
import { Graph } from '../../src/ir/graph.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { maxAbsDiff } from '../helpers/random.ts';
import { compileJs, compileProgram } from '../../runtime/js/index.ts';
import { SAFETY, TINY, referenceWithBounds } from '../helpers/error-bound.ts';
import { KERNEL_EDGE_CASES, attentionNodesGraph, kernelCaseArb, type KernelCase } from '../passes/attention-graphs.ts';

/** Worst |js - ref| / (SAFETY E + TINY) over every output, for each thread count. */
async function worst(cases: readonly KernelCase[], threads: number[]): Promise<number> {
  const { g, feeds } = attentionNodesGraph(cases);
  const { ref, bounds } = referenceWithBounds(g, feeds);
  expect(compileProgram(g, { threads: 1 }).kernels.filter((k) => k.kind === 'reference')).toEqual([]);
  let w = 0;
  for (const t of threads) {
    const m = await compileJs(g, { threads: t });
    try {
      const got = await m.run(feeds);
      for (const v of g.outputs) {
        const a = got[v.name]!.data, b = ref[v.name]!.data, e = bounds.get(v.name)!.data;
        for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!) / (SAFETY * e[i]! + TINY));
      }
    } finally { await m.dispose(); }
  }
  return w;
}

describe('js Attention kernel vs reference', () => {
  it('edge cases (T = 1, odd T, D % 4 != 0, each mask broadcast, batch 1 and > 1, large scores) on 1 and 2 threads', async () => {
    expect(await worst(KERNEL_EDGE_CASES, [1, 2])).toBeLessThanOrEqual(1);
  }, 60_000);

  it('generated shapes, masks and scales (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(kernelCaseArb, { minLength: 8, maxLength: 8 }), async (cases) => {
      expect(await worst(cases, [1, 2])).toBeLessThanOrEqual(1);
    }), { seed: 2019, numRuns: 6 });
  }, 120_000);

  it('stored layouts mean what they say: a laid node == explicit Transposes around a plain node (reference, independent of the shared geometry)', () => {
    for (const c of KERNEL_EDGE_CASES.filter((e) => e.laid)) {
      const { g, feeds } = attentionNodesGraph([c]);
      const laid = g.nodes[0]!, plain = new Graph('plain');
      const ins = laid.inputs.map((v, i) => {
        const x = plain.addInput(v!.name, v!.type), p = laid.attrs[['q_perm', 'k_perm', 'v_perm'][i]!] as number[] | undefined;
        return p?.length ? plain.addNode('Transpose', [x], { perm: p }).outputs[0]! : x;
      });
      const y = plain.addNode('Attention', ins, { scale: c.scale }, { domain: 'ai.layerc' }).outputs[0]!;
      plain.outputs = [plain.addNode('Transpose', [y], { perm: laid.attrs.y_perm as number[] }).outputs[0]!];
      inferShapes(plain);
      const [want, got] = [runGraph(plain, feeds)[plain.outputs[0]!.name]!, runGraph(g, feeds).y0!];
      expect(got.shape).toEqual(want.shape);
      expect(maxAbsDiff(got, want)).toBe(0);
    }
  });

  it('a key masked with -Infinity gets probability 0 (a whole block of keys too); a row with every key masked is NaN, as the unfused Softmax', async () => {
    const S = 70;
    const { g, feeds } = attentionNodesGraph([{ lead: [2], T: 3, S, D: 3, Dv: 2, mask: [3, S], scale: 1, mag: 1, seed: 9 }]);
    // row 0: keys 0..65 masked (the first block of 64 entirely); row 1: every key masked; row 2: every other key masked
    feeds.m0 = Tensor.fromArray('float32', [3, S], Array.from({ length: 3 * S }, (_, i) => {
      const [t, s] = [Math.floor(i / S), i % S];
      return (t === 0 && s < 66) || t === 1 || (t === 2 && s % 2) ? -Infinity : s / 10;
    }));
    const ref = runGraph(g, feeds).y0!;
    const m = await compileJs(g, { threads: 1 });
    try {
      const got = (await m.run(feeds)).y0!;
      for (let i = 0; i < ref.size; i++) {
        const row = Math.floor(i / 2) % 3;
        expect(Number.isNaN(got.data[i]), `element ${i}`).toBe(row === 1);
        if (row !== 1) expect(Math.abs(got.data[i]! - ref.data[i]!), `element ${i}`).toBeLessThan(1e-6);
      }
    } finally { await m.dispose(); }
  });
});
