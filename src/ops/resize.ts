// Resize (opset 19 form; older forms are upgraded on import) and Upsample (opset 9). Resizing is separable:
// each output coordinate x on an axis maps back to an input coordinate x_original (the
// coordinate_transformation_mode), and the output is a weighted sum of the n input elements nearest to it
// (the mode: nearest n=2 with 0/1 weights, linear n=2, cubic n=4, wider with antialias when downsampling).
// Following the ONNX reference (onnx/reference/ops/op_resize.py) exactly: neighbours come from the input
// padded with its edge values, weights are renormalized when exclude_outside drops the outside ones, and
// tf_crop_and_resize returns extrapolation_value for coordinates outside the input. Axes are resized one at a
// time from the last to the first, which is what the reference's recursion computes.
import type { Dim } from '../ir/graph.ts';
import { defineOp, type InferContext } from '../ir/registry.ts';
import { Tensor, stridesOf } from '../ir/tensor.ts';
import { isFloat } from '../ir/dtype.ts';
import { RAISE, normAxes } from './dims.ts';

export interface ResizeAttrs {
  mode: string;
  coordinate_transformation_mode: string;
  nearest_mode: string;
  cubic_coeff_a: number;
  exclude_outside: number;
  extrapolation_value: number;
  antialias: number;
  keep_aspect_ratio_policy: string;
  axes?: number[];
}

const COORD_MODES = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn', 'tf_crop_and_resize'];
const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

/** x_resized -> x_original on one axis (the spec's formulas). */
export function originalCoordinate(mode: string, x: number, scale: number, lenIn: number, lenOut: number, roiStart: number, roiEnd: number): number {
  switch (mode) {
    case 'half_pixel': return (x + 0.5) / scale - 0.5;
    case 'half_pixel_symmetric': {
      const adjustment = lenOut / (scale * lenIn);
      const center = lenIn / 2;
      return center * (1 - adjustment) + (x + 0.5) / scale - 0.5;
    }
    case 'pytorch_half_pixel': return lenOut > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case 'align_corners': return lenOut === 1 ? 0 : (x * (lenIn - 1)) / (lenOut - 1);
    case 'asymmetric': return x / scale;
    case 'tf_half_pixel_for_nn': return (x + 0.5) / scale;
    case 'tf_crop_and_resize':
      return lenOut > 1
        ? roiStart * (lenIn - 1) + (x * (roiEnd - roiStart) * (lenIn - 1)) / (lenOut - 1)
        : 0.5 * (roiStart + roiEnd) * (lenIn - 1);
    default: return RAISE.fail('LC030', ['coordinate_transformation_mode', `unknown mode "${mode}"`]);
  }
}

function cubic(d: number, A: number): number {
  const t = Math.abs(d);
  if (t <= 1) return ((A + 2) * t - (A + 3)) * t * t + 1;
  if (t < 2) return ((A * t - 5 * A) * t + 8 * A) * t - 4 * A;
  return 0;
}

/** Weights of the n nearest neighbours x0-n/2+1 .. x0+n/2 for fraction `ratio` = x - x0 in (0, 1]. */
function coefficients(a: ResizeAttrs, ratio: number, scale: number): number[] {
  const aa = a.antialias === 1 && scale < 1;
  switch (a.mode) {
    case 'nearest': {
      if (ratio === 1) return [0, 1];
      const up = a.nearest_mode === 'round_prefer_floor' ? ratio > 0.5
        : a.nearest_mode === 'round_prefer_ceil' ? ratio >= 0.5
        : a.nearest_mode === 'ceil';
      return up ? [0, 1] : [1, 0];
    }
    case 'linear': {
      if (!aa) return [1 - ratio, ratio];
      const start = Math.floor(-1 / scale) + 1, n = 2 - 2 * start;
      const c = Array.from({ length: n }, (_, k) => Math.max(0, 1 - Math.abs((start + k - ratio) * scale)));
      const s = c.reduce((p, v) => p + v, 0);
      return c.map((v) => v / s);
    }
    case 'cubic': {
      if (!aa) return [cubic(ratio + 1, a.cubic_coeff_a), cubic(ratio, a.cubic_coeff_a), cubic(1 - ratio, a.cubic_coeff_a), cubic(2 - ratio, a.cubic_coeff_a)];
      const start = Math.floor(-2 / scale) + 1, n = 2 - 2 * start;
      const c = Array.from({ length: n }, (_, k) => cubic((start + k - ratio) * scale, a.cubic_coeff_a));
      const s = c.reduce((p, v) => p + v, 0);
      return c.map((v) => v / s);
    }
    default: return RAISE.fail('LC030', ['mode', `unknown mode "${a.mode}" (nearest, linear or cubic)`]);
  }
}

