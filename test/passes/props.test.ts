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
// (wrong channel, wrong axis, a dropped bias) is off by O(errScale); breaking each fold formula on purpose
// makes the property fail (test/passes/regressions.test.ts keeps the shrunk cases).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { printGraph } from '../../src/ir/printer.ts';
import { optimize } from '../../passes/index.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { verify } from '../../src/ir/verify.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { buildCase, builder, caseArb, checkEquivalent, rewritesSeen as seen } from './graphs.ts';
import { maxDiff } from '../helpers/random.ts';

const MINE = ['simplify-inference', 'fold-batchnorm', 'fuse-epilogue'];

/**
 * The three equivalence campaigns, each run once per file and remembered: its test runs it, and the coverage
 * report below runs any that have not run yet, so every test passes alone and in any order.
 */
const CAMPAIGNS = {
  mine: { passes: MINE, seed: 4242, numRuns: 150 },
  direct: { passes: ['fold-batchnorm', 'fuse-epilogue'], seed: 1234, numRuns: 100 },
  o2: { level: 2 as const, seed: 77, numRuns: 60 },
};
const ratios = new Map<keyof typeof CAMPAIGNS, number>();

function campaign(name: keyof typeof CAMPAIGNS): number {
  if (ratios.has(name)) return ratios.get(name)!;
  const { seed, numRuns, ...opts } = CAMPAIGNS[name];
  let worst = 0;
  fc.assert(fc.property(caseArb, (c) => {
    const { g, ratio } = checkEquivalent(c, opts);
    worst = Math.max(worst, ratio);
    // BatchNormalization survives only when its parameters are not constants.
    if (name === 'mine') for (const n of g.nodes) if (n.op === 'BatchNormalization') expect(n.inputs.slice(1).some((v) => !v!.const)).toBe(true);
  }), { seed, numRuns });
  ratios.set(name, worst);
  return worst;
}

describe('optimizer properties', () => {
  it('run(optimize(g)) == run(g) within the float32 tolerance (simplify-inference, fold-batchnorm, fuse-epilogue)', () => {
    expect(campaign('mine')).toBeLessThanOrEqual(1);
  });

  it('the same with BN folded directly (no simplify-inference: the JS/WGSL lowering runs fold-batchnorm + fuse-epilogue)', () => {
    expect(campaign('direct')).toBeLessThanOrEqual(1);
  });

  it('the same with the full -O2 pipeline', () => {
    expect(campaign('o2')).toBeLessThanOrEqual(1);
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

  it('a long chain (300 Conv -> BN -> Relu blocks) folds and fuses every block, in topological order', () => {
    const b = builder(21);
    let x = b.input('x', [1, 3, 4, 4]);
    for (let i = 0; i < 300; i++) {
      const conv = b.g.addNode('Conv', [x, b.konst('w', [3, 3, 1, 1], -0.7, 0.7)], { kernel_shape: [1, 1] }).outputs[0]!;
      x = b.g.addNode('Relu', [b.g.addNode('BatchNormalization', [conv, ...b.bnParams(3)]).outputs[0]!]).outputs[0]!;
    }
    const g = b.out(x);
    inferShapes(g);
    const after = cloneGraph(g);
    optimize(after, { level: 2 });
    verify(after);
    expect(after.nodes.map((n) => n.op)).toEqual(new Array(300).fill('Fused'));
    expect(after.initializers.length).toBe(600);
    // A coarse check (roundings compound over 300 layers); the per-fold bound is the property above.
    expect(maxDiff(runGraph(g, b.feeds), runGraph(after, b.feeds))).toBeLessThan(1e-4 * (1 + Math.max(...runGraph(g, b.feeds)[x.name]!.data.map(Math.abs))));
  });

  it('reports the worst error seen (relative to the tolerance)', () => {
    const maxRatio = Math.max(...(Object.keys(CAMPAIGNS) as (keyof typeof CAMPAIGNS)[]).map(campaign));
    console.log(`optimizer properties: worst |opt-ref| / tolerance = ${maxRatio.toExponential(2)}; rewrites: ${JSON.stringify(seen)}`);
    expect(maxRatio).toBeLessThanOrEqual(1);
    // The properties must have exercised every fold and fusion, not passed on graphs left alone.
    for (const k of ['BatchNormalization folded into Conv', 'BatchNormalization folded into ConvTranspose', 'BatchNormalization folded into Gemm',
      'BatchNormalization folded into MatMul', 'BatchNormalization folded into Conv (input side)', 'BatchNormalization folded into Gemm (input side)', 'Conv fused with its epilogue', 'Gemm fused with its epilogue',
      'MatMul fused with its epilogue', 'Identity removed', 'Dropout removed', 'BatchNormalization folded into MatMul (input side)',
      'Sub folded into Conv', 'Div folded into Conv', 'Sub folded into ConvTranspose', 'Div folded into ConvTranspose', 'Div folded into Gemm', 'Div folded into MatMul',
      'Sub folded into MatMul (input side)', 'Div folded into MatMul (input side)', 'Sub folded into Gemm (input side)',
      'Mul folded into ConvTranspose (input side)']) expect(seen[k] ?? 0, k).toBeGreaterThan(3);
    // Rarer in these seeded runs (2-3 each), still required to occur.
    for (const k of ['Sub folded into Gemm', 'Sub folded into MatMul']) expect(seen[k] ?? 0, k).toBeGreaterThan(1);
  });
});
