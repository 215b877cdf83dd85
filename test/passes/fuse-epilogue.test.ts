// fuse-epilogue: before/expected graphs, the chains it must not fuse, and the export of Fused nodes back to
// standard ONNX checked in onnxruntime-node. Fusion does not change the arithmetic (the epilogue applies the
// same float32 ops in the same order), so outputs must match the original graph exactly.
import { describe, expect, it } from 'vitest';
import { runGraph } from '../../src/ir/interpret.ts';
import { printGraph } from '../../src/ir/printer.ts';
import { exportOnnx } from '../../src/export/onnx.ts';
import { fusedAttrs } from '../../src/ops/fused.ts';
import type { Graph } from '../../src/ir/graph.ts';
import type { Tensor } from '../../src/ir/tensor.ts';
import { builder, opList, optimizeCopy, runOrtBytes } from './graphs.ts';
import { maxDiff } from '../helpers/random.ts';

const PASS = ['fuse-epilogue'];

function fuses(g: Graph, feeds: Record<string, Tensor>, options?: Record<string, Record<string, boolean>>) {
  const r = optimizeCopy(g, PASS, options);
  expect(maxDiff(runGraph(g, feeds), runGraph(r.after, feeds))).toBe(0);
  expect(r.after.outputs.map((v) => v.name)).toEqual(g.outputs.map((v) => v.name));
  return r;
}

const epilogue = (g: Graph, i = 0) => fusedAttrs(g.nodes[i]!.attrs).epilogue;

describe('fuse-epilogue', () => {
  it('Conv -> bias Add -> residual Add -> Relu becomes one Fused node with [add, add, Relu]', async () => {
    const b = builder(1);
    const x = b.input('x', [2, 4, 5, 5]);
    const conv = b.node('Conv', [x, b.konst('w', [4, 4, 3, 3])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'conv' });
    const biased = b.node('Add', [b.konst('bias', [4, 1, 1]), conv]);
    const g = b.out(b.node('Relu', [b.node('Add', [biased, x])], {}, { name: 'y' }));
    const { after, report } = fuses(g, b.feeds);
    expect(printGraph(after, { types: false }).split('\n').slice(-1)[0]).toBe(
      '  %y = ai.layerc::Fused(%x, %w, %bias, %x) {base="Conv", base_attrs={"kernel_shape":[3,3],"pads":[1,1,1,1]}, base_inputs=2, '
      + 'epilogue=[{"kind":"add","input":2}, {"kind":"add","input":3}, {"kind":"act","name":"Relu","params":{}}]}  # conv_fused');
    expect(report).toContain('fuse-epilogue: 1 Conv fused with its epilogue, 3 epilogue steps');
    // Export writes Conv + Add + Add + Relu back; onnxruntime agrees with the reference run of the original.
    const ort = await runOrtBytes(exportOnnx(after), b.feeds);
    expect(maxDiff(runGraph(g, b.feeds), ort)).toBeLessThan(1e-5);
  });

  it('activation parameters travel: LeakyRelu alpha, HardSigmoid alpha/beta, Clip(0, 6) as Relu6, Mul by a per-channel constant', async () => {
    const b = builder(2);
    const a = b.input('a', [3, 4]);
    const gemm = b.node('Gemm', [a, b.konst('B', [5, 4]), b.konst('C', [5])], { transB: 1 });
    const leaky = b.node('LeakyRelu', [b.node('Mul', [gemm, b.konst('k', [5])])], { alpha: 0.3 });
    const g1 = b.node('HardSigmoid', [leaky], { alpha: 0.4, beta: 0.45 });
    const mm = b.node('MatMul', [a, b.konst('W', [4, 6], -4, 4)]);
    const g2 = b.node('HardSwish', [b.node('Clip', [mm, b.scalar('lo', 0), b.scalar('hi', 6)])]);
    const g = b.out(g1, g2);
    const { after } = fuses(g, b.feeds);
    expect(opList(after)).toEqual(['ai.layerc::Fused', 'ai.layerc::Fused']);
    expect(epilogue(after, 0)).toEqual([{ kind: 'mul', input: 3 }, { kind: 'act', name: 'LeakyRelu', params: { alpha: 0.3 } },
      { kind: 'act', name: 'HardSigmoid', params: { alpha: 0.4, beta: 0.45 } }]);
    expect(epilogue(after, 1)).toEqual([{ kind: 'act', name: 'Clip', params: { min: 0, max: 6 } }, { kind: 'act', name: 'HardSwish', params: {} }]);
    const ort = await runOrtBytes(exportOnnx(after), b.feeds);
    expect(maxDiff(runGraph(g, b.feeds), ort)).toBeLessThan(1e-5);
  });

  it('a residual computed after the conv: the Fused node is placed where the chain ended', () => {
    const b = builder(3);
    const x = b.input('x', [1, 2, 4, 4]);
    const conv = b.node('Conv', [x, b.konst('w', [2, 2, 1, 1])], { kernel_shape: [1, 1] });
    const late = b.node('Sigmoid', [x]);
    const g = b.out(b.node('Tanh', [b.node('Add', [conv, late])]));
    const { after } = fuses(g, b.feeds);
    expect(opList(after)).toEqual(['Sigmoid', 'ai.layerc::Fused']);
  });

  it('idempotent: a second run leaves the Fused node as it is', () => {
    const b = builder(4);
    const x = b.input('x', [1, 2, 4, 4]);
    const g = b.out(b.node('Relu', [b.node('Conv', [x, b.konst('w', [2, 2, 1, 1])], { kernel_shape: [1, 1] })]));
    const once = optimizeCopy(g, PASS).after;
    expect(printGraph(optimizeCopy(once, PASS).after)).toBe(printGraph(once));
  });

  it('ConvTranspose is fused only with the conv-transpose option; export runs in onnxruntime', async () => {
    const b = builder(5);
    const x = b.input('x', [1, 4, 3, 3]);
    const ct = b.node('ConvTranspose', [x, b.konst('w', [4, 3, 2, 2]), b.konst('b', [6])], { group: 2, strides: [2, 2] });
    const g = b.out(b.node('Relu', [b.node('Add', [ct, b.konst('s', [6, 1, 1])])]));
    expect(opList(optimizeCopy(g, PASS).after)).toEqual(['ConvTranspose', 'Add', 'Relu']);
    const { after } = fuses(g, b.feeds, { 'fuse-epilogue': { 'conv-transpose': true } });
    expect(opList(after)).toEqual(['ai.layerc::Fused']);
    const ort = await runOrtBytes(exportOnnx(after), b.feeds);
    expect(maxDiff(runGraph(g, b.feeds), ort)).toBeLessThan(1e-5);
  });
});

