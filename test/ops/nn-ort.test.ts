// The network ops' reference semantics against onnxruntime-node, an independent implementation: random
// shapes and attributes (fast-check, seeded), one single-node ONNX model per case, same inputs both sides.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Tensor } from '../../src/index.ts';
import type { AttrValue } from '../../src/ir/graph.ts';
import { runOrt, runRef, type NodeCase } from '../helpers/single-node.ts';
import { randomTensorOf, rng } from '../helpers/random.ts';

// Fixed seed; NN_SEED / NN_RUNS explore further locally (e.g. NN_RUNS=300).
const PARAMS = { seed: Number(process.env.NN_SEED ?? 20261123), numRuns: Number(process.env.NN_RUNS ?? 30) };

/** |ours - ort| <= atol + rtol * |ort| everywhere (float32 results; ours sums in float64). */
function expectClose(ours: Tensor, theirs: Tensor, label: string, atol = 1e-4, rtol = 1e-4): void {
  expect(ours.shape, `${label}: shape`).toEqual(theirs.shape);
  expect(ours.dtype, `${label}: dtype`).toBe(theirs.dtype);
  for (let i = 0; i < ours.size; i++) {
    const a = ours.data[i], b = theirs.data[i];
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) {
      throw new Error(`${label}: element ${i} differs: ours ${a}, onnxruntime ${b}`);
    }
  }
}

async function agree(c: NodeCase, label: string, atol?: number): Promise<void> {
  const theirs = await runOrt(c);
  const ours = runRef(c);
  theirs.forEach((t, i) => expectClose(ours.outputs[i], t, `${label} output ${i}`, atol));
  // The shape rule must predict what the reference produced.
  ours.outputs.forEach((t, i) => expect(ours.types[i].shape, `${label}: inferred shape of output ${i}`).toEqual([...t.shape]));
}

const describeCase = (op: string, shapes: number[][], attrs: Record<string, AttrValue>) =>
  `${op} ${shapes.map((s) => `[${s.join(',')}]`).join(' ')} ${JSON.stringify(attrs)}`;

// Where ONNX Runtime departs from the ONNX spec, layerc follows the spec and the generators stay clear:
//   sameDilated: ORT sizes SAME_* pads from the undilated kernel (pools) or rejects dilation with SAME (Conv);
//     the spec pads for the dilated extent so that out = ceil(in / stride).
//   transposeSameCrop: for ConvTranspose SAME_* with stride > kernel extent + output_padding the spec asks
//     for out = in * stride (a negative total padding); ORT clamps the padding at 0 and returns fewer cells.
//   poolSameStride: pools with SAME_* and stride > kernel: the needed padding is negative; layerc (like
//     TensorFlow, where SAME comes from, and ORT's own Conv) pads max(0, ...); ORT's pools reject or shift.
//   outputPadding: the spec allows output_padding < stride or dilation; ORT requires < stride.
const AUTO_PADS = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as const;

/** Per-axis window parameters for `n` spatial axes. */
const windowAxes = (n: number, maxK: number, maxS: number, maxD: number) => fc.array(fc.record({
  k: fc.integer({ min: 1, max: maxK }),
  s: fc.integer({ min: 1, max: maxS }),
  d: fc.integer({ min: 1, max: maxD }),
  pb: fc.integer({ min: 0, max: 2 }),
  pe: fc.integer({ min: 0, max: 2 }),
  size: fc.integer({ min: 1, max: n === 3 ? 4 : 7 }),
}), { minLength: n, maxLength: n });

const spatialRank = fc.constantFrom(1, 2, 2, 3);