/** Per output index: input indices and weights (null = extrapolation_value). */
export interface AxisTaps { index: number[][]; weight: number[][]; outside: boolean[] }

export function axisTaps(a: ResizeAttrs, lenIn: number, lenOut: number, scale: number, roiStart: number, roiEnd: number): AxisTaps {
  const taps: AxisTaps = { index: [], weight: [], outside: [] };
  for (let x = 0; x < lenOut; x++) {
    const xo = originalCoordinate(a.coordinate_transformation_mode, x, scale, lenIn, lenOut, roiStart, roiEnd);
    if (a.coordinate_transformation_mode === 'tf_crop_and_resize' && (xo < 0 || xo > lenIn - 1)) {
      taps.index.push([]); taps.weight.push([]); taps.outside.push(true);
      continue;
    }
    let x0 = Math.floor(xo), ratio = xo - x0;
    if (ratio === 0) { x0 -= 1; ratio = 1; }
    const c = coefficients(a, ratio, scale);
    const n = c.length;
    const raw = c.map((_, k) => x0 - n / 2 + 1 + k);
    if (a.exclude_outside) {
      const kept = c.map((w, k) => (raw[k] >= 0 && raw[k] < lenIn ? w : 0));
      const s = kept.reduce((p, v) => p + v, 0);
      for (let k = 0; k < n; k++) c[k] = s === 0 ? 0 : kept[k] / s;
    }
    taps.index.push(raw.map((i) => Math.min(Math.max(i, 0), lenIn - 1)));
    taps.weight.push(c);
    taps.outside.push(false);
  }
  return taps;
}

/** Resizes one axis of x to lenOut. */
function resizeAxis(x: Tensor, axis: number, lenOut: number, taps: AxisTaps, extrapolation: number): Tensor {
  const shape = [...x.shape];
  shape[axis] = lenOut;
  const out = Tensor.zeros(x.dtype, shape);
  const inner = stridesOf(x.shape)[axis], lenIn = x.shape[axis];
  const outer = x.size / Math.max(1, lenIn * inner);
  const acc = isFloat(x.dtype) ? (v: number) => v : Math.round;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < lenOut; j++) {
      const base = (o * lenOut + j) * inner;
      if (taps.outside[j]) { out.data.fill(extrapolation, base, base + inner); continue; }
      const idx = taps.index[j], w = taps.weight[j];
      for (let i = 0; i < inner; i++) {
        let s = 0;
        for (let k = 0; k < idx.length; k++) if (w[k] !== 0) s += w[k] * x.data[(o * lenIn + idx[k]) * inner + i];
        out.data[base + i] = acc(s);
      }
    }
  }
  return out;
}

/** The per-axis scales and output sizes (full rank) from scales or sizes, per `axes` and keep_aspect_ratio_policy. */
export function resolveResize(fail: typeof RAISE, shape: readonly number[], a: ResizeAttrs, scalesIn: number[] | null, sizesIn: number[] | null): { scales: number[]; sizes: number[] } {
  const r = shape.length;
  const axes = a.axes ? normAxes(fail, a.axes, r, 'axes') : Array.from({ length: r }, (_, i) => i);
  const scales = new Array<number>(r).fill(1), sizes = [...shape];
  if (scalesIn && scalesIn.length > 0) {
    if (sizesIn && sizesIn.length > 0) fail.fail('LC031', ['Resize takes scales or sizes, not both']);
    if (scalesIn.length !== axes.length) fail.fail('LC032', [`Resize: ${scalesIn.length} scales for ${axes.length} axes of an input of rank ${r}`]);
    axes.forEach((ax, i) => {
      if (!(scalesIn[i] > 0)) fail.fail('LC030', ['scales', `must be positive, got ${scalesIn[i]}`]);
      scales[ax] = scalesIn[i];
      sizes[ax] = Math.floor(shape[ax] * scalesIn[i]);
    });
  } else if (sizesIn && sizesIn.length > 0) {
    if (sizesIn.length !== axes.length) fail.fail('LC032', [`Resize: ${sizesIn.length} sizes for ${axes.length} axes of an input of rank ${r}`]);
    const policy = a.keep_aspect_ratio_policy;
    if (policy === 'stretch') {
      axes.forEach((ax, i) => { sizes[ax] = sizesIn[i]; scales[ax] = sizesIn[i] / shape[ax]; });
    } else {
      const ratios = axes.map((ax, i) => sizesIn[i] / shape[ax]);
      const s = policy === 'not_larger' ? Math.min(...ratios) : policy === 'not_smaller' ? Math.max(...ratios)
        : fail.fail('LC030', ['keep_aspect_ratio_policy', `unknown policy "${policy}"`]);
      // round half away from zero, like the reference's np.round on these positive sizes (ties rare)
      for (const ax of axes) { scales[ax] = s; sizes[ax] = Math.round(s * shape[ax]); }
    }
  } else {
    fail.fail('LC031', ['Resize needs either scales or sizes']);
  }
  return { scales, sizes };
}

