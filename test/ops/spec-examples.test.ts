// Worked examples copied from the ONNX operator documentation (Operators.md): expected values come from the
// spec text, not from layerc.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/index.ts';
import { runRef } from '../helpers/single-node.ts';

const f32 = (shape: number[], v: number[]) => Tensor.fromArray('float32', shape, v);
const i64 = (v: number[], shape = [v.length]) => Tensor.fromArray('int64', shape, v);
const values = (t: Tensor) => Array.from(t.data, (v) => Math.round(v * 1e5) / 1e5);

describe('ONNX Operators.md examples', () => {
  const padData = f32([3, 2], [1.0, 1.2, 2.3, 3.4, 4.5, 5.7]);
  it('Pad examples 1-3 (constant, reflect, edge)', () => {
    const run = (mode: string) => runRef({ op: 'Pad', inputs: [padData, i64([0, 2, 0, 0]), f32([], [0])], attrs: { mode }, constInputs: [1] }).outputs[0];
    expect(values(run('constant'))).toEqual([0, 0, 1.0, 1.2, 0, 0, 2.3, 3.4, 0, 0, 4.5, 5.7]);
    expect(values(run('reflect'))).toEqual([1.0, 1.2, 1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7]);
    expect(values(run('edge'))).toEqual([1.0, 1.0, 1.0, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7]);
  });

  it('Slice examples 1 and 2', () => {
    const data = f32([2, 4], [1, 2, 3, 4, 5, 6, 7, 8]);
    const a = runRef({ op: 'Slice', inputs: [data, i64([1, 0]), i64([2, 3]), i64([0, 1]), i64([1, 2])], constInputs: [1, 2, 3, 4] }).outputs[0];
    expect(a.shape).toEqual([1, 2]);
    expect(values(a)).toEqual([5, 7]);
    const b = runRef({ op: 'Slice', inputs: [data, i64([0, 1]), i64([-1, 1000])], constInputs: [1, 2] }).outputs[0];
    expect(b.shape).toEqual([1, 3]);
    expect(values(b)).toEqual([2, 3, 4]);
  });

  it('Gather examples on axis 0 and axis 1', () => {
    const a = runRef({ op: 'Gather', inputs: [f32([3, 2], [1.0, 1.2, 2.3, 3.4, 4.5, 5.7]), i64([0, 1, 1, 2], [2, 2])], attrs: { axis: 0 } }).outputs[0];
    expect(a.shape).toEqual([2, 2, 2]);
    expect(values(a)).toEqual([1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7]);
    const b = runRef({ op: 'Gather', inputs: [f32([3, 3], [1.0, 1.2, 1.9, 2.3, 3.4, 3.9, 4.5, 5.7, 5.9]), i64([0, 2], [1, 2])], attrs: { axis: 1 } }).outputs[0];
    expect(b.shape).toEqual([3, 1, 2]);
    expect(values(b)).toEqual([1.0, 1.9, 2.3, 3.9, 4.5, 5.9]);
  });

  it('Clip example, Unsqueeze and Squeeze', () => {
    const c = runRef({ op: 'Clip', inputs: [f32([3], [-2, 0, 2]), f32([], [-1]), f32([], [1])] }).outputs[0];
    expect(values(c)).toEqual([-1, 0, 1]);
    const u = runRef({ op: 'Unsqueeze', inputs: [f32([3, 4, 5], new Array(60).fill(0)), i64([2, 4, 5])], constInputs: [1] });
    expect(u.types[0].shape).toEqual([3, 4, 1, 5, 1, 1]);
    const s = runRef({ op: 'Squeeze', inputs: [f32([1, 3, 4, 5], new Array(60).fill(0)), i64([0])], constInputs: [1] });
    expect(s.types[0].shape).toEqual([3, 4, 5]);
  });

  it('Range examples and Shape with start/end', () => {
    const r = runRef({ op: 'Range', inputs: [Tensor.scalar('int64', 3), Tensor.scalar('int64', 9), Tensor.scalar('int64', 3)] }).outputs[0];
    expect(values(r)).toEqual([3, 6]);
    const r2 = runRef({ op: 'Range', inputs: [Tensor.scalar('int64', 10), Tensor.scalar('int64', 4), Tensor.scalar('int64', -2)] }).outputs[0];
    expect(values(r2)).toEqual([10, 8, 6]);
    const s = runRef({ op: 'Shape', inputs: [f32([3, 4, 5], new Array(60).fill(0))], attrs: { start: -1 } }).outputs[0];
    expect(values(s)).toEqual([5]);
  });
});