describe('Conv and ConvTranspose vs onnxruntime-node', () => {
  it('Conv: groups, strides, dilations, pads, auto_pad, bias, 1-D to 3-D', async () => {
    const arb = spatialRank.chain((n) => fc.tuple(windowAxes(n, 3, 3, 2), fc.record({
      N: fc.integer({ min: 1, max: 2 }), group: fc.integer({ min: 1, max: 3 }),
      cg: fc.integer({ min: 1, max: 3 }), mg: fc.integer({ min: 1, max: 3 }),
      autoPad: fc.constantFrom(...AUTO_PADS), bias: fc.boolean(), seed: fc.integer(),
    })));
    await fc.assert(fc.asyncProperty(arb, async ([axes0, p]) => {
      const r = rng(p.seed);
      const axes = axes0.map((a) => (p.autoPad.startsWith('SAME') ? { ...a, d: 1 } : a)); // ORT_DEVIATIONS.sameDilated
      // Every axis must fit one window into the padded input.
      const sizes = axes.map((a) => Math.max(a.size, (a.k - 1) * a.d + 1));
      const C = p.cg * p.group, M = p.mg * p.group;
      const attrs: Record<string, AttrValue> = {
        kernel_shape: axes.map((a) => a.k), strides: axes.map((a) => a.s), dilations: axes.map((a) => a.d), group: p.group,
      };
      if (p.autoPad === 'NOTSET') attrs.pads = [...axes.map((a) => a.pb), ...axes.map((a) => a.pe)];
      else attrs.auto_pad = p.autoPad;
      const x = randomTensorOf('float32', [p.N, C, ...sizes], r, 2);
      const w = randomTensorOf('float32', [M, p.cg, ...axes.map((a) => a.k)], r, 1);
      const b = p.bias ? randomTensorOf('float32', [M], r, 1) : null;
      await agree({ op: 'Conv', inputs: b ? [x, w, b] : [x, w], attrs }, describeCase('Conv', [x.shape as number[], w.shape as number[]], attrs));
    }), PARAMS);
  });

  it('ConvTranspose: groups, strides, dilations, pads, output_padding, output_shape, auto_pad', async () => {
    const arb = spatialRank.chain((n) => fc.tuple(windowAxes(n, 3, 3, 2), fc.record({
      N: fc.integer({ min: 1, max: 2 }), group: fc.integer({ min: 1, max: 3 }),
      cg: fc.integer({ min: 1, max: 3 }), mg: fc.integer({ min: 1, max: 3 }),
      mode: fc.constantFrom('pads', 'output_shape', 'SAME_UPPER', 'SAME_LOWER', 'VALID'),
      outPad: fc.boolean(), bias: fc.boolean(), seed: fc.integer(),
    })));
    await fc.assert(fc.asyncProperty(arb, async ([axes0, p]) => {
      const r = rng(p.seed);
      const same = p.mode.startsWith('SAME');
      const axes = axes0.map((a) => (same ? { ...a, s: Math.min(a.s, (a.k - 1) * a.d + 1) } : a)); // ORT_DEVIATIONS.transposeSameCrop
      const C = p.cg * p.group, M = p.mg * p.group;
      const attrs: Record<string, AttrValue> = {
        kernel_shape: axes.map((a) => a.k), strides: axes.map((a) => a.s), dilations: axes.map((a) => a.d), group: p.group,
      };
      // output_padding below the stride (ORT_DEVIATIONS.outputPadding).
      const op = axes.map((a) => (p.outPad ? a.s - 1 : 0));
      if (p.outPad) attrs.output_padding = op;
      const full = axes.map((a, i) => a.s * (a.size - 1) + op[i] + (a.k - 1) * a.d + 1);
      if (p.mode === 'pads') {
        // Keep at least one output cell per axis.
        const pb = axes.map((a, i) => Math.min(a.pb, Math.floor((full[i] - 1) / 2)));
        const pe = axes.map((a, i) => Math.min(a.pe, Math.floor((full[i] - 1) / 2)));
        attrs.pads = [...pb, ...pe];
      } else if (p.mode === 'output_shape') {
        attrs.output_shape = axes.map((a, i) => Math.max(1, full[i] - a.pb - a.pe));
      } else attrs.auto_pad = p.mode;
      const x = randomTensorOf('float32', [p.N, C, ...axes.map((a) => a.size)], r, 2);
      const w = randomTensorOf('float32', [C, p.mg, ...axes.map((a) => a.k)], r, 1);
      const b = p.bias ? randomTensorOf('float32', [M], r, 1) : null;
      await agree({ op: 'ConvTranspose', inputs: b ? [x, w, b] : [x, w], attrs }, describeCase('ConvTranspose', [x.shape as number[], w.shape as number[]], attrs));
    }), PARAMS);
  });
});

