// The shape-computation ops exporters emit (opset 18 forms): Shape, Size, Gather, Unsqueeze, Squeeze, Cast,
// ConstantOfShape, Range. Their shape rules read constant inputs so that, once constants are folded,
// exporter-style shape arithmetic resolves to static shapes; data-dependent sizes get fresh symbols.
import type { Dim, TensorType } from '../ir/graph.ts';
import { defineOp, type InferContext } from '../ir/registry.ts';
import { Tensor, sizeOf } from '../ir/tensor.ts';
import { isFloat, type DType } from '../ir/dtype.ts';
import { RAISE, normAxes } from './dims.ts';

/** onnx.TensorProto.DataType codes of the dtypes layerc holds. */
export const ONNX_DTYPES: Record<number, DType> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 9: 'bool', 11: 'float64' };

/** Shape's [start, end) after the spec's adjustment: negative counts from the end, then clamp to [0, rank]. */
function shapeRange(rank: number, start: number, end: number | undefined): [number, number] {
  const adj = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  return [adj(start), adj(end ?? rank)];
}

defineOp({
  name: 'Shape',
  onnxSince: 1,
  summary: 'the input shape as an int64 vector (optionally a [start, end) slice of it)',
  attrs: { start: { type: 'int', default: 0 }, end: { type: 'int' } },
  inputs: [1, 1],
  outputs: [1, 1],
  inferType(ctx) {
    const s = ctx.inputs[0]!.shape;
    if (!s) return [{ dtype: 'int64', shape: [ctx.freshDim('rank')] }];
    const [a, b] = shapeRange(s.length, ctx.attrs.start as number, ctx.attrs.end as number | undefined);
    return [{ dtype: 'int64', shape: [Math.max(0, b - a)] }];
  },
  evalRef([x], ctx) { return [shapeValue(x!.shape, ctx.attrs)!]; },
  // Known at compile time when the selected dims are static, even if others are symbolic.
  valueFromTypes([x], attrs) { return x?.shape ? shapeValue(x.shape, attrs) : null; },
});

/** Shape's output for these dims and attributes; null when a selected dim is symbolic. */
function shapeValue(shape: readonly Dim[], attrs: Record<string, unknown>): Tensor | null {
  const [a, b] = shapeRange(shape.length, attrs.start as number, attrs.end as number | undefined);
  const dims = shape.slice(a, Math.max(a, b));
  return dims.every((d): d is number => typeof d === 'number') ? Tensor.fromArray('int64', [dims.length], dims) : null;
}

// Size: the element count as an int64 scalar (the LayerNormalization spec's expansion uses it).
defineOp({
  name: 'Size',
  onnxSince: 1,
  summary: 'the number of elements of the input as an int64 scalar',
  attrs: {},
  inputs: [1, 1],
  outputs: [1, 1],
  inferType: () => [{ dtype: 'int64', shape: [] }],
  evalRef: ([x]) => [Tensor.scalar('int64', x!.size)],
  valueFromTypes([x]) {
    return x?.shape && x.shape.every((d) => typeof d === 'number') ? Tensor.scalar('int64', sizeOf(x.shape as number[])) : null;
  },
});

// Gather: out[i..., j..., k...] = data[i..., indices[j...], k...] along `axis`; negative indices count from the end.
defineOp({
  name: 'Gather',
  onnxSince: 1,
  summary: 'takes entries along an axis at the given indices',
  attrs: { axis: { type: 'int', default: 0 } },
  inputs: [2, 2],
  outputs: [1, 1],
  inferType(ctx) {
    const [x, ind] = ctx.inputs as TensorType[];
    if (ind.dtype !== 'int64' && ind.dtype !== 'int32') ctx.fail('LC033', [`Gather indices must be int64 or int32, got ${ind.dtype}`]);
    if (!x.shape || !ind.shape) return [{ dtype: x.dtype, shape: null }];
    const [axis] = normAxes(ctx, [ctx.attrs.axis as number], x.shape.length, 'axis');
    const n = x.shape[axis];
    const c = ctx.constInput(1);
    if (c && typeof n === 'number') for (const i of c.toNumbers()) checkIndex(ctx, i, n);
    return [{ dtype: x.dtype, shape: [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)] }];
  },
  evalRef([x, ind], ctx) {
    const [axis] = normAxes(RAISE, [ctx.attrs.axis as number], x!.rank, 'axis');
    const n = x!.shape[axis];
    const idx = ind!.toNumbers().map((i) => checkIndex(RAISE, i, n));
    const shape = [...x!.shape.slice(0, axis), ...ind!.shape, ...x!.shape.slice(axis + 1)];
    const outer = sizeOf(x!.shape.slice(0, axis));
    const inner = sizeOf(x!.shape.slice(axis + 1));
    const out = Tensor.zeros(x!.dtype, shape);
    let pos = 0;
    for (let o = 0; o < outer; o++) {
      for (const i of idx) {
        out.data.set(x!.data.subarray((o * n + i) * inner, (o * n + i + 1) * inner), pos);
        pos += inner;
      }
    }
    return [out];
  },
});

