// Worked examples for the network ops, copied from the ONNX operator documentation (Operators.md and the
// backend test cases it lists) or checked by hand (noted where so): expected values never come from layerc.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/index.ts';
import { runRef } from '../helpers/single-node.ts';

const f32 = (shape: number[], v: number[]) => Tensor.fromArray('float32', shape, v);
const iota = (shape: number[], from = 0) => f32(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i + from));
const ones = (shape: number[]) => f32(shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(1));
const values = (t: Tensor, digits = 5) => Array.from(t.data, (v) => Math.round(v * 10 ** digits) / 10 ** digits);
const flat = (rows: number[][]) => rows.flat();

describe('Conv examples (Operators.md)', () => {
  const x5 = iota([1, 1, 5, 5]), x75 = iota([1, 1, 7, 5]), w = ones([1, 1, 3, 3]);
  const conv = (x: Tensor, attrs: Record<string, number[] | string | number>) => runRef({ op: 'Conv', inputs: [x, w], attrs }).outputs[0];

  it('basic conv with and without padding', () => {
    const padded = conv(x5, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    expect(padded.shape).toEqual([1, 1, 5, 5]);
    expect(values(padded)).toEqual(flat([[12, 21, 27, 33, 24], [33, 54, 63, 72, 51], [63, 99, 108, 117, 81], [93, 144, 153, 162, 111], [72, 111, 117, 123, 84]]));
    expect(values(conv(x5, { kernel_shape: [3, 3], pads: [0, 0, 0, 0] }))).toEqual(flat([[54, 63, 72], [99, 108, 117], [144, 153, 162]]));
  });

  it('conv with strides: padding, no padding, asymmetric padding', () => {
    const a = conv(x75, { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] });
    expect(a.shape).toEqual([1, 1, 4, 3]);
    expect(values(a)).toEqual(flat([[12, 27, 24], [63, 108, 81], [123, 198, 141], [112, 177, 124]]));
    expect(values(conv(x75, { kernel_shape: [3, 3], pads: [0, 0, 0, 0], strides: [2, 2] }))).toEqual(flat([[54, 72], [144, 162], [234, 252]]));
    const c = conv(x75, { kernel_shape: [3, 3], pads: [1, 0, 1, 0], strides: [2, 2] });
    expect(c.shape).toEqual([1, 1, 4, 2]);
    expect(values(c)).toEqual(flat([[21, 33], [99, 117], [189, 207], [171, 183]]));
  });

  it('conv with auto_pad SAME_LOWER and strides', () => {
    expect(values(conv(x5, { auto_pad: 'SAME_LOWER', kernel_shape: [3, 3], strides: [2, 2] }))).toEqual(flat([[12, 27, 24], [63, 108, 81], [72, 117, 84]]));
  });
});

