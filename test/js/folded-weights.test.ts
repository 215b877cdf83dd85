// fold-batchnorm's folded conv weights are deferred (src/ir/tensor.ts rowScaled): the js backend's packers apply the
// BatchNorm scale while they copy the unfolded weights into the program's memory (the im2col/direct conv packing,
// the Winograd filter staging through runtime/js/wasm/scale-rows.ts), so the folded array is never written. The
// program must be the same: outputs equal, bit for bit (Object.is), to the same graph compiled after every deferred
// weight was computed (the packers then copy the folded values, as before), for every conv kernel (Winograd F(2x2),
// F(4x4) and small-map, im2col, direct, grouped; depthwise and stride-2 phases compute it), 1 and 2 threads; random CNNs too. And the weights the
// conv and Winograd packers take stay deferred through compile and run (else the saving is gone unnoticed). The same
// with the conv weight still in its model file (float32From): the Winograd packer reads it straight into memory.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { float32From, isDeferred, type Tensor } from '../../src/ir/tensor.ts';
import { optimize } from '../../passes/index.ts';
import { releasePooledMemory } from '../../runtime/js/memory-pool.ts';
import type { JsOptions } from '../../runtime/js/index.ts';
import { buildCase, compileJsLowered, graphCase } from './graphs.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';

/** Conv (attrs) + BatchNormalization on an [N, C, H, W] input, M output channels. */
function convBn(C: number, M: number, H: number, W: number, attrs: Record<string, unknown>, seed: number, N = 1, inFile = false):
  { graph: Graph; feeds: Record<string, Tensor>; weight: Tensor } {
  const rnd = lcg(seed), g = new Graph('conv_bn');
  const ks = attrs.kernel_shape as number[], group = Number(attrs.group ?? 1);
  const x = g.addInput('x', { dtype: 'float32', shape: [N, C, H, W] });
  const k = (s: number[], lo = -1, hi = 1) => g.addConst('k', uniformTensor(s, rnd, lo, hi));
  // inFile: the weight as a model file's large weight (src/ir/tensor.ts float32From), its bytes read on demand
  const wt = uniformTensor([M, C / group, ...ks], rnd), b = new Uint8Array((wt.data as Float32Array).slice().buffer);
  const w = g.addConst('k', inFile ? float32From(wt.shape, { byteLength: b.length, read: (into, at) => into.set(b.subarray(at, at + into.length)) }) : wt);
  const conv = g.addNode('Conv', [x, w, k([M])], attrs as never, { name: 'conv' }).outputs[0]!;
  const bn = g.addNode('BatchNormalization', [conv, k([M], -2, 2), k([M]), k([M]), k([M], 0.05, 2)], { epsilon: 1e-3 }, { name: 'bn' });
  g.outputs = [bn.outputs[0]!];
  inferShapes(g);
  return { graph: g, feeds: { x: uniformTensor([N, C, H, W], rnd) }, weight: w.const! };
}

const outputs = async (g: Graph, feeds: Record<string, Tensor>, opts: JsOptions) => {
  const m = await compileJsLowered(g, opts);
  try { return Object.values(await m.run(feeds)).map((t) => Array.from(t.data as Float32Array)); } finally { await m.dispose(); }
};

/** -O2 on two copies of `graph`: one as fold-batchnorm leaves it (deferred), one with every constant computed. */
function twoFolds(graph: Graph): { deferred: Graph; computed: Graph; folded: Value[] } {
  const deferred = cloneGraph(graph), computed = cloneGraph(graph);
  optimize(deferred, { level: 2 });
  optimize(computed, { level: 2 });
  for (const v of computed.initializers) void v.const!.data;
  return { deferred, computed, folded: deferred.initializers.filter((v) => isDeferred(v.const!)) };
}

const bitEqual = (a: number[][], b: number[][]) => a.length === b.length && a.every((x, i) => x.length === b[i]!.length && x.every((y, j) => Object.is(y, b[i]![j])));

