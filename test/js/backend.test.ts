// The js backend against the reference interpreter (the oracle): random CNN graphs with odd shapes, then
// single ops the random graphs do not reach. Tolerance: float32 kernels vs the float64-accumulating
// reference, |js - ref| <= 1e-4 + 1e-3 * |ref| per element. Threads 1 and 2 must agree bit for bit
// (work is split by output blocks, never inside one dot product).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { compileJs, compileProgram } from '../../runtime/js/index.ts';
import { buildCase, compileJsLowered, graphCase, lowerForJsBackend, toleranceRatio } from './graphs.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';

async function runJs(graph: Graph, feeds: Parameters<typeof runGraph>[1], threads: number, lower = true, winograd?: boolean) {
  const m = lower ? await compileJsLowered(graph, { threads, winograd }) : await compileJs(graph, { threads, winograd });
  try { return await m.run(feeds); } finally { await m.dispose(); }
}

describe('js backend vs reference', () => {
  it('random conv/BN/activation/residual/pool/concat/gemm graphs agree (fast-check, 1 thread)', async () => {
    await fc.assert(fc.asyncProperty(graphCase, async (c) => {
      const { graph, feeds } = buildCase(c);
      const ref = runGraph(graph, feeds);
      const got = await runJs(graph, feeds, 1, c.seed % 2 === 0);
      for (const [name, t] of Object.entries(ref)) expect(toleranceRatio(got[name]!, t)).toBeLessThanOrEqual(1);
    }), { numRuns: 150, seed: 7 });
  });

  it('the hot ops get kernels, not the fallback', () => {
    const { graph } = buildCase({ layers: ['conv', 'fused', 'bn', 'act', 'add', 'pool', 'concat', 'dw'], N: 1, C: 4, H: 9, W: 9, head: true, seed: 3 });
    const kinds = compileProgram(graph, { threads: 1 }).kernels;
    const fallback = kinds.filter((k) => k.kind === 'reference').map((k) => k.op);
    expect(fallback.filter((op) => ['Conv', 'Fused', 'Gemm', 'MatMul', 'BatchNormalization', 'MaxPool', 'AveragePool', 'Add', 'Mul', 'Softmax', 'Relu', 'Concat'].includes(op))).toEqual([]);
  });

  it('threads 1 and 2 give identical bits (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(graphCase, async (c) => {
      const { graph, feeds } = buildCase(c);
      const [a, b] = [await runJs(graph, feeds, 1), await runJs(graph, feeds, 2)];
      for (const name of Object.keys(a)) expect(Array.from(b[name]!.data)).toEqual(Array.from(a[name]!.data));
    }), { numRuns: 15, seed: 11 });
  });

  it('Gemm transA/transB/alpha/beta, MatMul with batch axes and a computed B, LogSoftmax on axis 1', async () => {
    const rnd = lcg(5);
    for (const [tA, tB, alpha, beta] of [[0, 0, 1, 1], [1, 0, 0.5, 2], [0, 1, 2, 0.25], [1, 1, 1, 1]] as const) {
      const g = new Graph('gemm');
      const [R, K, N] = [7, 13, 11];
      const a = g.addInput('a', { dtype: 'float32', shape: tA ? [K, R] : [R, K] });
      const b = g.addConst('b', uniformTensor(tB ? [N, K] : [K, N], rnd));
      const cc = g.addConst('c', uniformTensor([N], rnd));
      const y = g.addNode('Gemm', [a, b, cc], { transA: tA, transB: tB, alpha, beta }).outputs[0]!;
      g.outputs = [y];
      inferShapes(g);
      const feeds = { a: uniformTensor(tA ? [K, R] : [R, K], rnd) };
      expect(toleranceRatio((await runJs(g, feeds, 1))[y.name]!, runGraph(g, feeds)[y.name]!)).toBeLessThanOrEqual(1);
    }
    const g = new Graph('matmul');
    const a = g.addInput('a', { dtype: 'float32', shape: [2, 5, 6] });
    const bIn = g.addInput('b', { dtype: 'float32', shape: [6, 9] });
    const m = g.addNode('MatMul', [a, bIn]).outputs[0]!;
    const s = g.addNode('LogSoftmax', [m], { axis: 1 }).outputs[0]!;
    g.outputs = [s];
    inferShapes(g);
    const feeds = { a: uniformTensor([2, 5, 6], rnd), b: uniformTensor([6, 9], rnd) };
    expect(toleranceRatio((await runJs(g, feeds, 2))[s.name]!, runGraph(g, feeds)[s.name]!)).toBeLessThanOrEqual(1);
  });

  it('an op without a kernel runs through the reference fallback (Tile) and the result still matches', async () => {
    const rnd = lcg(9);
    const g = new Graph('fallback');
    const x = g.addInput('x', { dtype: 'float32', shape: [2, 3, 4] });
    const t = g.addNode('Tile', [x, g.addConst('repeats', Tensor.fromArray('int64', [3], [1, 2, 1]))]).outputs[0]!;
    const r = g.addNode('Relu', [t]).outputs[0]!;
    g.outputs = [r];
    inferShapes(g);
    expect(compileProgram(lowerForJsBackend(g), { threads: 1 }).kernels.map((k) => k.kind)).toEqual(['reference', 'Relu 48 simd']);
    const feeds = { x: uniformTensor([2, 3, 4], rnd) };
    expect(toleranceRatio((await runJs(g, feeds, 2))[r.name]!, runGraph(g, feeds)[r.name]!)).toBeLessThanOrEqual(1);
  });

  it('a graph with a symbolic batch is specialized per input shape when run', async () => {
    const rnd = lcg(13);
    const g = new Graph('sym');
    const x = g.addInput('x', { dtype: 'float32', shape: ['N', 3, 7, 7] });
    const c = g.addNode('Conv', [x, g.addConst('w', uniformTensor([4, 3, 3, 3], rnd))], { pads: [1, 1, 1, 1] }).outputs[0]!;
    const r = g.addNode('Relu', [c]).outputs[0]!;
    g.outputs = [r];
    inferShapes(g);
    const m = await compileJsLowered(g, { threads: 2 });
    try {
      for (const N of [2, 3, 2]) {
        const feeds = { x: uniformTensor([N, 3, 7, 7], rnd) };
        const got = (await m.run(feeds))[r.name]!;
        expect(got.shape).toEqual([N, 4, 7, 7]);
        expect(toleranceRatio(got, runGraph(g, feeds)[r.name]!)).toBeLessThanOrEqual(1);
      }
    } finally { await m.dispose(); }
  });

  it('direct convs with several channel chunks (70 channels 3x3, 45 channels 5x5 dilated), residual and activation', async () => {
    const rnd = lcg(17);
    for (const [C, k, d, act] of [[70, 3, 1, 'Relu'], [45, 5, 2, 'Sigmoid']] as const) {
      const g = new Graph('chunks');
      const x = g.addInput('x', { dtype: 'float32', shape: [1, C, 9, 11] });
      const res = g.addInput('r', { dtype: 'float32', shape: [1, 6, 9, 11] });
      const p = ((k - 1) * d) >> 1;
      const y = g.addNode('Fused', [x, g.addConst('w', uniformTensor([6, C, k, k], rnd)), g.addConst('b', uniformTensor([6], rnd)), res], {
        base: 'Conv', base_attrs: { pads: [p, p, p, p], dilations: [d, d] }, base_inputs: 3,
        epilogue: [{ kind: 'add', input: 3 }, { kind: 'act', name: act, params: {} }] }, { domain: 'ai.layerc' }).outputs[0]!;
      g.outputs = [y];
      inferShapes(g);
      // The direct kernel's chunking is the subject: Winograd (which would take the 3x3 conv) is off.
      expect(compileProgram(lowerForJsBackend(g), { threads: 1, winograd: false }).kernels[0]!.kind).toMatch(/^direct conv/);
      const feeds = { x: uniformTensor([1, C, 9, 11], rnd), r: uniformTensor([1, 6, 9, 11], rnd) };
      const ref = runGraph(g, feeds)[y.name]!;
      for (const threads of [1, 2]) expect(toleranceRatio((await runJs(g, feeds, threads, true, false))[y.name]!, ref)).toBeLessThanOrEqual(1);
    }
  });

  it('strided convs on wide images (interior im2col panels packed in wasm, border panels in JS), 1 and 2 images', async () => {
    const rnd = lcg(23);
    for (const [N, C, H, W, k, st, p, d, group] of [[1, 3, 29, 37, 3, 2, 1, 1, 1], [2, 2, 40, 45, 7, 2, 3, 1, 1], [1, 4, 33, 41, 3, 3, 0, 2, 2], [1, 5, 21, 50, 5, 4, 2, 1, 1]] as const) {
      const g = new Graph('strided');
      const x = g.addInput('x', { dtype: 'float32', shape: [N, C, H, W] });
      const y = g.addNode('Conv', [x, g.addConst('w', uniformTensor([6, C / group, k, k], rnd)), g.addConst('b', uniformTensor([6], rnd))],
        { strides: [st, st], pads: [p, p, p, p], dilations: [d, d], group }).outputs[0]!;
      g.outputs = [y];
      inferShapes(g);
      expect(compileProgram(lowerForJsBackend(g), { threads: 1 }).kernels[0]!.kind).toMatch(/^conv/);
      const feeds = { x: uniformTensor([N, C, H, W], rnd) };
      const ref = runGraph(g, feeds)[y.name]!;
      for (const threads of [1, 2]) expect(toleranceRatio((await runJs(g, feeds, threads))[y.name]!, ref)).toBeLessThanOrEqual(1);
    }
  });
});
