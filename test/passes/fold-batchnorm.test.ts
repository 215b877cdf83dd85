// fold-batchnorm: before/expected graphs (op lists, folded constants, outputs vs the reference run of the
// original graph) and the graphs it must leave alone (with the reason it reports).
// Tolerance 1e-4 absolute: these graphs have fan-in <= 50, |w|, |x| <= 1 and BN scales |a| <= ~10, so
// float32 re-association errors are below u * 50 * 10 ~ 3e-5 (test/passes/props.test.ts derives the general bound).
import { describe, expect, it } from 'vitest';
import { runGraph } from '../../src/ir/interpret.ts';
import { printGraph } from '../../src/ir/printer.ts';
import type { Graph, Value } from '../../src/ir/graph.ts';
import { exportOnnx } from '../../src/export/onnx.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { builder, opList, optimizeCopy, runOrtBytes } from './graphs.ts';
import { maxDiff } from '../helpers/random.ts';

const BOTH = ['simplify-inference', 'fold-batchnorm'];
const TOL = 1e-4;

function folds(g: Graph, feeds: Record<string, import('../../src/ir/tensor.ts').Tensor>, passes = BOTH) {
  const r = optimizeCopy(g, passes);
  expect(maxDiff(runGraph(g, feeds), runGraph(r.after, feeds))).toBeLessThan(TOL);
  expect(r.after.outputs.map((v) => v.name)).toEqual(g.outputs.map((v) => v.name));
  return r;
}

function unchanged(g: Graph, reason: string) {
  const r = optimizeCopy(g, ['fold-batchnorm']);
  expect(printGraph(r.after)).toBe(printGraph(g));
  expect(r.report).toContain(`skipped (${reason})`);
}

