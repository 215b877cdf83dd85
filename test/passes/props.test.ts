// The optimizer's equivalence and idempotence properties on random graphs (test/passes/graphs.ts).
//
// Tolerance, per output element: |opt - ref| <= 8 * u * errScale + 8 * u * |ref|, u = 2^-24 (float32 unit
// roundoff). Why: the reference interpreter accumulates in float64 and rounds each op's result to float32
// once, so the original and the optimized graph differ only in WHERE float32 roundings happen. Folding a
// scale into a weight rounds w*a (relative error u per term, so u * sum|w*a*x| overall), the folded bias
// rounds b*a + s, and the original rounded the conv output before scaling it: at most ~3 roundings, each
// bounded by u * errScale, where errScale (computed by the builder) bounds sum|terms| = fan-in x max|w| x
// max|input| carried through every BN scale, and multiplied by the Lipschitz constant of each later op
// (errors are never amplified more than that). simplify-inference's unfolded Mul/Add adds two roundings of
// size u * |a*x| and u * |s|, also below u * errScale. Factor 8 covers those with a margin; a wrong fold
// (wrong channel, wrong axis, a dropped bias) is off by O(errScale), ~10^6 times more.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { runGraph } from '../../src/ir/interpret.ts';
import { verify } from '../../src/ir/verify.ts';
import { printGraph } from '../../src/ir/printer.ts';
import { cloneGraph } from '../../src/train/clone-graph.ts';
import type { Graph } from '../../src/ir/graph.ts';
import type { Tensor } from '../../src/ir/tensor.ts';
import { optimize } from '../../passes/index.ts';
import { buildCase, caseArb, type Case } from './graphs.ts';

const U = 2 ** -24;
const MINE = ['simplify-inference', 'fold-batchnorm', 'fuse-epilogue'];

/** The largest |opt - ref| / tolerance over every output (<= 1 passes); throws on a shape or NaN mismatch. */
export function worstRatio(ref: Record<string, Tensor>, opt: Record<string, Tensor>, errScale: number): number {
  let worst = 0;
  for (const [name, r] of Object.entries(ref)) {
    const o = opt[name];
    if (!o) throw new Error(`output ${name} missing after optimization (have ${Object.keys(opt)})`);
    if (o.shape.join() !== r.shape.join()) throw new Error(`output ${name}: shape [${o.shape}] != [${r.shape}]`);
    for (let i = 0; i < r.size; i++) {
      const d = Math.abs(o.data[i]! - r.data[i]!);
      if (Number.isNaN(d)) throw new Error(`output ${name}[${i}]: NaN (${o.data[i]} vs ${r.data[i]})`);
      worst = Math.max(worst, d / (8 * U * errScale + 8 * U * Math.abs(r.data[i]!)));
    }
  }
  return worst;
}

const seen: Record<string, number> = {};

export function checkEquivalent(c: Case, passes: { passes?: string[]; level?: 0 | 1 | 2 }): { g: Graph; ratio: number } {
  const { graph, feeds, errScale } = buildCase(c);
  const ref = runGraph(graph, feeds);
  const names = graph.outputs.map((o) => o.name);
  const g = cloneGraph(graph);
  for (const r of optimize(g, passes).reports) for (const [k, n] of Object.entries(r.changes)) seen[k] = (seen[k] ?? 0) + n;
  verify(g);
  expect(g.outputs.map((o) => o.name)).toEqual(names);
  const ratio = worstRatio(ref, runGraph(g, feeds), errScale);
  expect(ratio).toBeLessThanOrEqual(1);
  return { g, ratio };
}

let maxRatio = 0;

describe('optimizer properties', () => {
  it('run(optimize(g)) == run(g) within the float32 tolerance (simplify-inference, fold-batchnorm, fuse-epilogue)', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const { g, ratio } = checkEquivalent(c, { passes: MINE });
      maxRatio = Math.max(maxRatio, ratio);
      // BatchNormalization survives only when its parameters are not constants.
      for (const n of g.nodes) if (n.op === 'BatchNormalization') expect(n.inputs.slice(1).some((v) => !v!.const)).toBe(true);
    }), { seed: 4242, numRuns: 150 });
  });

  it('the same with the full -O2 pipeline', () => {
    fc.assert(fc.property(caseArb, (c) => { maxRatio = Math.max(maxRatio, checkEquivalent(c, { level: 2 }).ratio); }), { seed: 77, numRuns: 60 });
  });

  it('idempotence: optimize(optimize(g)) prints the same as optimize(g)', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const { graph } = buildCase(c);
      optimize(graph, { level: 2 });
      const once = printGraph(graph);
      optimize(graph, { level: 2 });
      expect(printGraph(graph)).toBe(once);
    }), { seed: 99, numRuns: 60 });
  });

  it('reports the worst error seen (relative to the tolerance)', () => {
    console.log(`optimizer properties: worst |opt-ref| / tolerance = ${maxRatio.toExponential(2)}; rewrites: ${JSON.stringify(seen)}`);
    expect(maxRatio).toBeLessThanOrEqual(1);
    // The properties must have exercised every fold and fusion, not passed on graphs left alone.
    for (const k of ['BatchNormalization folded into Conv', 'BatchNormalization folded into ConvTranspose', 'BatchNormalization folded into Gemm',
      'BatchNormalization folded into MatMul', 'BatchNormalization folded into Conv (input side)', 'Conv fused with its epilogue', 'Gemm fused with its epilogue',
      'MatMul fused with its epilogue', 'Identity removed', 'Dropout removed']) expect(seen[k] ?? 0, k).toBeGreaterThan(3);
  });
});
