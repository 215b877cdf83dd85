// The pattern engine (passes/rewrite-engine.ts) and the rule tables built on it (fold-batchnorm's FOLD_RULES,
// eliminate-identity's IDENTITY_RULES, fuse-epilogue's epilogueRules): match is pure (running every row's match on every node of random graphs
// changes nothing), the driver stops at its iteration cap, counts what fired, and `--report` shows it; -O2 runs
// the -O1 rewrites to a fixpoint, which folds a BN that one round leaves (before/expected vs -O1).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { printGraph } from '../../src/ir/printer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { verify } from '../../src/ir/verify.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { optimize } from '../../passes/index.ts';
import { formatReport } from '../../passes/pass.ts';
import { opKey, rewrite, rule } from '../../passes/rewrite-engine.ts';
import { FOLD_RULES } from '../../passes/fold-batchnorm.ts';
import { IDENTITY_RULES } from '../../passes/eliminate-identity.ts';
import { epilogueRules } from '../../passes/fuse-epilogue.ts';
import { OPERAND_KINDS, PORTABLE_FUSION } from '../../src/ops/fused-contract.ts';
import { buildCase, builder, caseArb, opList } from './graphs.ts';
import { maxDiff } from '../helpers/random.ts';

describe('rewrite engine', () => {
  it('match is pure: every row of every table, on every node of random graphs, leaves the graph as it was', () => {
    const every = { bases: { Conv: OPERAND_KINDS, ConvTranspose: OPERAND_KINDS, Gemm: OPERAND_KINDS, MatMul: OPERAND_KINDS }, activations: PORTABLE_FUSION.activations, rowwise: PORTABLE_FUSION.rowwise };
    const rows = [...FOLD_RULES, ...IDENTITY_RULES, ...epilogueRules(PORTABLE_FUSION), ...epilogueRules(every)];
    let matched = 0;
    fc.assert(fc.property(caseArb, (c) => {
      const { graph } = buildCase(c);
      const before = printGraph(graph);
      for (const n of graph.nodes) for (const r of rows) if (r.root === opKey(n) && r.match(n, graph)) matched++;
      expect(printGraph(graph)).toBe(before);
      verify(graph);
    }), { seed: 5, numRuns: 80 });
    expect(matched).toBeGreaterThan(20); // the rows did match (the check is not vacuous)
  });

  it('stops at the iteration cap and counts every firing (a rule that never reaches a fixpoint)', () => {
    const g = new Graph('flip');
    const x = g.addInput('x', { dtype: 'float32', shape: [3] });
    g.outputs.push(g.addNode('Neg', [g.addNode('Neg', [x]).outputs[0]!]).outputs[0]!);
    inferShapes(g);
    // Neg(Neg(x)) -> Neg(Neg(x)) rebuilt: always matches, so only the cap ends it.
    const rebuild = rule<{ n: ReturnType<Graph['addNode']> }>({
      name: 'rebuild inner Neg',
      root: 'Neg',
      match: (n) => (n.inputs[0]?.producer?.op === 'Neg' ? { n } : null),
      apply({ n }, rw, count) {
        const inner = n.inputs[0]!.producer!;
        const copy = rw.addNode('Neg', [inner.inputs[0]!], {}, { name: 'neg' }, n, inner.outputs[0]!);
        rw.setInput(n, 0, copy.outputs[0]!);
        rw.remove(inner);
        count('rebuilt');
      },
    });
    const r = rewrite(g, [rebuild], 5);
    expect(r).toMatchObject({ changed: true, iterations: 5, fired: { 'rebuild inner Neg': 5 }, counts: { rebuilt: 5 } });
    verify(g);
    const out = runGraph(g, { x: Tensor.fromArray('float32', [3], [1, -2, 3]) });
    expect(Array.from(out[g.outputs[0]!.name]!.data)).toEqual([1, -2, 3]);
  });

  it('reports no change and one sweep when nothing matches', () => {
    const b = builder(1);
    const g = b.out(b.node('Relu', [b.input('x', [2, 3])]));
    const r = rewrite(g, [...FOLD_RULES, ...IDENTITY_RULES]);
    expect(r).toMatchObject({ changed: false, iterations: 1, fired: {} });
  });

  it('--report names the rules that fired', () => {
    const b = builder(2);
    const x = b.input('x', [1, 3, 5, 5]);
    const conv = b.node('Conv', [x, b.konst('w', [4, 3, 3, 3])], { kernel_shape: [3, 3] });
    const g = b.out(b.node('Identity', [b.node('BatchNormalization', [conv, ...b.bnParams(4)])]));
    const { reports } = optimize(cloneGraph(g), { passes: ['eliminate-identity', 'fold-batchnorm'] });
    const text = formatReport(reports);
    expect(text).toContain('eliminate-identity: 1 Identity removed; rules fired: Identity removed x1');
    expect(text).toContain('fold-batchnorm: 1 BatchNormalization folded into Conv; rules fired: Conv output side x1');
  });
});

describe('-O2 runs the -O1 rewrites to a fixpoint', () => {
  // conv -> BN -> output, and conv -> Relu whose result nobody reads: one round of -O1 cannot fold the BN (the conv
  // output has two users when fold-batchnorm runs; dead-code elimination removes the Relu after it).
  function deadBranch() {
    const b = builder(3);
    const x = b.input('x', [1, 3, 6, 6]);
    const conv = b.node('Conv', [x, b.konst('w', [4, 3, 3, 3]), b.konst('b', [4])], { kernel_shape: [3, 3] }, { name: 'conv' });
    b.node('Relu', [conv], {}, { name: 'dead' });
    return { g: b.out(b.node('BatchNormalization', [conv, ...b.bnParams(4)], {}, { name: 'bn' })), feeds: b.feeds };
  }
  it('before: -O1 leaves Conv + Mul + Add (reason reported); expected: -O2 gives one Conv, same outputs', () => {
    const { g, feeds } = deadBranch();
    const o1 = cloneGraph(g), o2 = cloneGraph(g);
    const r1 = formatReport(optimize(o1, { level: 1 }).reports);
    expect(opList(o1)).toEqual(['Conv', 'Mul', 'Add']);
    expect(r1).toContain('skipped (Conv output has other consumers)');
    const reports = optimize(o2, { level: 2 }).reports;
    verify(o2);
    expect(opList(o2)).toEqual(['Conv']);
    expect(reports.filter((r) => r.pass === 'fold-batchnorm').map((r) => r.changed)).toEqual([false, true, false]);
    expect(maxDiff(runGraph(g, feeds), runGraph(o2, feeds))).toBeLessThan(1e-4);
  });
  it('must leave unchanged: a graph -O1 already finishes needs one round (no extra work)', () => {
    const b = builder(4);
    const g = b.out(b.node('Relu', [b.node('Conv', [b.input('x', [1, 2, 4, 4]), b.konst('w', [2, 2, 1, 1])], { kernel_shape: [1, 1] })]));
    const reports = optimize(cloneGraph(g), { level: 2 }).reports;
    expect(reports.filter((r) => r.pass === 'fold-constants')).toHaveLength(1);
  });
});