export function resizeRef(x: Tensor, roi: number[] | null, a: ResizeAttrs, scales: number[], sizes: number[]): Tensor {
  const r = x.rank;
  const axes = a.axes ? normAxes(RAISE, a.axes, r, 'axes') : Array.from({ length: r }, (_, i) => i);
  const roiStart = new Array<number>(r).fill(0), roiEnd = new Array<number>(r).fill(1);
  if (roi && roi.length > 0 && a.coordinate_transformation_mode === 'tf_crop_and_resize') {
    const k = roi.length / 2;
    if (k !== axes.length) RAISE.fail('LC032', [`Resize: roi has ${roi.length} values, expected 2 x ${axes.length}`]);
    axes.forEach((ax, i) => { roiStart[ax] = roi[i]; roiEnd[ax] = roi[k + i]; });
  }
  let y = x;
  for (let ax = r - 1; ax >= 0; ax--) {
    if (sizes[ax] === x.shape[ax] && scales[ax] === 1 && a.coordinate_transformation_mode !== 'tf_crop_and_resize') continue;
    const taps = axisTaps(a, x.shape[ax], sizes[ax], scales[ax], roiStart[ax], roiEnd[ax]);
    y = resizeAxis(y, ax, sizes[ax], taps, a.extrapolation_value);
  }
  return y;
}

function readAttrs(attrs: Record<string, unknown>): ResizeAttrs {
  return attrs as unknown as ResizeAttrs;
}

function checkAttrs(fail: typeof RAISE, a: ResizeAttrs): void {
  if (!['nearest', 'linear', 'cubic'].includes(a.mode)) fail.fail('LC030', ['mode', `unknown mode "${a.mode}" (nearest, linear or cubic)`]);
  if (!COORD_MODES.includes(a.coordinate_transformation_mode)) {
    fail.fail('LC030', ['coordinate_transformation_mode', `unknown mode "${a.coordinate_transformation_mode}" (${COORD_MODES.join(', ')})`]);
  }
  if (!NEAREST_MODES.includes(a.nearest_mode)) fail.fail('LC030', ['nearest_mode', `unknown mode "${a.nearest_mode}" (${NEAREST_MODES.join(', ')})`]);
  if (!['stretch', 'not_larger', 'not_smaller'].includes(a.keep_aspect_ratio_policy)) {
    fail.fail('LC030', ['keep_aspect_ratio_policy', `unknown policy "${a.keep_aspect_ratio_policy}" (stretch, not_larger, not_smaller)`]);
  }
}

/** A constant input's numbers; [] for an absent input or an empty constant; null when not constant. */
function constNumbers(ctx: InferContext, i: number): number[] | null {
  if (!ctx.inputs[i]) return [];
  const t = ctx.constInput(i);
  return t ? t.toNumbers() : (ctx.inputs[i]!.shape?.[0] === 0 ? [] : null);
}

