// The js kernels of the backward graph's ops against their reference implementations, one small graph per
// op on odd shapes (primes, size-1 axes, rank 2 and 4), at 1 and 2 threads: BatchNormTrain (each running-stat
// convention, with and without scale), BatchNormTrainGrad, ReduceSum/ReduceMean/ReduceSumLike, MaxPoolGrad
// and AveragePoolGrad (overlapping, padded, dilated, count_include_pad), ReluGrad, Pow, the cross-entropy loss,
// DropoutTrain (the same mask bits as the reference for a given seed and step).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { compileProgram } from '../../runtime/js/index.ts';
import '../../src/ops/index.ts';
import { compileJsLowered, lowerForJsBackend, toleranceRatio } from './graphs.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';

type Build = (g: Graph, input: (name: string, t: Tensor) => Value) => Value[];

/** Builds the graph, checks no node falls back to the reference, and compares every output at 1 and 2 threads. Returns the kernel kinds. */
async function check(feeds: Record<string, Tensor>, build: Build, atol = 1e-5, rtol = 1e-4): Promise<string[]> {
  const g = new Graph('op');
  g.outputs = build(g, (name, t) => g.addInput(name, { dtype: t.dtype, shape: [...t.shape] }));
  inferShapes(g);
  const kernels = compileProgram(lowerForJsBackend(g), { threads: 1 }).kernels;
  expect(kernels.filter((k) => k.kind === 'reference').map((k) => k.op)).toEqual([]);
  const ref = runGraph(g, feeds);
  for (const threads of [1, 2]) {
    const m = await compileJsLowered(g, { threads });
    const got = await m.run(feeds);
    await m.dispose();
    for (const [name, t] of Object.entries(ref)) {
      const r = toleranceRatio(got[name]!, t, atol, rtol);
      if (r > 1) expect.fail(`${name} (${threads} threads): error ratio ${r}`);
    }
  }
  return kernels.map((k) => k.kind);
}

const node = (g: Graph, op: string, inputs: (Value | null)[], attrs: Record<string, unknown>, outputs = 1) =>
  g.addNode(op, inputs, attrs as never, { domain: 'ai.layerc', numOutputs: outputs }).outputs;

