// Reductions (opset 18 forms): axes is an optional int64 input. Without axes every axis is reduced, unless
// noop_with_empty_axes=1, which makes the op the identity. keepdims=1 keeps reduced axes as size 1.
// Sums accumulate in float64 (a float32 result is rounded once at the end). An empty reduction gives the
// identity of the operation: 0 for sums, NaN for the mean, -inf/+inf for max/min.
import type { Dim } from '../ir/graph.ts';
import { defineOp } from '../ir/registry.ts';
import { Tensor, stridesOf } from '../ir/tensor.ts';
import { RAISE, forEachIndex, normAxes } from './dims.ts';
import { mapUnary } from './util.ts';

/** `map` applies to each element first; with noop_with_empty_axes it is all that happens (ReduceSumSquare squares). */
interface Reducer { init: number; map?(v: number): number; step(acc: number, v: number): number; finish(acc: number, count: number): number }

const REDUCERS: Record<string, Reducer> = {
  ReduceSum: { init: 0, step: (a, v) => a + v, finish: (a) => a },
  ReduceMean: { init: 0, step: (a, v) => a + v, finish: (a, n) => a / n },
  ReduceMax: { init: -Infinity, step: (a, v) => (v > a || Number.isNaN(v) ? v : a), finish: (a) => a },
  ReduceMin: { init: Infinity, step: (a, v) => (v < a || Number.isNaN(v) ? v : a), finish: (a) => a },
  ReduceProd: { init: 1, step: (a, v) => a * v, finish: (a) => a },
  ReduceSumSquare: { init: 0, map: (v) => v * v, step: (a, v) => a + v, finish: (a) => a },
  // sqrt of the sum of squares (the identity form with noop_with_empty_axes is |x|, as the spec's expansion gives)
  ReduceL2: { init: 0, map: (v) => v * v, step: (a, v) => a + v, finish: (a) => Math.sqrt(a) },
};

/** The reduced axes, or null for the identity (empty axes with noop_with_empty_axes=1). */
function reducedAxes(fail: typeof RAISE, axes: number[] | null, rank: number, noop: boolean): number[] | null {
  if (!axes || axes.length === 0) return noop ? null : Array.from({ length: rank }, (_, i) => i);
  return normAxes(fail, axes, rank);
}

function outShape<D extends Dim>(shape: readonly D[], axes: number[], keep: boolean): (D | 1)[] {
  return keep ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

for (const [name, r] of Object.entries(REDUCERS)) {
  defineOp({
    name,
    onnxSince: 1,
    summary: `${name.slice(6).toLowerCase()} over axes (axes input; keepdims; noop_with_empty_axes)`,
    attrs: { keepdims: { type: 'int', default: 1 }, noop_with_empty_axes: { type: 'int', default: 0 } },
    inputs: [1, 2],
    outputs: [1, 1],
    inferType(ctx) {
      const [x, a] = ctx.inputs;
      if (x!.dtype === 'bool') ctx.fail('LC033', [`${name} does not take bool tensors`]);
      if (a && a.dtype !== 'int64') ctx.fail('LC033', [`${name} axes must be int64, got ${a.dtype}`]);
      const keep = ctx.attrs.keepdims === 1;
      if (!x!.shape) return [{ dtype: x!.dtype, shape: null }];
      const c = a ? ctx.constInput(1) : null;
      if (a && !c) {
        // Which axes is unknown: with keepdims the rank stays, otherwise it drops by len(axes).
        const k = a.shape?.[0];
        const rank = keep ? x!.shape.length : typeof k === 'number' && k > 0 ? x!.shape.length - k : null;
        return [{ dtype: x!.dtype, shape: rank === null ? null : Array.from({ length: rank }, () => ctx.freshDim('reduce')) }];
      }
      const axes = reducedAxes(ctx, c ? c.toNumbers() : null, x!.shape.length, ctx.attrs.noop_with_empty_axes === 1);
      return [{ dtype: x!.dtype, shape: axes ? outShape(x!.shape, axes, keep) : [...x!.shape] }];
    },
    evalRef([x, a], ctx) {
      const axes = reducedAxes(RAISE, a ? a.toNumbers() : null, x!.rank, ctx.attrs.noop_with_empty_axes === 1);
      if (!axes) return [r.map ? mapUnary(x!, (v) => r.finish(r.map!(v), 1)) : x!];
      const keepShape = outShape(x!.shape, axes, true);
      const acc = new Float64Array(keepShape.reduce((p, d) => p * d, 1)).fill(r.init);
      const ks = stridesOf(keepShape);
      forEachIndex(x!.shape, (idx, flat) => {
        let o = 0;
        for (let d = 0; d < idx.length; d++) if (!axes.includes(d)) o += idx[d] * ks[d];
        acc[o] = r.step(acc[o], r.map ? r.map(x!.data[flat]) : x!.data[flat]);
      });
      const count = axes.reduce((p, d) => p * x!.shape[d], 1);
      const out = Tensor.zeros(x!.dtype, outShape(x!.shape, axes, ctx.attrs.keepdims === 1));
      for (let i = 0; i < acc.length; i++) out.data[i] = r.finish(acc[i], count);
      return [out];
    },
  });
}