function checkIndex(ctx: Pick<InferContext, 'fail'>, i: number, n: number): number {
  if (i < -n || i >= n) ctx.fail('LC032', [`Gather index ${i} is out of range for an axis of size ${n}`]);
  return i < 0 ? i + n : i;
}

/** Unsqueeze: axes index the OUTPUT (rank r + len(axes)). */
function unsqueezeShape(ctx: Pick<InferContext, 'fail'>, shape: readonly Dim[], axesIn: number[]): Dim[] {
  const rank = shape.length + axesIn.length;
  const axes = normAxes(ctx, axesIn, rank);
  const out: Dim[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : shape[k++]);
  return out;
}

defineOp({
  name: 'Unsqueeze',
  traits: { view: true },
  onnxSince: 1,
  summary: 'inserts size-1 axes (axes input indexes the output)',
  attrs: {},
  inputs: [2, 2],
  outputs: [1, 1],
  inferType(ctx) {
    const [x, a] = ctx.inputs as TensorType[];
    const axes = ctx.constInput(1)?.toNumbers();
    if (x.shape && axes) return [{ dtype: x.dtype, shape: unsqueezeShape(ctx, x.shape, axes) }];
    const k = a.shape?.length === 1 ? a.shape[0] : a.shape?.length === 0 ? 1 : null;
    if (!x.shape || typeof k !== 'number') return [{ dtype: x.dtype, shape: null }];
    return [{ dtype: x.dtype, shape: Array.from({ length: x.shape.length + k }, () => ctx.freshDim('unsqueeze')) }];
  },
  evalRef: ([x, a]) => [x!.reshape(unsqueezeShape(RAISE, x!.shape, a!.toNumbers()) as number[])],
});

/** Squeeze: removes the given axes (each must be 1), or every size-1 axis when axes is absent. */
function squeezeShape(ctx: Pick<InferContext, 'fail'>, shape: readonly Dim[], axesIn: number[] | null): Dim[] {
  if (!axesIn) return shape.filter((d) => d !== 1);
  const axes = normAxes(ctx, axesIn, shape.length);
  for (const a of axes) {
    if (typeof shape[a] === 'number' && shape[a] !== 1) ctx.fail('LC032', [`Squeeze: axis ${a} has size ${shape[a]}, not 1`]);
  }
  return shape.filter((_, i) => !axes.includes(i));
}

defineOp({
  name: 'Squeeze',
  traits: { view: true },
  onnxSince: 1,
  summary: 'removes size-1 axes (all of them when the axes input is absent)',
  attrs: {},
  inputs: [1, 2],
  outputs: [1, 1],
  inferType(ctx) {
    const [x, a] = ctx.inputs;
    if (!x!.shape) return [{ dtype: x!.dtype, shape: null }];
    if (a && !ctx.constInput(1)) {
      const k = a.shape?.length === 1 ? a.shape[0] : null;
      return [{ dtype: x!.dtype, shape: typeof k === 'number' ? Array.from({ length: x!.shape.length - k }, () => ctx.freshDim('squeeze')) : null }];
    }
    // Without axes a symbolic dim might be 1 at run time; we assume it is not (the usual batch dim case).
    return [{ dtype: x!.dtype, shape: squeezeShape(ctx, x!.shape, a ? ctx.constInput(1)!.toNumbers() : null) }];
  },
  evalRef: ([x, a]) => [x!.reshape(squeezeShape(RAISE, x!.shape, a ? a.toNumbers() : null) as number[])],
});

