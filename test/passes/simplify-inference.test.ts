// simplify-inference: before/expected graphs and the graphs it must leave alone.
import { describe, expect, it } from 'vitest';
import { runGraph } from '../../src/ir/interpret.ts';
import { printGraph } from '../../src/ir/printer.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { builder, opList, optimizeCopy } from './graphs.ts';
import { maxDiff } from '../helpers/random.ts';

const PASS = ['simplify-inference'];

describe('simplify-inference', () => {
  it('BatchNormalization -> Mul by gamma/sqrt(var+eps), Add of beta - mean*scale, constants shaped [C,1,1]', () => {
    const b = builder(3);
    const x = b.input('x', [2, 3, 4, 4]);
    const [gamma, beta, mean, variance] = b.bnParams(3);
    const g = b.out(b.node('Relu', [b.node('BatchNormalization', [x, gamma!, beta!, mean!, variance!], { epsilon: 1e-3 })], {}, { name: 'relu' }));
    const { after, report } = optimizeCopy(g, PASS);
    expect(printGraph(after)).toBe([
      'graph t(%x: float32[2, 3, 4, 4]) -> (%relu)',
      '  const %batchnormalization_scale: float32[3, 1, 1]',
      '  const %batchnormalization_shift: float32[3, 1, 1]',
      '  %batchnormalization_scale_1: float32[2, 3, 4, 4] = Mul(%x, %batchnormalization_scale)  # batchnormalization_scale',
      '  %batchnormalization_shift_2: float32[2, 3, 4, 4] = Add(%batchnormalization_scale_1, %batchnormalization_shift)  # batchnormalization_shift',
      '  %relu: float32[2, 3, 4, 4] = Relu(%batchnormalization_shift_2)  # relu',
    ].join('\n'));
    const scale = after.value('batchnormalization_scale')!.const!, shift = after.value('batchnormalization_shift')!.const!;
    expect(scale.shape).toEqual([3, 1, 1]);
    for (let c = 0; c < 3; c++) {
      const a = gamma!.const!.data[c]! / Math.sqrt(variance!.const!.data[c]! + 1e-3);
      expect(scale.data[c]).toBeCloseTo(a, 5);
      expect(shift.data[c]).toBeCloseTo(beta!.const!.data[c]! - mean!.const!.data[c]! * a, 5);
    }
    expect(report).toContain('simplify-inference: 1 BatchNormalization rewritten as scale/shift');
    expect(maxDiff(runGraph(g, b.feeds), runGraph(after, b.feeds))).toBeLessThan(1e-5);
    // The parameters are gone with the BN.
    expect(after.value(gamma!.name)).toBeUndefined();
  });

  it('BN on rank-2 input (after a Gemm) gets [C] constants; rank 3 gets [C,1]', () => {
    for (const shape of [[5, 4], [2, 4, 3]]) {
      const b = builder(4);
      const x = b.input('x', shape);
      const g = b.out(b.node('BatchNormalization', [x, ...b.bnParams(4)]));
      const { after } = optimizeCopy(g, PASS);
      expect(opList(after)).toEqual(['Mul', 'Add']);
      expect(after.initializers.map((v) => v.const!.shape)).toEqual([[4, ...shape.slice(2).map(() => 1)], [4, ...shape.slice(2).map(() => 1)]]);
      expect(after.outputs[0]!.name).toBe(g.outputs[0]!.name);
      expect(maxDiff(runGraph(g, b.feeds), runGraph(after, b.feeds))).toBeLessThan(1e-5);
    }
  });

  it('float64 BN is left alone (only float32 is folded)', () => {
    const b = builder(6);
    const x = b.g.addInput('x', { dtype: 'float64', shape: [2, 2] });
    const params = [[1, 2], [0, 1], [0.5, 0], [1, 2]].map((v, i) => b.g.addConst(`p${i}`, Tensor.fromArray('float64', [2], v)));
    const g = b.out(b.node('BatchNormalization', [x, ...params]));
    const { after, report } = optimizeCopy(g, PASS);
    expect(printGraph(after)).toBe(printGraph(g));
    expect(report).toContain('1 skipped (not float32)');
  });

  it('symbolic batch: the rewrite needs only the rank', () => {
    const b = builder(5);
    const x = b.input('x', ['N', 2, 3], [3, 2, 3]);
    const g = b.out(b.node('BatchNormalization', [x, ...b.bnParams(2)]));
    const { after } = optimizeCopy(g, PASS);
    expect(opList(after)).toEqual(['Mul', 'Add']);
    expect(after.outputs[0]!.type.shape).toEqual(['N', 2, 3]);
    expect(maxDiff(runGraph(g, b.feeds), runGraph(after, b.feeds))).toBeLessThan(1e-5);
  });

  it('Identity and inference Dropout disappear; the graph output keeps its name', () => {
    const b = builder();
    const x = b.input('x', [2, 3]);
    const r = b.node('Relu', [x]);
    const d = b.node('Dropout', [r, b.scalar('ratio', 0.5)]);
    const d2 = b.node('Dropout', [d, b.scalar('ratio2', 0.5), b.g.addConst('mode', Tensor.scalar('bool', 0))]);
    const g = b.out(b.node('Identity', [d2], {}, { name: 'y' }));
    const { after, report } = optimizeCopy(g, PASS);
    expect(opList(after)).toEqual(['Relu']);
    expect(after.outputs.map((v) => v.name)).toEqual(['y']);
    expect(after.nodes[0]!.outputs[0]!.name).toBe('y');
    expect(report).toContain('2 Dropout removed, 1 Identity removed');
    expect(after.initializers).toEqual([]);
    expect(maxDiff(runGraph(g, b.feeds), runGraph(after, b.feeds))).toBe(0);
  });

  it('leaves alone: training-mode BN, BN with parameters as graph inputs, training Dropout, a used mask, Identity from input to output', () => {
    const b = builder();
    const x = b.input('x', [2, 3, 2]);
    const train = b.g.addNode('BatchNormalization', [x, ...b.bnParams(3)], { training_mode: 1 }, { numOutputs: 3 });
    const asInputs = b.node('BatchNormalization', [train.outputs[0]!, ...b.bnParams(3, true)]);
    const mode = b.g.addInput('training', { dtype: 'bool', shape: [] });
    const drop = b.node('Dropout', [asInputs, b.scalar('ratio', 0.1), mode]);
    const masked = b.g.addNode('Dropout', [drop], {}, { numOutputs: 2 });
    const id = b.node('Identity', [x]);
    b.out(masked.outputs[0]!, masked.outputs[1]!, id);
    const g = b.g;
    const { after, report } = optimizeCopy(g, PASS);
    expect(printGraph(after)).toBe(printGraph(g));
    expect(report).toContain('1 skipped (training-mode BatchNormalization)');
    expect(report).toContain('1 skipped (BatchNormalization parameters are not constants)');
    expect(report).toContain('2 skipped (Dropout in training mode or its mask is used)');
    expect(report).toContain('1 skipped (Identity feeds a graph output from a graph input, constant or other output)');
  });
});
