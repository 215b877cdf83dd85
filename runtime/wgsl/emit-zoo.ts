// The WGSL op table rows of the transformer / encoder-decoder ops (#19), kept beside emit-node.ts's table so
// that one file does not grow with every op family: each row reads the node's static shapes and constant
// inputs and returns its dispatches (kernels/zoo.ts). Data-dependent parameters are LC075 (host fallback).
import type { Node, Value } from '../../src/ir/graph.ts';
import { stridesOf } from '../../src/ir/tensor.ts';
import { sliceAxis, sliceParams } from '../../src/ops/slice.ts';
import { axisTaps, resolveResize, type ResizeAttrs } from '../../src/ops/resize.ts';
import { RAISE, normAxes } from '../../src/ops/dims.ts';
import { prod, shapeOf, unsupported, type Emitter, type Kernel } from './emit-util.ts';
import { emitResizePass, emitRowNorm, emitStridedCopy, emitSumMean } from './kernels/zoo.ts';

const constInts = (n: Node, v: Value | null | undefined, what: string): number[] | null => {
  if (!v) return null;
  if (!v.const) throw unsupported(n, `${what} must be a constant`);
  return v.const.toNumbers();
};

const copy = (n: Node, out: Value, y: number[], strides: number[], base: number): Kernel => ({ ...emitStridedCopy(y, strides, base), bind: [n.inputs[0]!, out] });

const RESIZE_DEFAULTS: ResizeAttrs = {
  mode: 'nearest', coordinate_transformation_mode: 'half_pixel', nearest_mode: 'round_prefer_floor', cubic_coeff_a: -0.75,
  exclude_outside: 0, extrapolation_value: 0, antialias: 0, keep_aspect_ratio_policy: 'stretch',
};