describe('folded conv weights packed with their scale', () => {
  // Weights above 4096 floats: eliminate-common-subexpressions compares smaller constants by value (computing them).
  // The small-map case has images enough for an arena that stages its filters (a smaller one takes the JS transformer,
  // which computes the weight).
  const cases: [string, number, number, number, number, Record<string, unknown>, JsOptions, number?][] = [
    ['Winograd F(2x2)', 24, 20, 9, 10, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { winogradTile: 2, winogradSmall: false }],
    ['Winograd F(4x4)', 25, 21, 12, 11, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { winogradTile: 4, winogradSmall: false }],
    ['Winograd small-map', 64, 21, 6, 6, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { winogradTile: 4, winogradSmall: true }, 8],
    ['im2col 3x3/2', 24, 22, 11, 9, { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, {}],
    ['direct 3x3/1 (no Winograd)', 24, 20, 8, 9, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { winograd: false }],
    ['grouped 1x1 (2 groups)', 100, 90, 7, 5, { kernel_shape: [1, 1], group: 2 }, {}],
    ['7x7/2 stem, im2col', 3, 30, 17, 15, { kernel_shape: [7, 7], strides: [2, 2], pads: [3, 3, 3, 3] }, { winogradPhase: false }],
  ];
  for (const [what, C, M, H, W, attrs, opts, N] of cases) {
    it(`${what}: bit for bit the program of the computed weights, the folded weight never computed`, async () => {
      for (const threads of [1, 2]) {
        const { graph, feeds } = convBn(C, M, H, W, attrs, C * 100 + M, N);
        const { deferred, computed, folded } = twoFolds(graph);
        expect(folded.map((v) => v.name)).toEqual(['k_folded']);
        const got = await outputs(deferred, feeds, { ...opts, threads });
        expect(bitEqual(got, await outputs(computed, feeds, { ...opts, threads }))).toBe(true);
        expect(isDeferred(folded[0]!.const!)).toBe(true); // packed from the recipe, not from a computed array
      }
    });
  }

  // The conv weight still in its model file (loadOnnxFile of a large file): the Winograd staging reads its bytes
  // straight into memory (the weight never read into an array); other packers read it first. Bit for bit as above.
  for (const [what, C, M, H, W, attrs, opts, N] of cases) {
    it(`${what}, the weight still in its file: bit for bit the program of the computed weights`, async () => {
      for (const threads of [1, 2]) {
        const inFile = convBn(C, M, H, W, attrs, C * 100 + M, N, true), plain = convBn(C, M, H, W, attrs, C * 100 + M, N);
        optimize(inFile.graph, { level: 2 });
        const { computed } = twoFolds(plain.graph);
        expect(bitEqual(await outputs(inFile.graph, inFile.feeds, { ...opts, threads }), await outputs(computed, plain.feeds, { ...opts, threads }))).toBe(true);
        if (what.startsWith('Winograd')) expect(isDeferred(inFile.weight)).toBe(true);
      }
    });
  }

  // Kernels that compute the folded weight (they rearrange it at build time) and must agree all the same.
  const computing: [string, number, number, number, number, Record<string, unknown>][] = [
    ['depthwise (blocked kernels)', 8, 8, 9, 9, { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8 }],
    ['7x7/2 stem, Winograd by phases', 3, 30, 17, 15, { kernel_shape: [7, 7], strides: [2, 2], pads: [3, 3, 3, 3] }],
  ];
  for (const [what, C, M, H, W, attrs] of computing) {
    it(`${what}: bit for bit the program of the computed weights`, async () => {
      const { graph, feeds } = convBn(C, M, H, W, attrs, 7);
      const { deferred, computed } = twoFolds(graph);
      expect(bitEqual(await outputs(deferred, feeds, { threads: 1 }), await outputs(computed, feeds, { threads: 1 }))).toBe(true);
    });
  }

  it('random CNNs (BatchNorms after convs): the same outputs bit for bit, Winograd forced or chosen, 1-2 threads (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(graphCase, fc.constantFrom(undefined, 2, 4), fc.constantFrom(1, 2), async (c, tile, threads) => {
      const { graph, feeds } = buildCase({ ...c, layers: c.layers.flatMap((l) => (l === 'conv' || l === 'fused' ? [l, 'bn' as const] : [l])) });
      const { deferred, computed } = twoFolds(graph);
      const opts = { threads, winogradTile: tile as 2 | 4 | undefined };
      expect(bitEqual(await outputs(deferred, feeds, opts), await outputs(computed, feeds, opts))).toBe(true);
    }), { numRuns: 30, seed: 18 });
    releasePooledMemory();
  }, 60_000);
});