describe('fold-batchnorm: output side', () => {
  const convCases: [string, Record<string, unknown>, number, number, boolean][] = [
    ['plain 3x3 with bias', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 4, 6, true],
    ['grouped (2 groups), no bias, stride 2', { kernel_shape: [3, 3], strides: [2, 2], group: 2 }, 4, 6, false],
    ['depthwise with channel multiplier 2, dilation 2', { kernel_shape: [3, 3], dilations: [2, 2], group: 4, pads: [2, 1, 0, 2] }, 4, 8, true],
    ['1x1, asymmetric kernel 1x3', { kernel_shape: [1, 3] }, 3, 5, false],
  ];
  for (const [what, attrs, C, M, bias] of convCases) {
    it(`Conv ${what} + BN -> one Conv with a bias`, () => {
      const b = builder(C * 7 + M);
      const x = b.input('x', [2, C, 7, 7]);
      const group = Number(attrs.group ?? 1);
      const ks = attrs.kernel_shape as number[];
      const conv = b.node('Conv', [x, b.konst('w', [M, C / group, ...ks]), bias ? b.konst('b', [M]) : null], attrs, { name: 'conv' });
      const g = b.out(b.node('BatchNormalization', [conv, ...b.bnParams(M)], { epsilon: 1e-3 }, { name: 'bn' }));
      for (const passes of [BOTH, ['fold-batchnorm']]) {
        const { after, report } = folds(g, b.feeds, passes);
        expect(opList(after)).toEqual(['Conv']);
        expect(after.nodes[0]!.inputs.map((v) => v?.name)).toEqual(['x', 'w_folded', 'conv_bias_folded']);
        expect(after.nodes[0]!.outputs[0]!.name).toBe('bn'); // the graph output keeps its name
        expect(after.initializers.map((v) => v.name).sort()).toEqual(['conv_bias_folded', 'w_folded']);
        expect(report).toContain('fold-batchnorm: 1 BatchNormalization folded into Conv');
      }
    });
  }

  it('symbolic batch and spatial dims are kept', () => {
    const b = builder(2);
    const x = b.input('x', ['N', 3, 'H', 'W'], [2, 3, 5, 6]);
    const conv = b.node('Conv', [x, b.konst('w', [4, 3, 3, 3]), b.konst('b', [4])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    const g = b.out(b.node('Relu', [b.node('BatchNormalization', [conv, ...b.bnParams(4)])]));
    const { after } = folds(g, b.feeds);
    expect(opList(after)).toEqual(['Conv', 'Relu']);
    expect(after.outputs[0]!.type.shape).toEqual(g.outputs[0]!.type.shape);
  });

  it('ConvTranspose (groups 2, stride 2, output_padding) + BN: output channels on weight axis 1 per group', async () => {
    const b = builder(11);
    const x = b.input('x', [1, 4, 3, 3]);
    const w = b.konst('w', [4, 3, 2, 2]); // [C, M/group, k, k], M = 6
    const ct = b.node('ConvTranspose', [x, w, null], { group: 2, strides: [2, 2], output_padding: [1, 1], kernel_shape: [2, 2] });
    const g = b.out(b.node('BatchNormalization', [ct, ...b.bnParams(6)]));
    const { after, report } = folds(g, b.feeds);
    expect(opList(after)).toEqual(['ConvTranspose']);
    expect(report).toContain('1 BatchNormalization folded into ConvTranspose');
    // onnxruntime runs the folded model and agrees with the reference run of the original.
    expect(maxDiff(runGraph(g, b.feeds), await runOrtBytes(exportOnnx(after), b.feeds))).toBeLessThan(TOL);
  });

  for (const transB of [0, 1]) {
    for (const cShape of [null, [5], [3, 5], [3, 1], []] as (number[] | null)[]) {
      it(`Gemm transB=${transB}, alpha 0.5, beta 2, C ${cShape ? `[${cShape}]` : 'absent'} + BN -> Gemm`, () => {
        const b = builder(transB * 10 + (cShape?.length ?? 9));
        const a = b.input('a', [3, 4]);
        const gemm = b.node('Gemm', [a, b.konst('B', transB ? [5, 4] : [4, 5]), cShape ? b.konst('C', cShape) : null], { transB, alpha: 0.5, beta: 2 });
        const g = b.out(b.node('Tanh', [b.node('BatchNormalization', [gemm, ...b.bnParams(5)])]));
        const { after, report } = folds(g, b.feeds);
        expect(opList(after)).toEqual(['Gemm', 'Tanh']);
        expect(after.nodes[0]!.attrs.beta).toBe(1);
        expect(report).toContain('1 BatchNormalization folded into Gemm');
      });
    }
  }

  it('MatMul (2-D) + BN becomes a Gemm with the shift as C; 3-D MatMul + Mul + Add becomes MatMul + Add', () => {
    const b = builder(5);
    const a = b.input('a', [3, 4]);
    const g = b.out(b.node('BatchNormalization', [b.node('MatMul', [a, b.konst('B', [4, 6])]), ...b.bnParams(6)]));
    const r = folds(g, b.feeds);
    expect(opList(r.after)).toEqual(['Gemm']);
    expect(r.report).toContain('1 BatchNormalization folded into MatMul');

    const b3 = builder(6);
    const a3 = b3.input('a', [2, 3, 4]);
    const mm = b3.node('MatMul', [a3, b3.konst('B', [4, 5])]);
    const g3 = b3.out(b3.node('Add', [b3.node('Mul', [mm, b3.konst('k', [5])]), b3.konst('s', [1, 1, 5])]));
    const r3 = folds(g3, b3.feeds);
    expect(opList(r3.after)).toEqual(['MatMul', 'Add']);
    expect(r3.report).toContain('1 Mul folded into MatMul, 1 Add folded into MatMul');
    // Running it again changes nothing: MatMul + Add(bias) is already the folded form.
    expect(printGraph(optimizeCopy(r3.after, BOTH).after)).toBe(printGraph(r3.after));
  });
});

describe('fold-batchnorm: input side (BN before a Conv)', () => {
  /** x -> (BN, or a pure per-channel scale when scaleOnly) -> grouped Conv with `attrs`. */
  const preBn = (attrs: Record<string, unknown>, scaleOnly = false) => {
    const b = builder(8);
    const x = b.input('x', [1, 4, 6, 6]);
    const pre = scaleOnly ? b.node('Mul', [x, b.konst('k', [4, 1, 1], 0.5, 2)]) : b.node('BatchNormalization', [x, ...b.bnParams(4)]);
    return { b, g: b.out(b.node('Conv', [pre, b.konst('w', [6, 2, 3, 3]), b.konst('b', [6])], { kernel_shape: [3, 3], group: 2, ...attrs })) };
  };

  it('folds into a grouped Conv without padding: W scaled per input channel, bias += W * shift', () => {
    const { b, g } = preBn({ strides: [2, 1] });
    const { after, report } = folds(g, b.feeds);
    expect(opList(after)).toEqual(['Conv']);
    expect(after.nodes[0]!.inputs[0]!.name).toBe('x');
    expect(report).toContain('1 BatchNormalization folded into Conv (input side)');
  });

  it('a padded Conv keeps the BN (a padded tap reads 0, not the shift) but takes a pure scale', () => {
    const { g } = preBn({ pads: [1, 1, 1, 1] });
    const r = optimizeCopy(g, BOTH);
    expect(opList(r.after)).toEqual(['Mul', 'Add', 'Conv']);
    expect(r.report).toContain('1 skipped (Conv zero-pads its input (a shift does not commute with padding))');
    const { b, g: scaled } = preBn({ pads: [1, 1, 1, 1] }, true);
    expect(opList(folds(scaled, b.feeds).after)).toEqual(['Conv']);
    const same = preBn({ auto_pad: 'SAME_UPPER' }).g;
    expect(opList(optimizeCopy(same, BOTH).after)).toEqual(['Mul', 'Add', 'Conv']);
  });
});

describe('fold-batchnorm: input side of a Gemm (BN1d before a Linear)', () => {
  for (const transB of [0, 1]) {
    it(`BN on A's columns folds into B's rows and C (transB=${transB}, alpha -2, beta 0.5)`, () => {
      const b = builder(20 + transB);
      const a = b.input('a', [3, 4]);
      const bn = b.node('BatchNormalization', [a, ...b.bnParams(4)]);
      const g = b.out(b.node('Gemm', [bn, b.konst('B', transB ? [5, 4] : [4, 5]), b.konst('C', [5])], { transB, alpha: -2, beta: 0.5 }));
      const { after, report } = folds(g, b.feeds);
      expect(opList(after)).toEqual(['Gemm']);
      expect(after.nodes[0]!.inputs[0]!.name).toBe('a');
      expect(report).toContain('1 BatchNormalization folded into Gemm (input side)');
    });
  }
  it('transA=1 (A is [K, M]: BN channels are not the reduced axis) is left alone', () => {
    const b = builder(22);
    const a = b.input('a', [4, 3]);
    const bn = b.node('BatchNormalization', [a, ...b.bnParams(3)]);
    const g = b.out(b.node('Gemm', [bn, b.konst('B', [4, 5])], { transA: 1 }));
    unchanged(g, 'not next to a Conv, ConvTranspose, Gemm or MatMul');
  });
});

describe('fold-batchnorm: must leave unchanged', () => {
  const convBn = (f: (b: ReturnType<typeof builder>, conv: Value, bn: Value) => void, opts: { bnInputs?: boolean; wInput?: boolean } = {}) => {
    const b = builder(9);
    const x = b.input('x', [1, 3, 5, 5]);
    const w = opts.wInput ? b.input('w', [4, 3, 3, 3]) : b.konst('w', [4, 3, 3, 3]);
    const conv = b.node('Conv', [x, w], { kernel_shape: [3, 3] }, { name: 'conv' });
    const bn = b.node('BatchNormalization', [conv, ...b.bnParams(4, opts.bnInputs)]);
    f(b, conv, bn);
    return b.g;
  };

  it('conv output also feeding a second branch', () => {
    unchanged(convBn((b, conv, bn) => b.out(bn, b.node('Relu', [conv]))), 'Conv output has other consumers');
  });
  it('conv output that is itself a graph output', () => {
    unchanged(convBn((b, conv, bn) => b.out(bn, conv)), 'Conv output is a graph output');
  });
  it('BN parameters that are graph inputs', () => {
    unchanged(convBn((b, _c, bn) => b.out(bn), { bnInputs: true }), 'BatchNormalization parameters are not constants');
  });
  it('a conv weight that is a graph input', () => {
    unchanged(convBn((b, _c, bn) => b.out(bn), { wInput: true }), 'Conv weight is not a float32 constant');
  });
  it('BN after an Add (residual): nothing to fold into', () => {
    const b = builder(10);
    const x = b.input('x', [1, 3, 4, 4]);
    const conv = b.node('Conv', [x, b.konst('w', [3, 3, 1, 1])], { kernel_shape: [1, 1] });
    const g = b.out(b.node('Relu', [b.node('BatchNormalization', [b.node('Add', [conv, x]), ...b.bnParams(3)])]));
    unchanged(g, 'not next to a Conv, ConvTranspose, Gemm or MatMul');
  });
  it('BN whose channel axis is not the MatMul output channel axis (rank 3)', () => {
    const b = builder(12);
    const a = b.input('a', [2, 3, 4]);
    const g = b.out(b.node('BatchNormalization', [b.node('MatMul', [a, b.konst('B', [4, 5])]), ...b.bnParams(3)]));
    unchanged(g, "BatchNormalization channel axis 1 is not MatMul's output channel axis");
  });
  it('training-mode BN', () => {
    const b = builder(13);
    const x = b.input('x', [2, 3, 4, 4]);
    const conv = b.node('Conv', [x, b.konst('w', [3, 3, 1, 1])], { kernel_shape: [1, 1] });
    const g = b.out(b.node('BatchNormalization', [conv, ...b.bnParams(3)], { training_mode: 1 }));
    unchanged(g, 'training-mode BatchNormalization');
  });
});

describe('fold-batchnorm: Sub and Div by constants (x - c = x + (-c), c - x = -x + c, x / c = x * (1/c))', () => {
  it('Conv -> Sub [C,1,1] -> Div [1,C,1,1] -> one Conv with a bias', () => {
    const b = builder(30);
    const x = b.input('x', [2, 3, 5, 5]);
    const conv = b.node('Conv', [x, b.konst('w', [4, 3, 3, 3]), b.konst('b', [4])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    const g = b.out(b.node('Div', [b.node('Sub', [conv, b.konst('c', [4, 1, 1])]), b.konst('d', [1, 4, 1, 1], 0.5, 2)]));
    const { after, report } = folds(g, b.feeds, ['fold-batchnorm']);
    expect(opList(after)).toEqual(['Conv']);
    expect(report).toContain('1 Sub folded into Conv, 1 Div folded into Conv');
  });

  it('Gemm -> (c - x) -> x / scalar -> Gemm; ConvTranspose -> Div -> ConvTranspose', () => {
    const b = builder(31);
    const gemm = b.node('Gemm', [b.input('a', [3, 4]), b.konst('B', [5, 4]), b.konst('C', [5])], { transB: 1, beta: 0.5 });
    const g = b.out(b.node('Div', [b.node('Sub', [b.konst('c', [5]), gemm]), b.scalar('d', -0.75)]));
    const r = folds(g, b.feeds, ['fold-batchnorm']);
    expect(opList(r.after)).toEqual(['Gemm']);
    expect(r.report).toContain('1 Sub folded into Gemm, 1 Div folded into Gemm');

    const b2 = builder(32);
    const ct = b2.node('ConvTranspose', [b2.input('x', [1, 2, 3, 3]), b2.konst('w', [2, 3, 2, 2])], { strides: [2, 2] });
    const g2 = b2.out(b2.node('Div', [ct, b2.konst('d', [3, 1, 1], 0.5, 2)]));
    expect(opList(folds(g2, b2.feeds, ['fold-batchnorm']).after)).toEqual(['ConvTranspose']);
  });

  const convDiv = (divisor: (b: ReturnType<typeof builder>) => Value, divisorFirst = false) => {
    const b = builder(33);
    const conv = b.node('Conv', [b.input('x', [1, 2, 4, 4]), b.konst('w', [3, 2, 1, 1])], { kernel_shape: [1, 1] });
    const d = divisor(b);
    return b.out(b.node('Div', divisorFirst ? [d, conv] : [conv, d]));
  };
  const untouched = (g: Graph) => expect(printGraph(optimizeCopy(g, ['fold-batchnorm']).after)).toBe(printGraph(g));

  it('leaves a Div by a tensor containing 0 alone (x / 0 is inf or NaN, x * (1/0) * w is not the same)', () => {
    untouched(convDiv((b) => b.g.addConst('d', Tensor.fromArray('float32', [3, 1, 1], [2, 0, -1]))));
    untouched(convDiv((b) => b.scalar('d', 0)));
  });
  it('leaves c / x (not affine in x) and a Sub/Div by a non-constant operand alone', () => {
    untouched(convDiv((b) => b.konst('d', [3, 1, 1], 0.5, 2), true));
    untouched(convDiv((b) => b.input('d', [3, 1, 1])));
    const b = builder(34);
    const conv = b.node('Conv', [b.input('x', [1, 2, 4, 4]), b.konst('w', [3, 2, 1, 1])], { kernel_shape: [1, 1] });
    untouched(b.out(b.node('Sub', [conv, b.input('y', [1, 3, 4, 4])])));
  });
});

describe('fold-batchnorm: input side of a MatMul with a constant 2-D weight', () => {
  it('BN before a 2-D MatMul -> Gemm(a, W\', sW): rows of W scaled, the shift becomes C', () => {
    const b = builder(40);
    const a = b.input('a', [3, 4]);
    const g = b.out(b.node('MatMul', [b.node('BatchNormalization', [a, ...b.bnParams(4)]), b.konst('W', [4, 5])]));
    for (const passes of [BOTH, ['fold-batchnorm']]) {
      const { after, report } = folds(g, b.feeds, passes);
      expect(opList(after)).toEqual(['Gemm']);
      expect(after.nodes[0]!.inputs[0]!.name).toBe('a');
      expect(report).toContain('1 BatchNormalization folded into MatMul (input side)');
    }
  });

  it('BN before and BN after a 2-D MatMul -> one Gemm', () => {
    const b = builder(41);
    const mm = b.node('MatMul', [b.node('BatchNormalization', [b.input('a', [3, 4]), ...b.bnParams(4)]), b.konst('W', [4, 5])]);
    const g = b.out(b.node('Relu', [b.node('BatchNormalization', [mm, ...b.bnParams(5)])]));
    const { after, report } = folds(g, b.feeds);
    expect(opList(after)).toEqual(['Gemm', 'Relu']);
    expect(report).toContain('1 BatchNormalization folded into MatMul (input side), 1 BatchNormalization folded into MatMul');
  });

  it('Mul and Sub on the last axis before a 3-D MatMul -> MatMul + Add (a pure scale leaves no Add)', () => {
    const b = builder(42);
    const pre = b.node('Sub', [b.node('Mul', [b.input('a', [2, 3, 4]), b.konst('k', [4])]), b.konst('c', [1, 1, 4])]);
    const g = b.out(b.node('MatMul', [pre, b.konst('W', [4, 5])]));
    const r = folds(g, b.feeds, ['fold-batchnorm']);
    expect(opList(r.after)).toEqual(['MatMul', 'Add']);
    expect(r.report).toContain('1 Mul folded into MatMul (input side), 1 Sub folded into MatMul (input side)');
    expect(printGraph(optimizeCopy(r.after, ['fold-batchnorm']).after)).toBe(printGraph(r.after)); // idempotent

    const b2 = builder(43);
    const g2 = b2.out(b2.node('MatMul', [b2.node('Div', [b2.input('a', [2, 3, 4]), b2.konst('d', [4], 0.5, 2)]), b2.konst('W', [4, 5])]));
    expect(opList(folds(g2, b2.feeds, ['fold-batchnorm']).after)).toEqual(['MatMul']);
  });

  it('a per-row Div ([K, 1]) before a transA=1 Gemm folds into B\'s rows', () => {
    const b = builder(44);
    const a = b.node('Div', [b.input('a', [4, 3]), b.konst('d', [4, 1], 0.5, 2)]);
    const g = b.out(b.node('Gemm', [a, b.konst('B', [4, 5]), b.konst('C', [5])], { transA: 1, alpha: 1.5 }));
    const { after, report } = folds(g, b.feeds, ['fold-batchnorm']);
    expect(opList(after)).toEqual(['Gemm']);
    expect(report).toContain('1 Div folded into Gemm (input side)');
  });

  it('leaves alone: BN before a MatMul whose weight is a graph input; BN on axis 1 of a 3-D MatMul input (not K)', () => {
    const b = builder(45);
    const g = b.out(b.node('MatMul', [b.node('BatchNormalization', [b.input('a', [3, 4]), ...b.bnParams(4)]), b.input('W', [4, 5])]));
    unchanged(g, 'not next to a Conv, ConvTranspose, Gemm or MatMul');
    const b3 = builder(46);
    const g3 = b3.out(b3.node('MatMul', [b3.node('BatchNormalization', [b3.input('a', [2, 3, 4]), ...b3.bnParams(3)]), b3.konst('W', [4, 5])]));
    unchanged(g3, 'not next to a Conv, ConvTranspose, Gemm or MatMul');
  });

  it('leaves alone: a map that broadcasts its input up (x [3, 1] - c [1, 4] before a MatMul)', () => {
    const b = builder(48);
    const g = b.out(b.node('MatMul', [b.node('Sub', [b.input('a', [3, 1]), b.konst('c', [1, 4])]), b.konst('W', [4, 5])]));
    expect(printGraph(optimizeCopy(g, ['fold-batchnorm']).after)).toBe(printGraph(g));
  });

  it('leaves alone: BN before a ConvTranspose (its shift would reach only some outputs)', () => {
    const b = builder(47);
    const bn = b.node('BatchNormalization', [b.input('x', [1, 2, 3, 3]), ...b.bnParams(2)]);
    unchanged(b.out(b.node('ConvTranspose', [bn, b.konst('w', [2, 3, 2, 2])], { strides: [2, 2] })), 'a shift before a ConvTranspose reaches only some outputs');
  });
});

describe('fold-batchnorm: a pure scale before a ConvTranspose (a*x -> ConvT  =>  ConvT(x, W[c] * a[c]))', () => {
  for (const [what, attrs, C, Mg] of [
    ['stride 2, pads, output_padding', { strides: [2, 2], pads: [1, 0, 0, 1], output_padding: [1, 1], kernel_shape: [3, 3] }, 3, 2],
    ['2 groups, dilation 2', { group: 2, dilations: [2, 2], kernel_shape: [2, 2] }, 4, 3],
  ] as const) {
    it(`Mul [C,1,1] then Div [1,C,1,1] -> ConvTranspose (${what}) -> one ConvTranspose`, () => {
      const b = builder(60 + C);
      const x = b.input('x', [2, C, 4, 4]);
      const scaled = b.node('Div', [b.node('Mul', [x, b.konst('k', [C, 1, 1], -2, 2)]), b.konst('d', [1, C, 1, 1], 0.5, 2)]);
      const g = b.out(b.node('ConvTranspose', [scaled, b.konst('w', [C, Mg, ...attrs.kernel_shape]), b.konst('b', [Mg * ('group' in attrs ? attrs.group : 1)])], attrs));
      const { after, report } = folds(g, b.feeds, ['fold-batchnorm']);
      expect(opList(after)).toEqual(['ConvTranspose']);
      expect(after.nodes[0]!.inputs.map((v) => v?.name)).toEqual(['x', 'w_folded', 'b']);
      expect(report).toContain('1 Mul folded into ConvTranspose (input side), 1 Div folded into ConvTranspose (input side)');
      expect(report).toContain('rules fired: ConvTranspose input side x1');
    });
  }
  it('leaves alone: x + c before a ConvTranspose (a shift)', () => {
    const b = builder(63);
    const shifted = b.node('Add', [b.input('x', [1, 2, 3, 3]), b.konst('c', [2, 1, 1])]);
    const g = b.out(b.node('ConvTranspose', [shifted, b.konst('w', [2, 3, 2, 2])], { strides: [2, 2] }));
    expect(printGraph(optimizeCopy(g, ['fold-batchnorm']).after)).toBe(printGraph(g));
  });
});