describe('ConvTranspose examples (Operators.md)', () => {
  const x = iota([1, 1, 3, 3]), w = ones([1, 2, 3, 3]);
  const twice = (rows: number[][]) => [...flat(rows), ...flat(rows)];

  it('default attributes, 1-D, and pads with strides', () => {
    const y = runRef({ op: 'ConvTranspose', inputs: [x, w] }).outputs[0];
    expect(y.shape).toEqual([1, 2, 5, 5]);
    expect(values(y)).toEqual(twice([[0, 1, 3, 3, 2], [3, 8, 15, 12, 7], [9, 21, 36, 27, 15], [9, 20, 33, 24, 13], [6, 13, 21, 15, 8]]));
    const y1 = runRef({ op: 'ConvTranspose', inputs: [iota([1, 1, 3]), ones([1, 2, 3])] }).outputs[0];
    expect(values(y1)).toEqual([0, 1, 3, 3, 2, 0, 1, 3, 3, 2]);
    const yp = runRef({ op: 'ConvTranspose', inputs: [x, w], attrs: { strides: [3, 2], pads: [1, 2, 1, 2] } }).outputs[0];
    expect(yp.shape).toEqual([1, 2, 7, 3]);
    expect(values(yp)).toEqual(twice([[1, 1, 3], [1, 1, 3], [7, 4, 9], [7, 4, 9], [7, 4, 9], [13, 7, 15], [13, 7, 15]]));
  });

  it('output_shape and output_padding give the same [10, 8] result', () => {
    const a = runRef({ op: 'ConvTranspose', inputs: [x, w], attrs: { strides: [3, 2], output_shape: [10, 8] } }).outputs[0];
    const b = runRef({ op: 'ConvTranspose', inputs: [x, w], attrs: { strides: [3, 2], output_padding: [1, 1] } }).outputs[0];
    expect(a.shape).toEqual([1, 2, 10, 8]);
    const rows = [[0, 0, 1, 1, 3, 2, 2, 0], [0, 0, 1, 1, 3, 2, 2, 0], [0, 0, 1, 1, 3, 2, 2, 0], [3, 3, 7, 4, 9, 5, 5, 0], [3, 3, 7, 4, 9, 5, 5, 0],
      [3, 3, 7, 4, 9, 5, 5, 0], [6, 6, 13, 7, 15, 8, 8, 0], [6, 6, 13, 7, 15, 8, 8, 0], [6, 6, 13, 7, 15, 8, 8, 0], [0, 0, 0, 0, 0, 0, 0, 0]];
    expect(values(a)).toEqual(twice(rows));
    expect(values(b)).toEqual(twice(rows));
  });

  it('dilations', () => {
    const y = runRef({ op: 'ConvTranspose', inputs: [f32([1, 1, 3, 3], [3, 8, 1, 9, 5, 7, 3, 2, 6]), f32([1, 1, 2, 2], [7, 2, 1, 9])], attrs: { dilations: [2, 2] } }).outputs[0];
    expect(values(y)).toEqual(flat([[21, 56, 13, 16, 2], [63, 35, 67, 10, 14], [24, 22, 76, 76, 21], [9, 5, 88, 45, 63], [3, 2, 33, 18, 54]]));
  });
});

