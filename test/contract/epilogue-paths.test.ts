// Every emitter path of the fused-node contract (src/ops/fused-contract.ts), against the reference op
// (src/ops/fused.ts applyStep): hand-built ai.layerc::Fused nodes over each js kernel that runs an epilogue —
// im2col GEMM conv, 1x1 conv read in place, stride-1 direct conv, Winograd conv, depthwise, Gemm (rows, columns),
// 3-D MatMul, 1-D conv with a per-column operand (the direct kernel cannot address it: it must decline and
// the GEMM path take it), 2-D and grouped 1-D ConvTranspose (JS, the tail pass per output plane) — with the base bias present and absent, operands of every layout (per row / channel,
// per column, full, scalar) under both step kinds, and activations between them. Each runs three ways on js:
// in the wasm kernels (shared emitter runtime/js/wasm/epilogue.ts), in the JS tail pass (simdEpilogue: false:
// runtime/js/epilogue.ts tailPassJs), and with 2 threads; and on wgsl (runtime/wgsl/epilogue.ts).
// Each js run asserts the Fused node got its kernel (not the reference fallback).
// Tolerance: |got - ref| <= 1e-5 + 1e-4 |ref| (float32 sums of at most 144 products; the Winograd rows stay within it too).
import { describe, expect, it } from 'vitest';
import { Graph, type Value } from '../../src/ir/graph.ts';
import type { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import type { EpilogueStep } from '../../src/ops/fused-contract.ts';
import { compileProgram } from '../../runtime/js/index.ts';
import { runProgram } from '../../runtime/js/executor.ts';
import { compileWgsl } from '../../runtime/wgsl/index.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';
import { hasAdapter } from '../wgsl/gpu.ts';

interface PathCase {
  name: string;
  base: 'Conv' | 'ConvTranspose' | 'Gemm' | 'MatMul';
  x: number[]; w: number[]; attrs: Record<string, unknown>;
  /** Shape of the base bias (Conv B, Gemm C), or null: absent. */
  bias: number[] | null;
  /** Epilogue operand shapes, used in order by the steps below; `computed`: a graph input, not a constant. */
  operands: { shape: number[]; computed?: boolean }[];
  /** Kernel kind the js program must pick for the Fused node (a prefix) when the epilogue runs in wasm. */
  kernel: string;
}

const conv = (k: number, s: number, p: number, group = 1) => ({ kernel_shape: [k, k], strides: [s, s], pads: [p, p, p, p], group });
const CASES: PathCase[] = [
  { name: 'im2col conv 3x3/2', base: 'Conv', x: [2, 3, 9, 7], w: [5, 3, 3, 3], attrs: conv(3, 2, 1), bias: [5], kernel: 'conv',
    operands: [{ shape: [2, 5, 5, 4], computed: true }, { shape: [5, 1, 1] }, { shape: [1] }] },
  { name: 'im2col conv, no bias', base: 'Conv', x: [2, 3, 9, 7], w: [5, 3, 3, 3], attrs: conv(3, 2, 1), bias: null, kernel: 'conv',
    operands: [{ shape: [2, 5, 5, 4], computed: true }, { shape: [1, 5, 1, 1] }, { shape: [] }] },
  { name: '1x1 conv read in place', base: 'Conv', x: [1, 4, 5, 6], w: [6, 4, 1, 1], attrs: conv(1, 1, 0), bias: null, kernel: 'conv',
    operands: [{ shape: [6, 1, 1] }, { shape: [1, 6, 5, 6], computed: true }, { shape: [1, 1, 1, 1] }] },
  { name: 'direct conv 3x3/1', base: 'Conv', x: [2, 4, 6, 11], w: [7, 4, 3, 3], attrs: conv(3, 1, 1), bias: [7], kernel: 'direct conv',
    operands: [{ shape: [2, 7, 6, 11], computed: true }, { shape: [7, 1, 1] }, { shape: [1] }] },
  { name: 'direct conv, no bias', base: 'Conv', x: [1, 4, 6, 11], w: [7, 4, 3, 3], attrs: conv(3, 1, 1), bias: null, kernel: 'direct conv',
    operands: [{ shape: [7, 6, 11], computed: true }, { shape: [7, 1, 1] }, { shape: [1] }] },
  { name: 'Winograd conv 3x3/1', base: 'Conv', x: [2, 16, 12, 13], w: [16, 16, 3, 3], attrs: conv(3, 1, 1), bias: [16], kernel: 'winograd',
    operands: [{ shape: [2, 16, 12, 13], computed: true }, { shape: [16, 1, 1] }, { shape: [1] }] },
  { name: 'Winograd conv, no bias', base: 'Conv', x: [1, 16, 11, 12], w: [16, 16, 3, 3], attrs: conv(3, 1, 0), bias: null, kernel: 'winograd',
    operands: [{ shape: [16, 9, 10], computed: true }, { shape: [16, 1, 1] }, { shape: [] }] },
  { name: 'depthwise 3x3', base: 'Conv', x: [2, 6, 7, 9], w: [6, 1, 3, 3], attrs: conv(3, 1, 1, 6), bias: [6], kernel: 'depthwise',
    operands: [{ shape: [2, 6, 7, 9], computed: true }, { shape: [6, 1, 1] }, { shape: [1] }] },
  { name: 'depthwise, no bias', base: 'Conv', x: [2, 6, 7, 9], w: [6, 1, 3, 3], attrs: conv(3, 2, 1, 6), bias: null, kernel: 'depthwise',
    operands: [{ shape: [2, 6, 4, 5], computed: true }, { shape: [6, 1, 1] }, { shape: [] }] },
  { name: '1-D conv with a per-column operand (direct kernel declines)', base: 'Conv', x: [2, 3, 13], w: [5, 3, 3],
    attrs: { kernel_shape: [3], strides: [1], pads: [1, 1], group: 1 }, bias: [5], kernel: 'conv',
    operands: [{ shape: [13], computed: true }, { shape: [5, 1] }, { shape: [1] }] },
  { name: 'Gemm with C per column', base: 'Gemm', x: [5, 7], w: [7, 9], attrs: { beta: 0.5 }, bias: [9], kernel: 'Gemm',
    operands: [{ shape: [5, 1], computed: true }, { shape: [5, 9] }, { shape: [9] }] },
  { name: 'Gemm without C (beta != 1)', base: 'Gemm', x: [5, 7], w: [9, 7], attrs: { transB: 1, beta: 0.5 }, bias: null, kernel: 'Gemm',
    operands: [{ shape: [9] }, { shape: [5, 1], computed: true }, { shape: [] }] },
  { name: 'ConvTranspose 3x3/2 padded', base: 'ConvTranspose', x: [2, 3, 4, 5], w: [3, 2, 3, 3], bias: [2], kernel: 'ConvTranspose',
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, operands: [{ shape: [2, 2, 7, 9], computed: true }, { shape: [2, 1, 1] }, { shape: [1] }] },
  { name: '1-D ConvTranspose, 2 groups, no bias', base: 'ConvTranspose', x: [1, 4, 6], w: [4, 3, 3], bias: null, kernel: 'ConvTranspose',
    attrs: { kernel_shape: [3], strides: [1], pads: [0, 0], group: 2 }, operands: [{ shape: [1, 6, 8], computed: true }, { shape: [6, 1] }, { shape: [] }] },
  { name: '3-D MatMul', base: 'MatMul', x: [2, 3, 6], w: [6, 10], attrs: {}, bias: null, kernel: 'MatMul',
    operands: [{ shape: [2, 3, 10], computed: true }, { shape: [10] }, { shape: [1, 1] }] },
];

/** add o0, Sigmoid, mul o1, LeakyRelu, add o2, Tanh: both operand kinds, activations between them. */
function steps(first: number): EpilogueStep[] {
  return [
    { kind: 'add', input: first }, { kind: 'act', name: 'Sigmoid', params: {} }, { kind: 'mul', input: first + 1 },
    { kind: 'act', name: 'LeakyRelu', params: { alpha: 0.1 } }, { kind: 'add', input: first + 2 }, { kind: 'act', name: 'Tanh', params: {} },
  ];
}

function build(c: PathCase): { g: Graph; feeds: Record<string, Tensor> } {
  const rnd = lcg(c.name.length * 7919);
  const g = new Graph(c.name.replace(/\W+/g, '_'));
  const feeds: Record<string, Tensor> = {};
  const input = (name: string, shape: number[]) => { feeds[name] = uniformTensor(shape, rnd); return g.addInput(name, { dtype: 'float32', shape }); };
  const inputs: (Value | null)[] = [input('x', c.x), g.addConst('w', uniformTensor(c.w, rnd, -0.5, 0.5))];
  if (c.bias) inputs.push(g.addConst('b', uniformTensor(c.bias, rnd)));
  const baseInputs = inputs.length;
  c.operands.forEach((o, i) => inputs.push(o.computed ? input(`r${i}`, o.shape) : g.addConst(`k${i}`, uniformTensor(o.shape, rnd, 0.5, 1.5))));
  const n = g.addNode('Fused', inputs, { base: c.base, base_attrs: c.attrs as never, base_inputs: baseInputs, epilogue: steps(baseInputs) as never },
    { name: 'fused', domain: 'ai.layerc' });
  g.outputs = [n.outputs[0]!];
  inferShapes(g);
  return { g, feeds };
}

function expectClose(what: string, got: Tensor, want: Tensor): void {
  expect([...got.shape], what).toEqual([...want.shape]);
  for (let i = 0; i < want.size; i++) {
    if (!(Math.abs(got.data[i]! - want.data[i]!) <= 1e-5 + 1e-4 * Math.abs(want.data[i]!))) expect.fail(`${what}[${i}]: ${got.data[i]} vs reference ${want.data[i]}`);
  }
}

describe('fused epilogue emitters == reference, every path', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const { g, feeds } = build(c);
      const want = runGraph(g, feeds)[g.outputs[0]!.name]!;
      for (const mode of [{ simdEpilogue: true, threads: 1 }, { simdEpilogue: false, threads: 1 }, { simdEpilogue: true, threads: 2 }]) {
        const p = compileProgram(g, mode);
        const kind = p.kernels.find((k) => k.node === 'fused')!.kind;
        // With the epilogue in the JS tail any conv kernel can take it (the 1-D case then runs direct).
        if (mode.simdEpilogue) expect(kind, `${c.name}: kernel`).toMatch(new RegExp(`^${c.kernel}`));
        else expect(kind).not.toBe('reference');
        const m = await runProgram(p, {});
        try { expectClose(`js ${JSON.stringify(mode)}`, (await m.run(feeds))[g.outputs[0]!.name]!, want); } finally { await m.dispose(); }
      }
      if (hasAdapter) {
        const m = await compileWgsl(g);
        try { expectClose('wgsl', (await m.run(feeds))[g.outputs[0]!.name]!, want); } finally { await m.dispose(); }
      }
    }, 30_000);
  }
});