defineOp({
  name: 'Resize',
  onnxSince: 10,
  summary: 'resizes with nearest/linear/cubic interpolation from scales or sizes (opset 19)',
  traits: { parameters: [1, 2, 3] },
  attrs: {
    mode: { type: 'string', default: 'nearest' },
    coordinate_transformation_mode: { type: 'string', default: 'half_pixel' },
    nearest_mode: { type: 'string', default: 'round_prefer_floor' },
    cubic_coeff_a: { type: 'float', default: -0.75 },
    exclude_outside: { type: 'int', default: 0 },
    extrapolation_value: { type: 'float', default: 0 },
    antialias: { type: 'int', default: 0 },
    keep_aspect_ratio_policy: { type: 'string', default: 'stretch' },
    axes: { type: 'ints' },
  },
  inputs: [1, 4],
  outputs: [1, 1],
  inferType(ctx) {
    const a = readAttrs(ctx.attrs);
    checkAttrs(ctx, a);
    const x = ctx.inputs[0]!;
    for (const [i, what, want] of [[1, 'roi', null], [2, 'scales', 'float32'], [3, 'sizes', 'int64']] as const) {
      const t = ctx.inputs[i];
      if (!t) continue;
      if (want && t.dtype !== want) ctx.fail('LC033', [`Resize ${what} must be ${want}, got ${t.dtype}`]);
      if (!want && !isFloat(t.dtype)) ctx.fail('LC033', [`Resize roi must be float, got ${t.dtype}`]);
    }
    if (!x.shape) return [{ dtype: x.dtype, shape: null }];
    const scales = constNumbers(ctx, 2), sizes = constNumbers(ctx, 3);
    if (scales === null || sizes === null || x.shape.some((d) => typeof d !== 'number')) {
      // Data-dependent sizes: rank is known, the resized dims are not.
      const axes = a.axes ? normAxes(ctx, a.axes, x.shape.length, 'axes') : x.shape.map((_, i) => i);
      const known = scales && scales.length ? scales : null;
      return [{ dtype: x.dtype, shape: x.shape.map((d, i): Dim => {
        if (!axes.includes(i)) return d;
        if (known && known[axes.indexOf(i)] === 1) return d;
        return ctx.freshDim('resize');
      }) }];
    }
    const { sizes: out } = resolveResize(ctx, x.shape as number[], a, scales, sizes);
    return [{ dtype: x.dtype, shape: out }];
  },
  evalRef([x, roi, scalesT, sizesT], ctx) {
    const a = readAttrs(ctx.attrs);
    checkAttrs(RAISE, a);
    const { scales, sizes } = resolveResize(RAISE, x!.shape, a, scalesT ? scalesT.toNumbers() : null, sizesT ? sizesT.toNumbers() : null);
    return [resizeRef(x!, roi ? roi.toNumbers() : null, a, scales, sizes)];
  },
});

// Upsample (opset 9, deprecated in 10): Resize with asymmetric coordinates; nearest rounds down.
defineOp({
  name: 'Upsample',
  onnxSince: 7,
  summary: 'deprecated Resize: scales input, nearest (floor) or linear, asymmetric coordinates',
  traits: { parameters: [1] },
  attrs: { mode: { type: 'string', default: 'nearest' } },
  inputs: [2, 2],
  outputs: [1, 1],
  inferType(ctx) {
    const x = ctx.inputs[0]!;
    const mode = ctx.attrs.mode as string;
    if (mode !== 'nearest' && mode !== 'linear') ctx.fail('LC030', ['mode', `Upsample mode must be nearest or linear, got "${mode}"`]);
    if (ctx.inputs[1]!.dtype !== 'float32') ctx.fail('LC033', [`Upsample scales must be float32, got ${ctx.inputs[1]!.dtype}`]);
    const s = ctx.constInput(1);
    if (!x.shape) return [{ dtype: x.dtype, shape: null }];
    if (!s) return [{ dtype: x.dtype, shape: x.shape.map(() => ctx.freshDim('upsample')) }];
    if (s.size !== x.shape.length) ctx.fail('LC032', [`Upsample: ${s.size} scales for an input of rank ${x.shape.length}`]);
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (typeof d === 'number' ? Math.floor(d * s.data[i]) : s.data[i] === 1 ? d : ctx.freshDim('upsample'))) }];
  },
  evalRef([x, s], ctx) {
    const a: ResizeAttrs = {
      mode: ctx.attrs.mode as string, coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor',
      cubic_coeff_a: -0.75, exclude_outside: 0, extrapolation_value: 0, antialias: 0, keep_aspect_ratio_policy: 'stretch',
    };
    const { scales, sizes } = resolveResize(RAISE, x!.shape, a, s!.toNumbers(), null);
    return [resizeRef(x!, null, a, scales, sizes)];
  },
});
