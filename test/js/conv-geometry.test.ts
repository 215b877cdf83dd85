// Convolution geometry on the js backend: every conv kernel reads its pads and dilations through one
// function (runtime/js/kernels/conv.ts convGeometry), so a pad or dilation taken from the wrong axis is wrong in
// all of them — but only shows where the two axes differ. The random graphs and the backend campaign draw
// symmetric pads and square dilations too often to notice (the mutants js-conv-left-pad-is-top-pad and
// js-conv-horizontal-dilation-is-vertical survived them), so here each kernel that takes a Conv gets pads
// [top, left, bottom, right] all different and dilations unequal per axis: direct stride-1 row conv,
// im2col GEMM conv (also one packed in chunks of panels), grouped, depthwise, 1-D, and Winograd (undilated only; stride 1
// and stride 2 by phases). Each asserts the kernel it
// reaches, then runs on js (1 and 2 threads, -O0 and -O2) against the reference interpreter within the derived
// error bound (test/helpers/error-bound.ts, as the backend campaign).
import { describe, expect, it } from 'vitest';
import { Graph, type AttrValue } from '../../src/ir/graph.ts';
import type { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { compileProgram } from '../../runtime/js/index.ts';
import { compareBackends, JS_VARIANTS } from '../helpers/differential.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';

interface ConvCase { name: string; x: number[]; w: number[]; attrs: Record<string, AttrValue>; kernel: RegExp }

const CASES: ConvCase[] = [
  { name: 'direct row conv 3x3/1, pads [2,0,1,3], dilations [2,1]', x: [1, 3, 9, 10], w: [4, 3, 3, 3],
    attrs: { kernel_shape: [3, 3], pads: [2, 0, 1, 3], dilations: [2, 1] }, kernel: /^direct conv/ },
  { name: 'direct row conv 2x3/1, pads [0,2,1,1], dilations [1,3]', x: [2, 2, 7, 11], w: [3, 2, 2, 3],
    attrs: { kernel_shape: [2, 3], pads: [0, 2, 1, 1], dilations: [1, 3] }, kernel: /^direct conv/ },
  { name: 'im2col conv 3x2/2, pads [1,0,2,3], dilations [1,3]', x: [2, 4, 11, 12], w: [5, 4, 3, 2],
    attrs: { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 2, 3], dilations: [1, 3] }, kernel: /^conv/ },
  // 276 column panels of K = 147: packed and multiplied in chunks of 55 (PACK_CHUNK_FLOATS), the last one partial
  // (strides (2, 1): a 7x7/2 conv takes Winograd by phases, below).
  { name: 'im2col conv 7x7/(2,1) in chunks of panels, pads [3,2,3,1]', x: [2, 3, 70, 66], w: [8, 3, 7, 7],
    attrs: { kernel_shape: [7, 7], strides: [2, 1], pads: [3, 2, 3, 1] }, kernel: /^conv 7x7\/2/ },
  { name: 'Winograd by phases 7x7/2, pads [3,2,3,1]', x: [2, 3, 70, 66], w: [8, 3, 7, 7],
    attrs: { kernel_shape: [7, 7], strides: [2, 2], pads: [3, 2, 3, 1] }, kernel: /phases of conv 7x7\/2/ },
  { name: 'grouped im2col conv 3x3/(2,1), pads [0,3,2,1], dilations [2,1]', x: [1, 4, 12, 9], w: [6, 2, 3, 3],
    attrs: { kernel_shape: [3, 3], strides: [2, 1], pads: [0, 3, 2, 1], dilations: [2, 1], group: 2 }, kernel: /conv .* g2/ },
  { name: 'depthwise 3x3/1, pads [1,2,0,3], dilations [1,2]', x: [1, 6, 8, 9], w: [6, 1, 3, 3],
    attrs: { kernel_shape: [3, 3], pads: [1, 2, 0, 3], dilations: [1, 2], group: 6 }, kernel: /^depthwise/ },
  { name: '1-D conv k3, pads [2,0], dilation 3', x: [2, 3, 17], w: [4, 3, 3],
    attrs: { kernel_shape: [3], pads: [2, 0], dilations: [3] }, kernel: /conv/ },
  { name: 'Winograd 3x3/1, pads [0,2,1,1]', x: [1, 16, 10, 11], w: [16, 16, 3, 3],
    attrs: { kernel_shape: [3, 3], pads: [0, 2, 1, 1] }, kernel: /^winograd/ },
];

function build(c: ConvCase): { g: Graph; feeds: Record<string, Tensor> } {
  const rnd = lcg(c.name.length * 104729);
  const g = new Graph(c.name.replace(/\W+/g, '_'));
  const x = g.addInput('x', { dtype: 'float32', shape: c.x });
  const y = g.addNode('Conv', [x, g.addConst('w', uniformTensor(c.w, rnd, -0.5, 0.5)), g.addConst('b', uniformTensor([c.w[0]!], rnd))], c.attrs, { name: 'conv' }).outputs[0]!;
  g.outputs = [y];
  inferShapes(g);
  return { g, feeds: { x: uniformTensor(c.x, rnd) } };
}

describe('js conv kernels: asymmetric pads and per-axis dilations == reference', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const { g, feeds } = build(c);
      expect(compileProgram(g, { threads: 1 }).kernels.find((k) => k.node === 'conv')!.kind).toMatch(c.kernel);
      const verdict = await compareBackends(g, feeds, JS_VARIANTS);
      expect(verdict.disagreements).toEqual([]);
    }, 30_000);
  }
});
