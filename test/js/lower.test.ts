// The js backend's lowering: Conv+BN+Relu(+residual Add) becomes one Fused node (one kernel), a conv
// whose output has two users is left alone, the caller's graph is not changed, and results match the
// reference interpreter on the original graph.
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { lowerForJs } from '../../runtime/js/lower.ts';
import { compileJs } from '../../runtime/js/index.ts';
import { lcg, randomTensor, toleranceRatio } from './graphs.ts';

function block(extraUser: boolean) {
  const rnd = lcg(21);
  const g = new Graph('block');
  const x = g.addInput('x', { dtype: 'float32', shape: [1, 4, 6, 6] });
  const c = g.addNode('Conv', [x, g.addConst('w', randomTensor([4, 4, 3, 3], rnd)), g.addConst('b', randomTensor([4], rnd))], { pads: [1, 1, 1, 1] }).outputs[0]!;
  const bn = g.addNode('BatchNormalization', [c, g.addConst('s', randomTensor([4], rnd, 0.5, 1.5)), g.addConst('t', randomTensor([4], rnd)),
    g.addConst('m', randomTensor([4], rnd)), g.addConst('v', randomTensor([4], rnd, 0.5, 2))]).outputs[0]!;
  const r = g.addNode('Relu', [bn]).outputs[0]!;
  const y = g.addNode('Add', [r, x]).outputs[0]!;
  g.outputs = extraUser ? [y, c] : [y];
  inferShapes(g);
  return { g, feeds: { x: randomTensor([1, 4, 6, 6], rnd) } };
}

describe('js lowering', () => {
  it('folds BN and fuses Relu and the residual Add into one Fused conv; results match', async () => {
    const { g, feeds } = block(false);
    const before = g.nodes.map((n) => n.op);
    const low = lowerForJs(g);
    expect(low.nodes.map((n) => n.op)).toEqual(['Fused']);
    expect((low.nodes[0]!.attrs.epilogue as { kind: string }[]).map((s) => s.kind)).toEqual(['act', 'add']);
    expect(g.nodes.map((n) => n.op)).toEqual(before);
    const m = await compileJs(g, { threads: 1 });
    const got = await m.run(feeds);
    await m.dispose();
    const ref = runGraph(g, feeds);
    expect(toleranceRatio(got[g.outputs[0]!.name]!, ref[g.outputs[0]!.name]!)).toBeLessThanOrEqual(1);
  });

  it('leaves a conv whose output is also a graph output unfused', () => {
    const { g } = block(true);
    expect(lowerForJs(g).nodes.map((n) => n.op)).toEqual(['Conv', 'BatchNormalization', 'Relu', 'Add']);
  });
});
