// Shrunk counterexamples kept as regression tests. Each case is the fast-check value printed by the failing
// property (test/passes/props.test.ts), rebuilt by test/passes/graphs.ts and checked with the same tolerance.
import { describe, expect, it } from 'vitest';
import { checkEquivalent, type Case } from './graphs.ts';

const MINE = ['simplify-inference', 'fold-batchnorm', 'fuse-epilogue'];

describe('optimizer regressions', () => {
  it('two BNs after a rank-3 MatMul: the Mul/Add made from the first must carry types, or the second BN is skipped', () => {
    // Found by the property: simplify-inference created untyped nodes, so the next BN saw "input rank unknown"
    // and stayed in the graph.
    const c: Case = { base: 'matmul', preBn: false, bn: true, tail: ['bn'], inputParams: false, symbolicBatch: false, seed: 52757372 };
    const { g } = checkEquivalent(c, { passes: MINE });
    expect(g.nodes.map((n) => n.op)).not.toContain('BatchNormalization');
  });

  // Cases the property shrank to when a fold was broken on purpose (mutation check of the tolerance): each
  // fails with the broken formula and passes with the right one.
  const mutants: [string, Case][] = [
    ['ConvTranspose with groups: output channel g*(M/group)+m', { base: 'convT', preBn: false, bn: true, tail: [], inputParams: false, symbolicBatch: false, seed: 1185592694 }],
    ['Conv + BN: weights scaled per output channel', { base: 'conv', preBn: false, bn: true, tail: [], inputParams: false, symbolicBatch: false, seed: 75498530 }],
    ['Gemm: C scaled by beta before the BN scale', { base: 'gemm', preBn: false, bn: true, tail: [], inputParams: false, symbolicBatch: false, seed: 10 }],
    ['BN before a Gemm: C gets alpha * (s B)', { base: 'gemm', preBn: true, bn: true, tail: [], inputParams: false, symbolicBatch: false, seed: 1 }],
    ['BN before a Gemm with transB: row k of B is column k of the stored [N, K]', { base: 'gemm', preBn: true, bn: true, tail: [], inputParams: false, symbolicBatch: false, seed: 2111667687 }],
    ['BN before a padded Conv: not folded (padding reads 0, not the shift)', { base: 'conv', preBn: true, bn: true, tail: [], inputParams: false, symbolicBatch: false, seed: 1 }],
  ];
  for (const [what, c] of mutants) {
    it(what, () => { checkEquivalent(c, { passes: MINE }); checkEquivalent(c, { level: 2 }); });
  }
});
