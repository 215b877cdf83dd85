// Pad (opset 18): pads is an int64 input [x1_begin, x2_begin, ..., x1_end, x2_end, ...] over `axes` (an
// optional input; all axes by default); constant_value is an optional scalar input. Negative pads crop.
// Each output coordinate maps back to an input coordinate j = o - begin; outside [0, n) the mode decides:
// constant -> the fill value, edge -> clamp, reflect -> mirror without repeating the edge, wrap -> modulo.
import type { Dim } from '../ir/graph.ts';
import { defineOp, type InferContext } from '../ir/registry.ts';
import { Tensor, stridesOf } from '../ir/tensor.ts';
import { RAISE, forEachIndex, normAxes } from './dims.ts';

const MODES = ['constant', 'edge', 'reflect', 'wrap'];

/** Per-axis [begin, end] pads for every axis of a rank-`rank` input. */
export function fullPads(fail: Pick<InferContext, 'fail'>, pads: number[], axesIn: number[] | null, rank: number): [number[], number[]] {
  const axes = axesIn ? normAxes(fail, axesIn, rank) : Array.from({ length: rank }, (_, i) => i);
  if (pads.length !== 2 * axes.length) fail.fail('LC032', [`Pad: pads has ${pads.length} entries, expected ${2 * axes.length} (2 per padded axis)`]);
  const begin = new Array<number>(rank).fill(0);
  const end = new Array<number>(rank).fill(0);
  axes.forEach((a, i) => { begin[a] = pads[i]; end[a] = pads[i + axes.length]; });
  return [begin, end];
}

/** The input coordinate read for coordinate j (maybe outside [0, n)), or -1 for the constant fill. */
export function sourceIndex(mode: string, j: number, n: number): number {
  if (j >= 0 && j < n) return j;
  switch (mode) {
    case 'edge': return j < 0 ? 0 : n - 1;
    case 'wrap': return ((j % n) + n) % n;
    case 'reflect': {
      if (n === 1) return 0;
      const period = 2 * (n - 1);
      const m = ((j % period) + period) % period;
      return m < n ? m : period - m;
    }
    default: return -1;
  }
}

defineOp({
  name: 'Pad',
  onnxSince: 2,
  summary: 'pads (or crops) with constant, edge, reflect or wrap mode',
  attrs: { mode: { type: 'string', default: 'constant' } },
  inputs: [2, 4],
  outputs: [1, 1],
  inferType(ctx) {
    const x = ctx.inputs[0]!;
    const mode = ctx.attrs.mode as string;
    if (!MODES.includes(mode)) ctx.fail('LC030', ['mode', `Pad mode must be one of ${MODES.join(', ')}, got '${mode}'`]);
    if (ctx.inputs[1]!.dtype !== 'int64') ctx.fail('LC033', [`Pad pads must be int64, got ${ctx.inputs[1]!.dtype}`]);
    const cv = ctx.inputs[2];
    if (cv && cv.dtype !== x.dtype) ctx.fail('LC033', [`Pad constant_value has type ${cv.dtype}, input has ${x.dtype}`]);
    const pads = ctx.constInput(1)?.toNumbers();
    const axesT = ctx.inputs[3] ? ctx.constInput(3) : null;
    if (!x.shape) return [{ dtype: x.dtype, shape: null }];
    if (!pads || (ctx.inputs[3] && !axesT)) return [{ dtype: x.dtype, shape: x.shape.map(() => ctx.freshDim('pad')) }];
    const [b, e] = fullPads(ctx, pads, axesT ? axesT.toNumbers() : null, x.shape.length);
    const shape: Dim[] = x.shape.map((d, i) => {
      if (b[i] === 0 && e[i] === 0) return d;
      if (typeof d !== 'number') return ctx.freshDim('pad');
      const n = d + b[i] + e[i];
      if (n < 0) ctx.fail('LC032', [`Pad: negative pads crop axis ${i} of size ${d} below zero`]);
      if (d === 0 && mode !== 'constant' && n > 0) ctx.fail('LC032', [`Pad: mode ${mode} cannot pad the empty axis ${i}`]);
      return n;
    });
    return [{ dtype: x.dtype, shape }];
  },
  evalRef([x, p, cv, axesT], ctx) {
    const mode = ctx.attrs.mode as string;
    if (!MODES.includes(mode)) RAISE.fail('LC030', ['mode', `Pad mode must be one of ${MODES.join(', ')}, got '${mode}'`]);
    const [b, e] = fullPads(RAISE, p!.toNumbers(), axesT ? axesT.toNumbers() : null, x!.rank);
    const shape = x!.shape.map((d, i) => d + b[i] + e[i]);
    if (shape.some((d) => d < 0)) RAISE.fail('LC032', [`Pad: negative pads crop below zero (output [${shape.join(', ')}])`]);
    const fill = cv && cv.size > 0 ? cv.data[0] : 0;
    const strides = stridesOf(x!.shape);
    const out = Tensor.zeros(x!.dtype, shape);
    forEachIndex(shape, (idx, flat) => {
      let off = 0;
      for (let d = 0; d < idx.length; d++) {
        const j = sourceIndex(mode, idx[d] - b[d], x!.shape[d]);
        if (j < 0) { off = -1; break; }
        off += j * strides[d];
      }
      out.data[flat] = off < 0 ? fill : x!.data[off];
    });
    return [out];
  },
});