function castTarget(ctx: Pick<InferContext, 'fail'>, to: number): DType {
  const d = ONNX_DTYPES[to];
  if (!d) ctx.fail('LC012', [`Cast to ONNX data type ${to} (supported: ${Object.entries(ONNX_DTYPES).map(([k, v]) => `${k}=${v}`).join(', ')})`]);
  return d;
}

/**
 * Float -> integer truncates toward zero (NaN gives 0); typed arrays then wrap to the target width.
 * bool is x != 0, so NaN is true (as C++'s static_cast<bool> and numpy's astype(bool) give).
 */
export function castValue(v: number, from: DType, to: DType): number {
  if (to === 'bool') return v !== 0 ? 1 : 0;
  if (isFloat(to)) return v;
  if (isFloat(from)) return Number.isFinite(v) ? Math.trunc(v) : 0;
  return v;
}

defineOp({
  name: 'Cast',
  onnxSince: 6,
  summary: 'converts element type (`to` is an onnx.TensorProto.DataType code)',
  attrs: { to: { type: 'int', required: true }, saturate: { type: 'int', default: 1 } },
  inputs: [1, 1],
  outputs: [1, 1],
  inferType(ctx) {
    const x = ctx.inputs[0]!;
    return [{ dtype: castTarget(ctx, ctx.attrs.to as number), shape: x.shape && [...x.shape] }];
  },
  evalRef([x], ctx) {
    const to = castTarget(RAISE, ctx.attrs.to as number);
    const out = Tensor.zeros(to, x!.shape);
    for (let i = 0; i < out.size; i++) out.data[i] = castValue(x!.data[i], x!.dtype, to);
    return [out];
  },
});

defineOp({
  name: 'ConstantOfShape',
  onnxSince: 9,
  summary: 'a tensor of the shape given by an int64 input, filled with `value` (default float32 0)',
  attrs: { value: { type: 'tensor' } },
  inputs: [1, 1],
  outputs: [1, 1],
  inferType(ctx) {
    const dtype = (ctx.attrs.value as Tensor | undefined)?.dtype ?? 'float32';
    const s = ctx.constInput(0)?.toNumbers();
    if (s) {
      if (s.some((d) => d < 0 || !Number.isInteger(d))) ctx.fail('LC032', [`ConstantOfShape: invalid shape [${s.join(', ')}]`]);
      return [{ dtype, shape: s }];
    }
    const k = ctx.inputs[0]!.shape?.[0];
    return [{ dtype, shape: typeof k === 'number' ? Array.from({ length: k }, () => ctx.freshDim('fill')) : null }];
  },
  evalRef([s], ctx) {
    const v = ctx.attrs.value as Tensor | undefined;
    const out = Tensor.zeros(v?.dtype ?? 'float32', s!.toNumbers());
    // Storage starts zeroed; fill only otherwise (V8's fill on a 1 GiB array takes seconds).
    if (v && v.data[0] !== 0) out.data.fill(v.data[0]);
    return [out];
  },
});

/** Range: ceil((limit - start) / delta) elements start, start + delta, ... (none when that is <= 0). */
const rangeCount = (start: number, limit: number, delta: number) => Math.max(Math.ceil((limit - start) / delta), 0);

defineOp({
  name: 'Range',
  onnxSince: 11,
  summary: 'the sequence start, start+delta, ... up to (excluding) limit',
  attrs: {},
  inputs: [3, 3],
  outputs: [1, 1],
  inferType(ctx) {
    const ts = ctx.inputs as TensorType[];
    if (ts.some((t) => t.dtype !== ts[0].dtype)) ctx.fail('LC033', ['Range inputs must have the same type']);
    const [s, l, d] = [0, 1, 2].map((i) => ctx.constInput(i)?.data[0]);
    if (d === 0) ctx.fail('LC030', ['delta', 'Range delta cannot be 0']);
    const n = s !== undefined && l !== undefined && d !== undefined ? rangeCount(s, l, d) : ctx.freshDim('range');
    return [{ dtype: ts[0].dtype, shape: [n] }];
  },
  evalRef([s, l, d]) {
    const [a, b, c] = [s!.data[0], l!.data[0], d!.data[0]];
    if (c === 0) RAISE.fail('LC030', ['delta', 'Range delta cannot be 0']);
    const out = Tensor.zeros(s!.dtype, [rangeCount(a, b, c)]);
    for (let i = 0; i < out.size; i++) out.data[i] = a + i * c;
    return [out];
  },
});