describe('pool examples (Operators.md)', () => {
  const x25 = iota([1, 1, 5, 5], 1), x16 = iota([1, 1, 4, 4], 1);
  const pool = (op: string, x: Tensor, attrs: Record<string, number[] | string | number>, numOutputs = 1) => runRef({ op, inputs: [x], attrs, numOutputs }).outputs;

  it('MaxPool with pads, with Indices', () => {
    const [y, z] = pool('MaxPool', x25, { kernel_shape: [5, 5], pads: [2, 2, 2, 2] }, 2);
    expect(values(y)).toEqual(flat([[13, 14, 15, 15, 15], [18, 19, 20, 20, 20], [23, 24, 25, 25, 25], [23, 24, 25, 25, 25], [23, 24, 25, 25, 25]]));
    expect(z.dtype).toBe('int64');
    expect(values(z)).toEqual(flat([[12, 13, 14, 14, 14], [17, 18, 19, 19, 19], [22, 23, 24, 24, 24], [22, 23, 24, 24, 24], [22, 23, 24, 24, 24]]));
  });

  it('MaxPool strides (Indices column-major with storage_order=1), SAME_UPPER, ceil_mode, dilations', () => {
    const [y, z] = pool('MaxPool', x25, { kernel_shape: [2, 2], strides: [2, 2], storage_order: 1 }, 2);
    expect(values(y)).toEqual([7, 9, 17, 19]);
    expect(values(z)).toEqual([6, 16, 8, 18]);
    expect(values(pool('MaxPool', x25, { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' })[0])).toEqual(flat([[7, 9, 10], [17, 19, 20], [22, 24, 25]]));
    expect(values(pool('MaxPool', x16, { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 })[0])).toEqual([11, 12, 15, 16]);
    expect(values(pool('MaxPool', x16, { kernel_shape: [2, 2], strides: [1, 1], dilations: [2, 2] })[0])).toEqual([11, 12, 15, 16]);
  });

  it('AveragePool with pads, with count_include_pad, ceil_mode, SAME_UPPER, strides', () => {
    const p = { kernel_shape: [5, 5], pads: [2, 2, 2, 2] };
    expect(values(pool('AveragePool', x25, p)[0])).toEqual(flat([[7, 7.5, 8, 8.5, 9], [9.5, 10, 10.5, 11, 11.5], [12, 12.5, 13, 13.5, 14], [14.5, 15, 15.5, 16, 16.5], [17, 17.5, 18, 18.5, 19]]));
    expect(values(pool('AveragePool', x25, { ...p, count_include_pad: 1 })[0])).toEqual(
      flat([[2.52, 3.6, 4.8, 4.08, 3.24], [4.56, 6.4, 8.4, 7.04, 5.52], [7.2, 10, 13, 10.8, 8.4], [6.96, 9.6, 12.4, 10.24, 7.92], [6.12, 8.4, 10.8, 8.88, 6.84]]));
    expect(values(pool('AveragePool', x16, { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 })[0])).toEqual([6, 7.5, 12, 13.5]);
    expect(values(pool('AveragePool', x25, { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' })[0])).toEqual(flat([[4, 5.5, 7], [11.5, 13, 14.5], [19, 20.5, 22]]));
    expect(values(pool('AveragePool', x25, { kernel_shape: [2, 2], strides: [2, 2] })[0])).toEqual([4, 6, 14, 16]);
  });

  it('GlobalAveragePool and GlobalMaxPool (checked by hand)', () => {
    const x = iota([1, 2, 3, 3], 1);
    expect(values(runRef({ op: 'GlobalAveragePool', inputs: [x] }).outputs[0])).toEqual([5, 14]);
    const g = runRef({ op: 'GlobalMaxPool', inputs: [x] }).outputs[0];
    expect(g.shape).toEqual([1, 2, 1, 1]);
    expect(values(g)).toEqual([9, 18]);
  });
});

describe('BatchNormalization, Gemm, MatMul, softmax examples', () => {
  it('BatchNormalization example inputs (expected values worked out by hand)', () => {
    const x = f32([1, 2, 1, 3], [-1, 0, 1, 2, 3, 4]);
    const y = runRef({ op: 'BatchNormalization', inputs: [x, f32([2], [1, 1.5]), f32([2], [0, 1]), f32([2], [0, 3]), f32([2], [1, 1.5])] }).outputs[0];
    // channel 0: x / sqrt(1 + 1e-5); channel 1: 1.5 (x - 3) / sqrt(1.5 + 1e-5) + 1
    const s0 = 1 / Math.sqrt(1 + 1e-5), s1 = 1.5 / Math.sqrt(1.5 + 1e-5);
    expect(values(y)).toEqual(values(f32([6], [-s0, 0, s0, 1 - s1, 1, 1 + s1])));
  });

  it('Gemm and MatMul on small matrices (checked by hand)', () => {
    const a = f32([2, 2], [1, 2, 3, 4]), b = f32([2, 2], [5, 6, 7, 8]);
    expect(values(runRef({ op: 'MatMul', inputs: [a, b] }).outputs[0])).toEqual([19, 22, 43, 50]);
    const g = runRef({ op: 'Gemm', inputs: [a, b, f32([2], [1, -1])], attrs: { transA: 1, alpha: 2, beta: 10 } }).outputs[0];
    // A^T B = [[26, 30], [38, 44]]
    expect(values(g)).toEqual([62, 50, 86, 78]);
    const dot = runRef({ op: 'MatMul', inputs: [f32([2], [1, 2]), f32([2], [3, 4])] });
    expect(dot.types[0].shape).toEqual([]);
    expect(values(dot.outputs[0])).toEqual([11]);
    const mv = runRef({ op: 'MatMul', inputs: [a, f32([2], [1, 1])] }).outputs[0];
    expect(mv.shape).toEqual([2]);
    expect(values(mv)).toEqual([3, 7]);
  });

  it('Softmax, LogSoftmax and Hardmax examples', () => {
    const x = f32([1, 3], [-1, 0, 1]);
    expect(values(runRef({ op: 'Softmax', inputs: [x] }).outputs[0])).toEqual([0.09003, 0.24473, 0.66524]);
    expect(values(runRef({ op: 'LogSoftmax', inputs: [x] }).outputs[0])).toEqual([-2.40761, -1.40761, -0.40761]);
    const h = runRef({ op: 'Hardmax', inputs: [f32([4, 4], [3, 0, 1, 2, 2, 5, 1, 0, 0, 1, 3, 2, 0, 1, 2, 3])] }).outputs[0];
    expect(values(h)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    expect(values(runRef({ op: 'Hardmax', inputs: [f32([1, 1, 4], [1, 1, 1, 1])] }).outputs[0])).toEqual([1, 0, 0, 0]);
    // softmax_large_number: exp would overflow without subtracting the max.
    const big = runRef({ op: 'Softmax', inputs: [f32([1, 4], [10000, 10001, 10002, 10003])] }).outputs[0];
    expect(values(big)).toEqual([0.03206, 0.08714, 0.23688, 0.64391]);
  });
});