function resize(n: Node): Kernel[] {
  const x = shapeOf(n, n.inputs[0]);
  let a: ResizeAttrs, scalesIn: number[] | null, sizesIn: number[] | null, roi: number[] | null = null;
  if (n.op === 'Upsample') {
    a = { ...RESIZE_DEFAULTS, mode: String(n.attrs.mode ?? 'nearest'), coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' };
    scalesIn = constInts(n, n.inputs[1], 'scales'); sizesIn = null;
  } else {
    a = { ...RESIZE_DEFAULTS, ...(n.attrs as Partial<ResizeAttrs>) } as ResizeAttrs;
    roi = constInts(n, n.inputs[1], 'roi'); scalesIn = constInts(n, n.inputs[2], 'scales'); sizesIn = constInts(n, n.inputs[3], 'sizes');
  }
  const { scales, sizes } = resolveResize(RAISE, x, a, scalesIn, sizesIn);
  const crop = a.coordinate_transformation_mode === 'tf_crop_and_resize';
  const axesList = a.axes ? normAxes(RAISE, a.axes, x.length) : x.map((_, i) => i);
  const r0 = x.map(() => 0), r1 = x.map(() => 1);
  if (crop && roi?.length) axesList.forEach((ax, i) => { r0[ax] = roi![i]!; r1[ax] = roi![axesList.length + i]!; });
  const passes: { axis: number; shape: number[] }[] = [];
  let cur = [...x];
  for (let ax = x.length - 1; ax >= 0; ax--) {
    if (sizes[ax] === x[ax] && scales[ax] === 1 && !crop) continue;
    passes.push({ axis: ax, shape: cur });
    cur = cur.map((d, i) => (i === ax ? sizes[ax]! : d));
  }
  if (!passes.length) return [{ ...emitStridedCopy(x, stridesOf(x), 0), bind: [n.inputs[0]!, n.outputs[0]!] }];
  return passes.map((q, k) => {
    const lenIn = q.shape[q.axis]!, lenOut = sizes[q.axis]!;
    const taps = axisTaps(a, lenIn, lenOut, scales[q.axis]!, r0[q.axis]!, r1[q.axis]!);
    const { table, ...kern } = emitResizePass(prod(q.shape.slice(0, q.axis)), lenIn, lenOut, prod(q.shape.slice(q.axis + 1)), taps, a.extrapolation_value);
    const floats = prod(q.shape) / lenIn * lenOut;
    const src = k === 0 ? n.inputs[0]! : { scratch: `${n.name}_resize${k - 1}`, floats: prod(passes[k]!.shape) };
    const dst = k === passes.length - 1 ? n.outputs[0]! : { scratch: `${n.name}_resize${k}`, floats };
    return { ...kern, bind: [src, { data: table }, dst] };
  });
}

function rowNorm(n: Node): Kernel[] {
  const x = shapeOf(n, n.inputs[0]);
  const [X, scale, bias] = n.inputs;
  const eps = Number(n.attrs.epsilon ?? 1e-5);
  let rows: number, len: number, perChannel: { C: number; S: number } | null = null;
  if (n.op === 'LayerNormalization') {
    const a0 = Number(n.attrs.axis ?? -1), axis = a0 < 0 ? a0 + x.length : a0;
    len = prod(x.slice(axis)); rows = prod(x.slice(0, axis));
    if (prod(shapeOf(n, scale)) !== len || (bias && prod(shapeOf(n, bias)) !== len)) throw unsupported(n, 'Scale/B broadcast within the normalized shape');
  } else {
    const C = x[1]!, S = prod(x.slice(2)), G = n.op === 'GroupNormalization' ? Number(n.attrs.num_groups) : C;
    rows = x[0]! * G; len = (C / G) * S; perChannel = { C, S };
  }
  const stats = n.outputs.length > 1;
  if (stats && n.outputs.length !== 3) throw unsupported(n, 'only one of Mean/InvStdDev');
  const k = emitRowNorm(rows, len, eps, !!bias, perChannel, stats);
  return [{ ...k, bind: [X!, scale!, ...(bias ? [bias] : []), ...n.outputs] }];
}

export const ZOO_EMITTERS: Record<string, Emitter> = {
  Slice: (n) => {
    const x = shapeOf(n, n.inputs[0]);
    const p = sliceParams(RAISE, x.length, constInts(n, n.inputs[1], 'starts')!, constInts(n, n.inputs[2], 'ends')!,
      constInts(n, n.inputs[3], 'axes'), constInts(n, n.inputs[4], 'steps'));
    const xs = stridesOf(x), y = [...x], st = [...xs];
    let base = 0;
    p.axes.forEach((ax, i) => {
      const { start, count } = sliceAxis(x[ax]!, p.starts[i]!, p.ends[i]!, p.steps[i]!);
      y[ax] = count; base += start * xs[ax]!; st[ax] = xs[ax]! * p.steps[i]!;
    });
    return [copy(n, n.outputs[0]!, y, st, base)];
  },
  Gather: (n) => {
    const x = shapeOf(n, n.inputs[0]);
    const idx = constInts(n, n.inputs[1], 'indices')!;
    if (idx.length !== 1) throw unsupported(n, 'Gather of more than one constant index');
    const axis = normAxes(RAISE, [Number(n.attrs.axis ?? 0)], x.length)[0]!;
    const i = idx[0]! < 0 ? idx[0]! + x[axis]! : idx[0]!;
    if (i < 0 || i >= x[axis]!) throw unsupported(n, 'index out of range (the reference reports it)');
    const xs = stridesOf(x);
    const y = shapeOf(n, n.outputs[0]);
    // The output drops (scalar index) or keeps as 1 (one-element index) the gathered axis: read x at i along it.
    const st = x.map((_, d) => xs[d]!).filter((_, d) => d !== axis || y.length === x.length);
    return [copy(n, n.outputs[0]!, y, st, i * xs[axis]!)];
  },
  Split: (n) => {
    const x = shapeOf(n, n.inputs[0]);
    const axis = normAxes(RAISE, [Number(n.attrs.axis ?? 0)], x.length)[0]!;
    const xs = stridesOf(x);
    let start = 0;
    return n.outputs.map((v) => {
      const y = shapeOf(n, v), base = start * xs[axis]!;
      start += y[axis]!;
      return copy(n, v, y, xs, base);
    });
  },
  DepthToSpace: (n) => depthSpace(n),
  SpaceToDepth: (n) => depthSpace(n),
  LayerNormalization: rowNorm,
  InstanceNormalization: rowNorm,
  GroupNormalization: rowNorm,
  Resize: resize,
  Upsample: resize,
  Sum: (n) => [{ ...emitSumMean(n.inputs.map((v) => shapeOf(n, v)), shapeOf(n, n.outputs[0]), false), bind: [...n.inputs as Value[], n.outputs[0]!] }],
  Mean: (n) => [{ ...emitSumMean(n.inputs.map((v) => shapeOf(n, v)), shapeOf(n, n.outputs[0]), true), bind: [...n.inputs as Value[], n.outputs[0]!] }],
};

function depthSpace(n: Node): Kernel[] {
  const [N, C, H, W] = shapeOf(n, n.inputs[0]) as [number, number, number, number];
  const b = Number(n.attrs.blocksize);
  let view: number[], perm: number[];
  if (n.op === 'SpaceToDepth') { view = [N, C, H / b, b, W / b, b]; perm = [0, 3, 5, 1, 2, 4]; }
  else if (n.attrs.mode === 'CRD') { view = [N, C / (b * b), b, b, H, W]; perm = [0, 1, 4, 2, 5, 3]; }
  else { view = [N, b, b, C / (b * b), H, W]; perm = [0, 3, 4, 1, 5, 2]; }
  const vs = stridesOf(view);
  return [copy(n, n.outputs[0]!, perm.map((p) => view[p]!), perm.map((p) => vs[p]!), 0)];
}