describe('pools vs onnxruntime-node', () => {
  /** Pool attributes; ONNX Runtime requires every pad to be smaller than the kernel. */
  const poolCase = (n: number) => fc.tuple(windowAxes(n, 3, 3, 2), fc.record({
    N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }),
    autoPad: fc.constantFrom(...AUTO_PADS), ceil: fc.boolean(), seed: fc.integer(),
  }));
  function poolAttrs(axes0: { k: number; s: number; d: number; pb: number; pe: number }[], autoPad: string, ceil: boolean): Record<string, AttrValue> {
    // ORT_DEVIATIONS.sameDilated, .poolSameStride
    const axes = axes0.map((a) => (autoPad.startsWith('SAME') ? { ...a, d: 1, s: Math.min(a.s, a.k) } : a));
    const attrs: Record<string, AttrValue> = { kernel_shape: axes.map((a) => a.k), strides: axes.map((a) => a.s), dilations: axes.map((a) => a.d) };
    if (autoPad === 'NOTSET') {
      attrs.pads = [...axes.map((a) => Math.min(a.pb, a.k - 1)), ...axes.map((a) => Math.min(a.pe, a.k - 1))];
      if (ceil) attrs.ceil_mode = 1;
    } else attrs.auto_pad = autoPad;
    return attrs;
  }

  it('MaxPool with Indices (storage_order 0 and 1), ceil_mode, dilations, pads, auto_pad', async () => {
    const arb = spatialRank.chain((n) => fc.tuple(poolCase(n), fc.boolean(), fc.boolean()));
    await fc.assert(fc.asyncProperty(arb, async ([[axes, p], withIndices, colMajor]) => {
      const attrs = poolAttrs(axes, p.autoPad, p.ceil);
      if (withIndices && colMajor) attrs.storage_order = 1;
      const sizes = axes.map((a, i) => Math.max(a.size, (a.k - 1) * (attrs.dilations as number[])[i] + 1));
      const x = randomTensorOf('float32', [p.N, p.C, ...sizes], rng(p.seed), 3);
      await agree({ op: 'MaxPool', inputs: [x], attrs, numOutputs: withIndices ? 2 : 1 }, describeCase('MaxPool', [x.shape as number[]], attrs));
    }), PARAMS);
  });

  it('AveragePool with count_include_pad, ceil_mode, dilations (opset 19), pads, auto_pad', async () => {
    const arb = spatialRank.chain((n) => fc.tuple(poolCase(n), fc.boolean()));
    await fc.assert(fc.asyncProperty(arb, async ([[axes, p], includePad]) => {
      const attrs = poolAttrs(axes, p.autoPad, p.ceil);
      if (includePad) attrs.count_include_pad = 1;
      const sizes = axes.map((a, i) => Math.max(a.size, (a.k - 1) * (attrs.dilations as number[])[i] + 1));
      const x = randomTensorOf('float32', [p.N, p.C, ...sizes], rng(p.seed), 3);
      await agree({ op: 'AveragePool', inputs: [x], attrs, opset: 19 }, describeCase('AveragePool', [x.shape as number[]], attrs));
    }), PARAMS);
  });

  it('GlobalAveragePool and GlobalMaxPool', async () => {
    const arb = fc.tuple(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 3, maxLength: 5 }), fc.constantFrom('GlobalAveragePool', 'GlobalMaxPool'), fc.integer());
    await fc.assert(fc.asyncProperty(arb, async ([shape, op, seed]) => {
      await agree({ op, inputs: [randomTensorOf('float32', shape, rng(seed))] }, `${op} [${shape}]`);
    }), { ...PARAMS, numRuns: 15 });
  });
});

