// Pooling (ONNX MaxPool-12, AveragePool-19, GlobalAveragePool, GlobalMaxPool) over any number of spatial
// axes of an [N, C, spatial...] input. Window geometry (pads, auto_pad, strides, dilations, ceil_mode) is
// window.ts's. MaxPool takes the first maximum in row-major window order and ignores padding; its
// optional Indices output is the flat index into X (row-major, or column-major over the spatial axes with
// storage_order=1). AveragePool divides by the number of taps inside the input, or with
// count_include_pad=1 by the taps inside the padded input (a ceil_mode window hanging past the end pad
// does not count the overhang, as in ONNX Runtime and PyTorch). Sums accumulate in float64.
import type { TensorType } from '../ir/graph.ts';
import { defineOp, type InferContext } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';
import { isFloat, type DType } from '../ir/dtype.ts';
import { RAISE } from './dims.ts';
import { axisGeometry, extent, readWindowAttrs, windowOutDims, windowTable, type WindowAttrs } from './window.ts';

type Fail = Pick<InferContext, 'fail'>;
const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

const WINDOW_ATTRS = {
  auto_pad: { type: 'string' as const, default: 'NOTSET' },
  ceil_mode: { type: 'int' as const, default: 0 },
  dilations: { type: 'ints' as const },
  kernel_shape: { type: 'ints' as const, required: true },
  pads: { type: 'ints' as const },
  strides: { type: 'ints' as const },
};

function poolWindow(f: Fail, op: string, attrs: Record<string, unknown>, rank: number): WindowAttrs {
  const kernel = attrs.kernel_shape as number[];
  if (rank < 3) f.fail('LC032', [`${op}: input must have rank >= 3 (N, C, spatial...), got rank ${rank}`]);
  if (kernel.length !== rank - 2) f.fail('LC030', ['kernel_shape', `${op} kernel_shape [${kernel.join(', ')}] has ${kernel.length} axes, the input has ${rank - 2} spatial axes`]);
  return readWindowAttrs(f, op, attrs, kernel);
}

function checkDtype(ctx: InferContext, allowed: (d: DType) => boolean): TensorType {
  const x = ctx.inputs[0]!;
  if (!allowed(x.dtype)) ctx.fail('LC033', [`${ctx.node.op} does not support ${x.dtype} input`]);
  return x;
}

function poolType(ctx: InferContext, x: TensorType): TensorType {
  if (!x.shape) return { dtype: x.dtype, shape: null };
  const w = poolWindow(ctx, ctx.node.op, ctx.attrs, x.shape.length);
  return { dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...windowOutDims(ctx, ctx.node.op, w, x.shape.slice(2))] };
}

/** Work of a pool: every output element visits every tap of its window (the window table holds them all). */
function poolCost(_ins: unknown, [y]: TensorType[], attrs: Record<string, unknown>): number | undefined {
  const k = attrs.kernel_shape as number[] | undefined;
  return y?.shape && k ? y.shape.reduce((a: number, d) => a * (typeof d === 'number' ? d : 1), 1) * prod(k) : undefined;
}

/** Concrete geometry plus the window table (tap-major, codes as in window.ts) for a pool on `shape`. */
function poolPlan(op: string, attrs: Record<string, unknown>, shape: readonly number[]) {
  const w = poolWindow(RAISE, op, attrs, shape.length);
  const inSp = shape.slice(2);
  const geo = inSp.map((d, i) => axisGeometry(w, i, d));
  geo.forEach(([pb, pe, o], i) => {
    if (o < 1) RAISE.fail('LC032', [`${op}: kernel extent ${extent(w.kernel[i], w.dilations[i])} along spatial axis ${i} is larger than the padded input ${inSp[i]} + ${pb} + ${pe}`]);
  });
  const outSp = geo.map((g) => g[2]);
  const table = windowTable(outSp, inSp, w.kernel, w.strides, w.dilations, geo.map((g) => g[0]), geo.map((g) => g[1]));
  return { outSp, S: prod(inSp), O: prod(outSp), K: prod(w.kernel), table };
}