describe('fuse-epilogue: must leave unchanged', () => {
  const unchanged = (g: Graph) => expect(printGraph(optimizeCopy(g, PASS).after)).toBe(printGraph(g));

  it('conv output feeding a second branch (and the skip is reported)', () => {
    const b = builder(6);
    const x = b.input('x', [1, 2, 3, 3]);
    const conv = b.node('Conv', [x, b.konst('w', [2, 2, 1, 1])], { kernel_shape: [1, 1] });
    const g = b.out(b.node('Relu', [conv]), b.node('Sigmoid', [conv]));
    unchanged(g);
    expect(optimizeCopy(g, PASS).report).toContain('1 skipped (Conv output has other consumers or is a graph output)');
  });

  it('a conv output or a middle step that is a graph output stops the chain there', () => {
    const b = builder(7);
    const x = b.input('x', [1, 2, 3, 3]);
    const conv = b.node('Conv', [x, b.konst('w', [2, 2, 1, 1])], { kernel_shape: [1, 1] });
    unchanged(b.out(b.node('Relu', [conv]), conv));
    const b2 = builder(7);
    const x2 = b2.input('x', [1, 2, 3, 3]);
    const relu = b2.node('Relu', [b2.node('Conv', [x2, b2.konst('w', [2, 2, 1, 1])], { kernel_shape: [1, 1] })]);
    const g2 = b2.out(b2.node('Tanh', [relu]), relu);
    const { after } = fuses(g2, b2.feeds);
    expect(opList(after)).toEqual(['ai.layerc::Fused', 'Tanh']);
    expect(epilogue(after)).toEqual([{ kind: 'act', name: 'Relu', params: {} }]);
  });

  it('Mul by a non-constant, an Add that broadcasts the output bigger, an operand no epilogue takes, a non-constant Clip bound', () => {
    const b = builder(8);
    const x = b.input('x', [1, 2, 3, 3]);
    const conv = () => b.node('Conv', [x, b.konst('w', [2, 2, 1, 1])], { kernel_shape: [1, 1] });
    const gate = b.input('gate', [1, 2, 1, 1]);
    const bigger = b.input('bigger', [3, 2, 3, 3]);
    const rowOnly = b.konst('rows', [1, 1, 3, 1]);
    const hi = b.input('hi', []);
    unchanged(b.out(b.node('Mul', [conv(), gate]), b.node('Add', [conv(), bigger]), b.node('Add', [conv(), rowOnly]), b.node('Clip', [conv(), b.scalar('lo', 0), hi])));
  });
});