describe('Gemm, MatMul, BatchNormalization, Softmax vs onnxruntime-node', () => {
  it('Gemm: transA, transB, alpha, beta, every C broadcast form', async () => {
    const arb = fc.record({
      M: fc.integer({ min: 1, max: 6 }), K: fc.integer({ min: 1, max: 6 }), N: fc.integer({ min: 1, max: 6 }),
      transA: fc.integer({ min: 0, max: 1 }), transB: fc.integer({ min: 0, max: 1 }),
      alpha: fc.constantFrom(1, 0.5, -2), beta: fc.constantFrom(1, 0.25, 0),
      c: fc.constantFrom('none', 'scalar', 'one', 'row', 'col', 'vec', 'full'), seed: fc.integer(),
    });
    await fc.assert(fc.asyncProperty(arb, async (p) => {
      const r = rng(p.seed);
      const a = randomTensorOf('float32', p.transA ? [p.K, p.M] : [p.M, p.K], r);
      const b = randomTensorOf('float32', p.transB ? [p.N, p.K] : [p.K, p.N], r);
      const cShape = { none: null, scalar: [], one: [1], row: [1, p.N], col: [p.M, 1], vec: [p.N], full: [p.M, p.N] }[p.c];
      const c = cShape ? randomTensorOf('float32', cShape, r) : null;
      const attrs = { transA: p.transA, transB: p.transB, alpha: p.alpha, beta: p.beta };
      await agree({ op: 'Gemm', inputs: c ? [a, b, c] : [a, b], attrs }, describeCase('Gemm', [a.shape as number[], b.shape as number[], cShape ?? []], attrs));
    }), PARAMS);
  });

  it('MatMul: 1-D operands, batches, broadcast batch dims', async () => {
    // Batch dims drawn per axis as (shared size, which side is 1), so the pair always broadcasts.
    const arb = fc.record({
      M: fc.integer({ min: 1, max: 5 }), K: fc.integer({ min: 1, max: 5 }), N: fc.integer({ min: 1, max: 5 }),
      aVec: fc.boolean(), bVec: fc.boolean(),
      batch: fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.constantFrom('both', 'a1', 'b1')), { maxLength: 3 }),
      aDrop: fc.integer({ min: 0, max: 3 }), bDrop: fc.integer({ min: 0, max: 3 }), seed: fc.integer(),
    });
    await fc.assert(fc.asyncProperty(arb, async (p) => {
      const r = rng(p.seed);
      const aBatch = p.batch.map(([d, w]) => (w === 'a1' ? 1 : d)).slice(Math.min(p.aDrop, p.batch.length));
      const bBatch = p.batch.map(([d, w]) => (w === 'b1' ? 1 : d)).slice(Math.min(p.bDrop, p.batch.length));
      const aShape = p.aVec ? [p.K] : [...aBatch, p.M, p.K];
      const bShape = p.bVec ? [p.K] : [...bBatch, p.K, p.N];
      const a = randomTensorOf('float32', aShape, r), b = randomTensorOf('float32', bShape, r);
      await agree({ op: 'MatMul', inputs: [a, b] }, describeCase('MatMul', [aShape, bShape], {}));
    }), PARAMS);
  });

  it('BatchNormalization: inference and training_mode=1 with running statistics', async () => {
    const arb = fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 4 }),
      training: fc.boolean(),
      epsilon: fc.constantFrom(1e-5, 1e-2), momentum: fc.constantFrom(0.9, 0.5, 0.1), seed: fc.integer(),
    });
    await fc.assert(fc.asyncProperty(arb, async (p) => {
      const r = rng(p.seed);
      const C = p.shape[1];
      const x = randomTensorOf('float32', p.shape, r, 3);
      const scale = randomTensorOf('float32', [C], r, 2), bias = randomTensorOf('float32', [C], r, 2);
      const mean = randomTensorOf('float32', [C], r, 1);
      const variance = randomTensorOf('float32', [C], r, 1);
      for (let i = 0; i < C; i++) variance.data[i] = Math.abs(variance.data[i]) + 0.1;
      const attrs = { epsilon: p.epsilon, momentum: p.momentum, training_mode: p.training ? 1 : 0 };
      const numOutputs = p.training ? 3 : 1; // ONNX's checker (in ORT) insists on all 3 in training mode
      await agree({ op: 'BatchNormalization', inputs: [x, scale, bias, mean, variance], attrs, numOutputs, opset: 15 },
        describeCase('BatchNormalization', [p.shape], { ...attrs, numOutputs }), 1e-3);
    }), PARAMS);
  });

  it('Softmax, LogSoftmax and Hardmax along every axis', async () => {
    const arb = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }).chain((shape) => fc.tuple(
      fc.constant(shape), fc.integer({ min: -shape.length, max: shape.length - 1 }),
      fc.constantFrom('Softmax', 'LogSoftmax', 'Hardmax'), fc.integer()));
    await fc.assert(fc.asyncProperty(arb, async ([shape, axis, op, seed]) => {
      // Scale 40 makes exp overflow without the max subtraction.
      const x = randomTensorOf('float32', shape, rng(seed), 40);
      await agree({ op, inputs: [x], attrs: { axis } }, describeCase(op, [shape], { axis }));
    }), PARAMS);
  });
});