defineOp({
  name: 'MaxPool',
  onnxSince: 1,
  summary: 'max over sliding windows (pads, auto_pad, strides, dilations, ceil_mode; optional Indices)',
  attrs: { ...WINDOW_ATTRS, storage_order: { type: 'int', default: 0 } },
  inputs: [1, 1],
  outputs: [1, 2],
  inferType(ctx) {
    const x = checkDtype(ctx, (d) => isFloat(d) || d === 'int8' || d === 'uint8');
    const y = poolType(ctx, x);
    return ctx.node.outputs.length > 1 ? [y, { dtype: 'int64', shape: y.shape ? [...y.shape] : null }] : [y];
  },
  cost: poolCost,
  evalRef([x], ctx) {
    const [N, C] = x!.shape;
    const { outSp, S, O, K, table } = poolPlan('MaxPool', ctx.attrs, x!.shape);
    const wantIdx = ctx.node.outputs.length > 1;
    const y = Tensor.zeros(x!.dtype, [N, C, ...outSp]);
    const idx = wantIdx ? Tensor.zeros('int64', [N, C, ...outSp]) : null;
    const spatialIndex = ctx.attrs.storage_order ? columnMajor(x!.shape.slice(2)) : null;
    const best = new Float64Array(O), arg = new Int32Array(O);
    for (let nc = 0; nc < N * C; nc++) {
      const xb = nc * S;
      best.fill(-Infinity);
      arg.fill(-1);
      for (let kk = 0; kk < K; kk++) {
        const t0 = kk * O;
        for (let o = 0; o < O; o++) {
          const j = table[t0 + o];
          if (j < 0) continue;
          const v = x!.data[xb + j];
          // NaN propagates (as in PyTorch and wasm's f32x4.max): the first NaN tap wins and stays.
          if (v > best[o] || (v !== v && best[o] === best[o])) { best[o] = v; arg[o] = j; }
        }
      }
      y.data.set(best, nc * O);
      if (idx) for (let o = 0; o < O; o++) idx.data[nc * O + o] = arg[o] < 0 ? -1 : xb + (spatialIndex ? spatialIndex[arg[o]] : arg[o]);
    }
    return idx ? [y, idx] : [y];
  },
});

/** Row-major flat spatial index -> column-major flat index (storage_order=1). */
export function columnMajor(shape: readonly number[]): Int32Array {
  const n = prod(shape);
  const out = new Int32Array(n);
  for (let flat = 0; flat < n; flat++) {
    let rem = flat, col = 0, stride = 1;
    const coords = new Array<number>(shape.length);
    for (let a = shape.length - 1; a >= 0; a--) { coords[a] = rem % shape[a]; rem = Math.floor(rem / shape[a]); }
    for (let a = 0; a < shape.length; a++) { col += coords[a] * stride; stride *= shape[a]; }
    out[flat] = col;
  }
  return out;
}

defineOp({
  name: 'AveragePool',
  onnxSince: 7,
  summary: 'mean over sliding windows (pads, auto_pad, strides, dilations, ceil_mode, count_include_pad)',
  attrs: { ...WINDOW_ATTRS, count_include_pad: { type: 'int', default: 0 } },
  inputs: [1, 1],
  outputs: [1, 1],
  inferType(ctx) {
    return [poolType(ctx, checkDtype(ctx, isFloat))];
  },
  cost: poolCost,
  evalRef([x], ctx) {
    const [N, C] = x!.shape;
    const { outSp, S, O, K, table } = poolPlan('AveragePool', ctx.attrs, x!.shape);
    // Taps with code >= 0 are inside the input; code -1 is padding, which counts with count_include_pad.
    const lowest = ctx.attrs.count_include_pad ? -1 : 0;
    const count = new Float64Array(O);
    for (let i = 0; i < table.length; i++) if (table[i] >= lowest) count[i % O]++;
    const y = Tensor.zeros(x!.dtype, [N, C, ...outSp]);
    const sum = new Float64Array(O);
    for (let nc = 0; nc < N * C; nc++) {
      const xb = nc * S;
      sum.fill(0);
      for (let kk = 0; kk < K; kk++) {
        const t0 = kk * O;
        for (let o = 0; o < O; o++) {
          const j = table[t0 + o];
          if (j >= 0) sum[o] += x!.data[xb + j];
        }
      }
      for (let o = 0; o < O; o++) y.data[nc * O + o] = sum[o] / count[o];
    }
    return [y];
  },
});

// Global pools: one window covering all spatial axes; output [N, C, 1, ...].
for (const [name, isMax] of [['GlobalAveragePool', false], ['GlobalMaxPool', true]] as const) {
  defineOp({
    name,
    onnxSince: 1,
    summary: `${isMax ? 'max' : 'mean'} over all spatial axes, keeping them as size 1`,
    attrs: {},
    inputs: [1, 1],
    outputs: [1, 1],
    inferType(ctx) {
      const x = checkDtype(ctx, isFloat);
      if (!x.shape) return [{ dtype: x.dtype, shape: null }];
      if (x.shape.length < 3) ctx.fail('LC032', [`${name}: input must have rank >= 3 (N, C, spatial...), got [${x.shape.join(', ')}]`]);
      return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)] }];
    },
    evalRef([x]) {
      if (x!.rank < 3) RAISE.fail('LC032', [`${name}: input must have rank >= 3, got [${x!.shape.join(', ')}]`]);
      const [N, C] = x!.shape;
      const S = prod(x!.shape.slice(2));
      const y = Tensor.zeros(x!.dtype, [N, C, ...x!.shape.slice(2).map(() => 1)]);
      for (let nc = 0; nc < N * C; nc++) {
        let acc = isMax ? -Infinity : 0;
        for (let i = nc * S; i < (nc + 1) * S; i++) {
          const v = x!.data[i];
          if (!isMax) acc += v;
          else if (v > acc || Number.isNaN(v)) acc = v;
        }
        y.data[nc] = isMax ? acc : acc / S;
      }
      return [y];
    },
  });
}
