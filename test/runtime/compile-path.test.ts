// The compile path both backends share (runtime/compile.ts): specialize -> lower (the caller's pipeline) ->
// build. Checked on the js backend against the reference interpreter: symbolic dims are specialized per input
// shape; a small int64 input that decides a shape is specialized by value (the behaviour only wgsl had before),
// an int64 input that decides no shape (labels) is not; the caller's lowering runs (an -O0 conv+BN+relu is one
// Fused kernel); a backend given no lowering compiles the graph as it is; the input graph is never changed.
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { printGraph } from '../../src/ir/printer.ts';
import { compileFor } from '../../src/compile-for.ts';
import { compileJs } from '../../runtime/js/index.ts';
import { runsAgainstReference } from '../helpers/runs-against-reference.ts';
import { lcg, uniformTensor as randomTensor } from '../helpers/random.ts';

const int64 = (shape: number[], values: number[]) => Tensor.fromArray('int64', shape, values);

describe('runtime compile path', () => {
  it('a Reshape to a shape fed at run time gets kernels (specialized by value), per value', async () => {
    const g = new Graph('reshape');
    const x = g.addInput('x', { dtype: 'float32', shape: [2, 6] });
    const s = g.addInput('s', { dtype: 'int64', shape: [2] });
    const r = g.addNode('Reshape', [x, s]).outputs[0]!;
    g.outputs.push(g.addNode('Sigmoid', [r]).outputs[0]!);
    inferShapes(g);
    const rnd = lcg(3);
    const xs = randomTensor([2, 6], rnd);
    const infos = await runsAgainstReference(g, [{ x: xs, s: int64([2], [3, 4]) }, { x: xs, s: int64([2], [4, 3]) }, { x: xs, s: int64([2], [3, 4]) }]);
    for (const info of infos) {
      expect(info.fallback).toBeUndefined();
      expect(info.specialized).toBe('per input shape');
      expect(info.kernels).toBeGreaterThan(0);
    }
  });

  it('int64 labels that decide no shape are not specialized by value (one compile for every batch)', async () => {
    const g = new Graph('labels');
    const x = g.addInput('x', { dtype: 'float32', shape: [4, 3] });
    const y = g.addInput('y', { dtype: 'int64', shape: [4] });
    g.outputs.push(g.addNode('Relu', [x]).outputs[0]!, g.addNode('Cast', [y], { to: 1 }).outputs[0]!);
    inferShapes(g);
    const rnd = lcg(4);
    const infos = await runsAgainstReference(g, [{ x: randomTensor([4, 3], rnd), y: int64([4], [0, 1, 2, 1]) }, { x: randomTensor([4, 3], rnd), y: int64([4], [2, 2, 0, 1]) }]);
    for (const info of infos) expect(info.specialized).toBeUndefined(); // compiled once, statically
  });

  it('a symbolic batch is specialized per input shape', async () => {
    const g = new Graph('batch');
    const rnd = lcg(5);
    const x = g.addInput('x', { dtype: 'float32', shape: ['N', 3] });
    const w = g.addConst('w', randomTensor([3, 4], rnd));
    g.outputs.push(g.addNode('Tanh', [g.addNode('MatMul', [x, w]).outputs[0]!]).outputs[0]!);
    inferShapes(g);
    const infos = await runsAgainstReference(g, [{ x: randomTensor([2, 3], rnd) }, { x: randomTensor([5, 3], rnd) }]);
    for (const info of infos) { expect(info.specialized).toBe('per input shape'); expect(info.fallback).toBeUndefined(); }
  });

  it("runs the caller's lowering: an -O0 conv + BN + relu is one Fused kernel; without lowering, three; the input graph is unchanged", async () => {
    const rnd = lcg(6);
    const g = new Graph('cbr');
    const x = g.addInput('x', { dtype: 'float32', shape: [1, 3, 5, 5] });
    const c = g.addNode('Conv', [x, g.addConst('w', randomTensor([4, 3, 3, 3], rnd))], { pads: [1, 1, 1, 1] }).outputs[0]!;
    const bn = g.addNode('BatchNormalization', [c, g.addConst('s', randomTensor([4], rnd, 0.5, 1.5)), g.addConst('b', randomTensor([4], rnd)),
      g.addConst('m', randomTensor([4], rnd)), g.addConst('v', randomTensor([4], rnd, 0.5, 2))]).outputs[0]!;
    g.outputs.push(g.addNode('Relu', [bn]).outputs[0]!);
    inferShapes(g);
    const before = printGraph(g);
    const feeds = [{ x: randomTensor([1, 3, 5, 5], rnd) }];
    expect((await runsAgainstReference(g, feeds))[0]!.kernels).toBe(1);
    expect((await runsAgainstReference(g, feeds, (h) => compileJs(h, { threads: 1 })))[0]!.kernels).toBe(3);
    expect(printGraph(g)).toBe(before);
  });
});