describe('js kernels of training ops', () => {
  const rnd = lcg(17);
  // Shapes whose per-image channel run S is a multiple of 4 take the wasm SIMD loops (kind '... simd').
  for (const [shape, convention, scale] of [[[7, 3, 5, 2], 'pytorch', true], [[13, 5], 'keras', false], [[2, 1, 3, 11], 'onnx', true], [[1, 2, 1, 1], 'pytorch', true],
    [[3, 5, 4, 2], 'pytorch', true], [[2, 3, 4], 'keras', false], [[5, 2, 12], 'onnx', true]] as const) {
    it(`BatchNormTrain and its gradient ([${shape}], ${convention}, scale ${scale})`, async () => {
      const C = shape[1]!;
      const feeds = { x: uniformTensor([...shape], rnd, -2, 3), s: uniformTensor([C], rnd, 0.5, 2), b: uniformTensor([C], rnd),
        rm: uniformTensor([C], rnd), rv: uniformTensor([C], rnd, 0.5, 2), dy: uniformTensor([...shape], rnd) };
      const kinds = await check(feeds, (g, inp) => {
        const [x, s, b, rm, rv, dy] = ['x', 's', 'b', 'rm', 'rv', 'dy'].map((k) => inp(k, feeds[k as keyof typeof feeds]));
        const outs = node(g, 'BatchNormTrain', [x!, scale ? s! : null, b!, rm!, rv!], { epsilon: 1e-3, momentum: 0.2, convention }, 5);
        const grads = node(g, 'BatchNormTrainGrad', [dy!, x!, scale ? s! : null, outs[3]!, outs[4]!], {}, 3);
        return [...outs, ...grads];
      });
      const simd = (shape as readonly number[]).slice(2).reduce((a, b) => a * b, 1) % 4 === 0;
      expect(kinds.filter((k) => k.startsWith('batchnorm-train')).map((k) => k.endsWith(' simd'))).toEqual([simd, simd]);
    });
  }

  it('ReduceSum / ReduceMean over any axes, and ReduceSumLike back to broadcast operands (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.constantFrom(1, 2, 3, 5, 7), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 1e6 }), fc.boolean(),
      async (shape, seed, keep) => {
        const r = lcg(seed);
        const axes = shape.map((_, i) => i).filter(() => r() < 0.5);
        const like = shape.map((d) => (r() < 0.5 ? 1 : d)).slice(Math.floor(r() * shape.length));
        const feeds = { x: uniformTensor(shape, r), l: uniformTensor(like.length ? like : [1], r) };
        await check(feeds, (g, inp) => {
          const x = inp('x', feeds.x), l = inp('l', feeds.l);
          const ax = axes.length ? g.addConst('axes', Tensor.fromArray('int64', [axes.length], axes)) : null;
          return [
            g.addNode('ReduceSum', [x, ax], { keepdims: keep ? 1 : 0 }).outputs[0]!,
            g.addNode('ReduceMean', [x, ax], { keepdims: keep ? 1 : 0 }).outputs[0]!,
            node(g, 'ReduceSumLike', [x, l], {})[0]!,
          ];
        });
      }), { numRuns: 15, seed: 5 });
  });

  const POOLS = [
    { H: 7, W: 5, k: [3, 3], s: [2, 2], p: [1, 1, 1, 1], d: [1, 1], cip: 0 },
    { H: 6, W: 9, k: [2, 3], s: [1, 2], p: [0, 1, 0, 0], d: [1, 1], cip: 1 },
    { H: 11, W: 11, k: [3, 3], s: [2, 2], p: [1, 1, 1, 1], d: [2, 2], cip: 0 },
    { H: 5, W: 7, k: [2, 2], s: [3, 3], p: [0, 0, 0, 0], d: [1, 1], cip: 0 },
    { H: 8, W: 8, k: [5, 5], s: [1, 1], p: [2, 2, 2, 2], d: [1, 1], cip: 1 },
  ];
  for (const c of POOLS) {
    it(`MaxPoolGrad and AveragePoolGrad (${c.H}x${c.W} k${c.k} s${c.s} pads ${c.p} d${c.d} cip ${c.cip})`, async () => {
      const ext = (i: number) => Math.floor(((i ? c.W : c.H) + c.p[i]! + c.p[i + 2]! - c.d[i]! * (c.k[i]! - 1) - 1) / c.s[i]!) + 1;
      const feeds = { x: uniformTensor([2, 3, c.H, c.W], rnd), dy: uniformTensor([2, 3, ext(0), ext(1)], rnd) };
      const attrs = { kernel_shape: c.k, strides: c.s, pads: c.p, dilations: c.d, count_include_pad: c.cip };
      await check(feeds, (g, inp) => {
        const x = inp('x', feeds.x), dy = inp('dy', feeds.dy);
        return [node(g, 'MaxPoolGrad', [dy, x], attrs)[0]!, node(g, 'AveragePoolGrad', [dy, x], attrs)[0]!];
      });
    });
  }

  it('ReluGrad and Pow (broadcast scalar exponent)', async () => {
    const feeds = { dy: uniformTensor([3, 7, 5], rnd), y: uniformTensor([3, 7, 5], rnd), b: uniformTensor([3, 7, 5], rnd, 0.1, 2), e: uniformTensor([], rnd, 1, 9) };
    await check(feeds, (g, inp) => {
      const [dy, y, b, e] = ['dy', 'y', 'b', 'e'].map((k) => inp(k, feeds[k as keyof typeof feeds])) as Value[];
      return [node(g, 'ReluGrad', [dy!, y!], {})[0]!, g.addNode('Pow', [b!, e!]).outputs[0]!];
    });
  });

  for (const [N, K] of [[7, 10], [1, 3], [13, 1]]) {
    it(`SoftmaxCrossEntropy and its gradient (${N}x${K})`, async () => {
      const feeds = { x: uniformTensor([N, K], rnd, -5, 5), labels: Tensor.fromArray('int64', [N], Array.from({ length: N }, () => Math.floor(rnd() * K))), dl: uniformTensor([], rnd) };
      await check(feeds, (g, inp) => {
        const x = inp('x', feeds.x), labels = inp('labels', feeds.labels), dl = inp('dl', feeds.dl);
        return [node(g, 'SoftmaxCrossEntropy', [x, labels], {})[0]!, node(g, 'SoftmaxCrossEntropyGrad', [x, labels, dl], {})[0]!];
      });
    });
  }

  for (const [ratio, step] of [[0.3, 0], [0.5, 7], [0.9, 123]] as const) {
    it(`DropoutTrain (ratio ${ratio}, step ${step})`, async () => {
      const feeds = { x: uniformTensor([3, 5, 7], rnd), step: Tensor.fromArray('float32', [], [step]) };
      await check(feeds, (g, inp) => node(g, 'DropoutTrain', [inp('x', feeds.x), inp('step', feeds.step)], { ratio, seed: 4 }, 2), 1e-12, 0);
    });
  }
});
