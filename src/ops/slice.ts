// Slice (opset 13+): starts, ends and the optional axes and steps are int64 inputs. Per the spec, negative
// starts/ends count from the end; then for step > 0 start and end are clamped to [0, n], for step < 0 to
// [0, n-1] and [-1, n-1]. That clamping is what makes exporters' `ends = INT64_MAX` mean "to the end".
import type { Dim } from '../ir/graph.ts';
import { defineOp, type InferContext } from '../ir/registry.ts';
import { Tensor, stridesOf } from '../ir/tensor.ts';
import { RAISE, forEachIndex, normAxes } from './dims.ts';

export interface AxisSlice { axis: number; start: number; step: number; count: number }

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

/** start/step/count along one axis of size n. */
export function sliceAxis(n: number, start: number, end: number, step: number): { start: number; count: number } {
  if (start < 0) start += n;
  if (end < 0) end += n;
  if (step > 0) {
    start = clamp(start, 0, n);
    end = clamp(end, 0, n);
    return { start, count: Math.max(0, Math.ceil((end - start) / step)) };
  }
  start = clamp(start, 0, n - 1);
  end = clamp(end, -1, n - 1);
  return { start, count: Math.max(0, Math.ceil((end - start) / step)) };
}

/** Validated slice parameters: one entry per sliced axis. */
export function sliceParams(ctx: Pick<InferContext, 'fail'>, rank: number, starts: number[], ends: number[],
  axesIn: number[] | null, stepsIn: number[] | null): { axes: number[]; starts: number[]; ends: number[]; steps: number[] } {
  const axes = normAxes(ctx, axesIn ?? starts.map((_, i) => i), rank);
  const steps = stepsIn ?? starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    ctx.fail('LC032', [`Slice: starts, ends, axes and steps must have equal lengths (${starts.length}, ${ends.length}, ${axes.length}, ${steps.length})`]);
  }
  if (steps.some((s) => s === 0)) ctx.fail('LC030', ['steps', 'Slice step cannot be 0']);
  return { axes, starts, ends, steps };
}

const ints = (t: Tensor | null) => (t ? t.toNumbers() : null);

defineOp({
  name: 'Slice',
  onnxSince: 1,
  summary: 'takes a strided sub-tensor (starts/ends/axes/steps inputs)',
  attrs: {},
  inputs: [3, 5],
  outputs: [1, 1],
  inferType(ctx) {
    const x = ctx.inputs[0]!;
    for (let i = 1; i < 5; i++) {
      const t = ctx.inputs[i];
      if (t && t.dtype !== 'int64' && t.dtype !== 'int32') ctx.fail('LC033', [`Slice input ${i} must be int64 or int32, got ${t.dtype}`]);
    }
    if (!x.shape) return [{ dtype: x.dtype, shape: null }];
    const [s, e, a, st] = [1, 2, 3, 4].map((i) => ctx.constInput(i));
    const known = s && e && (!ctx.inputs[3] || a) && (!ctx.inputs[4] || st);
    if (!known) {
      // Without constant parameters only the sliced axes (if constant) keep their other dims.
      const axes = a ? normAxes(ctx, a.toNumbers(), x.shape.length) : null;
      return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (axes && !axes.includes(i) ? d : ctx.freshDim('slice'))) }];
    }
    const p = sliceParams(ctx, x.shape.length, s.toNumbers(), e.toNumbers(), ints(a), ints(st));
    const shape: Dim[] = [...x.shape];
    p.axes.forEach((axis, k) => {
      const n = shape[axis];
      if (typeof n === 'number') shape[axis] = sliceAxis(n, p.starts[k], p.ends[k], p.steps[k]).count;
      // A symbolic dim survives only the full forward slice [0, >= 2^31) with step 1.
      else if (!(p.starts[k] === 0 && p.ends[k] >= 2 ** 31 - 1 && p.steps[k] === 1)) shape[axis] = ctx.freshDim('slice');
    });
    return [{ dtype: x.dtype, shape }];
  },
  evalRef([x, s, e, a, st]) {
    const p = sliceParams(RAISE, x!.rank, s!.toNumbers(), e!.toNumbers(), ints(a), ints(st));
    const start = new Array<number>(x!.rank).fill(0);
    const step = new Array<number>(x!.rank).fill(1);
    const shape = [...x!.shape];
    p.axes.forEach((axis, k) => {
      const r = sliceAxis(x!.shape[axis], p.starts[k], p.ends[k], p.steps[k]);
      start[axis] = r.start;
      step[axis] = p.steps[k];
      shape[axis] = r.count;
    });
    const strides = stridesOf(x!.shape);
    const out = Tensor.zeros(x!.dtype, shape);
    forEachIndex(shape, (idx, flat) => {
      let off = 0;
      for (let d = 0; d < idx.length; d++) off += (start[d] + idx[d] * step[d]) * strides[d];
      out.data[flat] = x!.data[off];
    });
    return [out];
  },
});
