// recompose-ops properties on generated decomposed LayerNorm and GELU subgraphs (test/passes/decomposed.ts: random
// shapes, normalized axes, epsilon, Pow/Mul square, Div/Reciprocal, scale and bias absent, full, broadcast or
// scalar, every operand order; erf and tanh GELU in torch's, TF's and keras's orders):
//   - every pattern fuses into exactly one LayerNormalization / Gelu, nothing of the decomposition is left, and
//     the optimized graph equals the original on the reference interpreter within the float32 bound derived in
//     decomposed.ts (per element; a wrong epsilon, a lost bias or the wrong GELU form is off by far more);
//   - every near miss (non-trailing or mismatched axes, keepdims 0, the unbiased variance, an intermediate with a
//     second consumer, epsilon a graph input; GELU with 0.4 for 0.5, 1.5 for sqrt 2, 0.05 for 0.044715, 2 for 1,
//     a second consumer, another x in the outer product) is left exactly as it was.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { runGraph } from '../../src/ir/interpret.ts';
import { printGraph } from '../../src/ir/printer.ts';
import type { Graph } from '../../src/ir/graph.ts';
import { buildGelu, buildLayerNorm, geluCaseArb, lnCaseArb, type Built } from './decomposed.ts';
import { optimizeCopy } from './graphs.ts';
import { RECOMPOSE_RULES } from '../../passes/recompose-ops.ts';
import { opKey } from '../../passes/rewrite-engine.ts';

const PASS = ['recompose-ops'];
const ops = (g: Graph) => g.nodes.map((n) => n.op);

/** The worst |opt - ref| / bound over every element of the first output (<= 1 passes). */
function worstRatio(b: Built, after: Graph): number {
  const name = b.g.outputs[0]!.name;
  const ref = runGraph(b.g, b.feeds)[name]!, got = runGraph(after, b.feeds)[name]!;
  expect(got.shape).toEqual(ref.shape);
  let worst = 0;
  for (let i = 0; i < ref.size; i++) worst = Math.max(worst, Math.abs(got.data[i]! - ref.data[i]!) / b.bound(i, ref.data[i]!));
  return worst;
}

describe('recompose-ops: decomposed LayerNorm -> LayerNormalization', () => {
  it('every generated pattern fuses into one LayerNormalization equal to the original within the float32 bound', () => {
    let worst = 0;
    fc.assert(fc.property(lnCaseArb(false), (c) => {
      const b = buildLayerNorm(c);
      const { after, report } = optimizeCopy(b.g, PASS);
      expect(ops(after), report).toEqual(['LayerNormalization']);
      expect(after.nodes[0]!.attrs.axis).toBe(-c.k);
      const ratio = worstRatio(b, after);
      expect(ratio).toBeLessThanOrEqual(1);
      worst = Math.max(worst, ratio);
    }), { seed: 1901, numRuns: 300 });
    expect(worst).toBeGreaterThan(0); // the bound is tested, not vacuous: some rounding differences occur
  });

  it('near misses are left exactly as they were (their reported reasons: recompose-ops.test.ts)', () => {
    fc.assert(fc.property(lnCaseArb(true), (c) => {
      const b = buildLayerNorm(c);
      fc.pre(b.missApplies);
      const { after } = optimizeCopy(b.g, PASS);
      expect(printGraph(after)).toBe(printGraph(b.g));
    }), { seed: 1902, numRuns: 300 });
  });
});

describe('recompose-ops: erf and tanh GELU -> Gelu', () => {
  it('every generated pattern fuses into one Gelu of the right form, equal to the original within the float32 bound', () => {
    let worst = 0;
    fc.assert(fc.property(geluCaseArb(false), (c) => {
      const b = buildGelu(c);
      const { after, report } = optimizeCopy(b.g, PASS);
      expect(ops(after), report).toEqual(['Gelu']);
      expect(after.nodes[0]!.attrs.approximate ?? 'none').toBe(c.form === 'tanh' ? 'tanh' : 'none');
      const ratio = worstRatio(b, after);
      expect(ratio).toBeLessThanOrEqual(1);
      worst = Math.max(worst, ratio);
    }), { seed: 1903, numRuns: 300 });
    expect(worst).toBeGreaterThan(0);
  });

  it('near misses are left exactly as they were', () => {
    fc.assert(fc.property(geluCaseArb(true), (c) => {
      const b = buildGelu(c);
      fc.pre(b.missApplies);
      const { after } = optimizeCopy(b.g, PASS);
      expect(printGraph(after)).toBe(printGraph(b.g));
    }), { seed: 1904, numRuns: 300 });
  });
});

describe('recompose-ops rules: match is pure', () => {
  it('running every row\'s match on every node of generated patterns and near misses leaves the graph as it was', () => {
    let matched = 0;
    const check = (b: Built) => {
      const before = printGraph(b.g);
      for (const n of b.g.nodes) for (const r of RECOMPOSE_RULES) if (r.root === opKey(n) && r.match(n, b.g)) matched++;
      expect(printGraph(b.g)).toBe(before);
    };
    fc.assert(fc.property(lnCaseArb(true), geluCaseArb(true), (ln, gelu) => { check(buildLayerNorm(ln)); check(buildGelu(gelu)); }), { seed: 1905, numRuns: 100 });
    fc.assert(fc.property(lnCaseArb(false), geluCaseArb(false), (ln, gelu) => { check(buildLayerNorm(ln)); check(buildGelu(gelu)); }), { seed: 1906, numRuns: 100 });
    expect(matched).toBeGreaterThan(100); // the rows did match (matches and declines), so the check is not vacuous
  });
});
