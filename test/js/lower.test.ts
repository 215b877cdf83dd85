// The lowering a caller runs for the js backend (passes/pipelines.ts with JS_CAPABILITIES; wgsl's differs only
// in having no elementwise chains): Conv+BN+Relu(+residual Add) becomes one Fused node (one kernel), a conv
// whose output has two users is left alone, the caller's graph is not changed, and results match the
// reference interpreter on the original graph. Elementwise chains become one JsElementwise node, never
// through a value with a second user or a graph output; random elementwise DAGs agree (fast-check).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Value } from '../../src/ir/graph.ts';
import { Graph } from '../../src/ir/graph.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import type { Graph as G } from '../../src/ir/graph.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { lowerInPlace } from '../../passes/pipelines.ts';
import { WGSL_CAPABILITIES } from '../../runtime/wgsl/index.ts';
import { compileJsLowered, lowerForJsBackend, toleranceRatio } from './graphs.ts';
import '../../src/ops/index.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';

/** The lowering without elementwise chains (what the wgsl backend asks for). */
const lowerForWgsl = (g: G) => { const c = cloneGraph(g); lowerInPlace(c, WGSL_CAPABILITIES); return c; };

function block(extraUser: boolean) {
  const rnd = lcg(21);
  const g = new Graph('block');
  const x = g.addInput('x', { dtype: 'float32', shape: [1, 4, 6, 6] });
  const c = g.addNode('Conv', [x, g.addConst('w', uniformTensor([4, 4, 3, 3], rnd)), g.addConst('b', uniformTensor([4], rnd))], { pads: [1, 1, 1, 1] }).outputs[0]!;
  const bn = g.addNode('BatchNormalization', [c, g.addConst('s', uniformTensor([4], rnd, 0.5, 1.5)), g.addConst('t', uniformTensor([4], rnd)),
    g.addConst('m', uniformTensor([4], rnd)), g.addConst('v', uniformTensor([4], rnd, 0.5, 2))]).outputs[0]!;
  const r = g.addNode('Relu', [bn]).outputs[0]!;
  const y = g.addNode('Add', [r, x]).outputs[0]!;
  g.outputs = extraUser ? [y, c] : [y];
  inferShapes(g);
  return { g, feeds: { x: uniformTensor([1, 4, 6, 6], rnd) } };
}

describe('js lowering', () => {
  it('folds BN and fuses Relu and the residual Add into one Fused conv; results match', async () => {
    const { g, feeds } = block(false);
    const before = g.nodes.map((n) => n.op);
    const low = lowerForWgsl(g);
    expect(low.nodes.map((n) => n.op)).toEqual(['Fused']);
    expect((low.nodes[0]!.attrs.epilogue as { kind: string }[]).map((s) => s.kind)).toEqual(['act', 'add']);
    expect(g.nodes.map((n) => n.op)).toEqual(before);
    const m = await compileJsLowered(g, { threads: 1 });
    const got = await m.run(feeds);
    await m.dispose();
    const ref = runGraph(g, feeds);
    expect(toleranceRatio(got[g.outputs[0]!.name]!, ref[g.outputs[0]!.name]!)).toBeLessThanOrEqual(1);
  });

  it('leaves a conv whose output is also a graph output unfused', () => {
    const { g } = block(true);
    expect(lowerForWgsl(g).nodes.map((n) => n.op)).toEqual(['Conv', 'BatchNormalization', 'Relu', 'Add']);
  });

  it('merges the sigmoid gradient dY * y * (1 - y) into one chain node; a shared or output value stays a leaf', async () => {
    const rnd = lcg(4);
    const g = new Graph('chain');
    const dy = g.addInput('dy', { dtype: 'float32', shape: [3, 5] }), y = g.addInput('y', { dtype: 'float32', shape: [3, 5] });
    const one = g.addConst('one', uniformTensor([], rnd, 1, 1));
    const omy = g.addNode('Sub', [one, y]).outputs[0]!;
    const yy = g.addNode('Mul', [y, omy]).outputs[0]!;
    const grad = g.addNode('Mul', [dy, yy]).outputs[0]!;
    const shared = g.addNode('Exp', [grad]).outputs[0]!;
    const a = g.addNode('Add', [shared, shared]).outputs[0]!;
    g.outputs = [a, omy];
    inferShapes(g);
    expect(lowerForWgsl(g).nodes.map((n) => n.op)).toEqual(['Sub', 'Mul', 'Mul', 'Exp', 'Add']); // shared with wgsl: no chains
    const low = lowerForJsBackend(g);
    // omy is a graph output and `shared` has two uses: both stay values; Sub (output), Mul+Mul+Exp, Add remain.
    expect(low.nodes.map((n) => n.op)).toEqual(['Sub', 'JsElementwise', 'Add']);
    const feeds = { dy: uniformTensor([3, 5], rnd), y: uniformTensor([3, 5], rnd) };
    const m = await compileJsLowered(g, { threads: 2 });
    const got = await m.run(feeds);
    await m.dispose();
    const ref = runGraph(g, feeds);
    for (const v of g.outputs) expect(toleranceRatio(got[v.name]!, ref[v.name]!)).toBeLessThanOrEqual(1);
  });

  it('random elementwise DAGs with broadcasting agree with the reference (fast-check)', async () => {
    const OPS = ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Neg', 'Abs', 'Exp', 'Tanh', 'Sigmoid', 'Sqrt', 'LeakyRelu', 'ReluGrad'];
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 2, max: 9 }), async (seed, count) => {
      const rnd = lcg(seed);
      const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
      const g = new Graph('dag');
      const full = [2, 3, 5];
      const values: Value[] = [g.addInput('x', { dtype: 'float32', shape: full }), g.addInput('c', { dtype: 'float32', shape: [3, 1] }), g.addConst('k', uniformTensor([5], rnd, 0.5, 2))];
      for (let i = 0; i < count; i++) {
        const op = pick(OPS);
        const a = pick(values), b = pick(values);
        const x = op === 'Sqrt' ? g.addNode('Abs', [a]).outputs[0]! : a;
        const n = ['Add', 'Sub', 'Mul', 'Div', 'Max'].includes(op) ? g.addNode(op, [x, op === 'Div' ? g.addNode('Add', [g.addNode('Abs', [b]).outputs[0]!, values[2]!]).outputs[0]! : b])
          : op === 'ReluGrad' ? g.addNode(op, [x, g.addNode('Tanh', [x]).outputs[0]!], {}, { domain: 'ai.layerc' }) : g.addNode(op, [x], op === 'LeakyRelu' ? { alpha: 0.3 } : {});
        values.push(n.outputs[0]!);
        inferShapes(g);
      }
      const last = values.at(-1)!;
      g.outputs = rnd() < 0.5 ? [last] : [last, pick(values.slice(3))];
      g.outputs = [...new Set(g.outputs)];
      inferShapes(g);
      const feeds = { x: uniformTensor(full, rnd, -2, 2), c: uniformTensor([3, 1], rnd, -2, 2) };
      const ref = runGraph(g, feeds);
      const m = await compileJsLowered(g, { threads: 1 });
      const got = await m.run(feeds);
      await m.dispose();
      for (const v of g.outputs) expect(toleranceRatio(got[v.name]!, ref[v.name]!)).toBeLessThanOrEqual(1);
    }), { numRuns: 60, seed: 13 });
  });
});
