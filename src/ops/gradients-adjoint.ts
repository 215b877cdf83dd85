// Gradient rules of #19's ops that are linear in each input: the gradient is the adjoint (transpose) of the map,
// written with ops every backend already runs.
//   Resize/Upsample: every mode interpolates each axis separately, y = M_d x along axis d with a constant
//     [out, in] matrix of the axis' taps (nearest: one 1 per row; linear/cubic: the weights), so
//     dx = dy M_d along each resized axis: one MatMul per axis (axis moved last and back by Transposes).
//   ConvTranspose is the adjoint of Conv: dX = Conv(dY, W) with the same geometry, dW = ConvGradWeight(X, dY)
//     (the conv whose input is dY and whose output is X), dB = sum of dY over N, H, W.
//   Split: dX = Concat of the outputs' gradients (zeros for an output without one).
//   Einsum (no repeated letter within an operand): d operand k = Einsum(dY, the other operands -> k's letters),
//     letters only operand k has are broadcast back (Unsqueeze + Expand), axes it broadcast are summed (ReduceSumLike).
import type { Value } from '../ir/graph.ts';
import { isStatic } from '../ir/graph.ts';
import { defineGrad, type GradRule, type VjpContext } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';
import { lcError } from '../diagnostics.ts';
import { axisTaps, resolveResize, type ResizeAttrs } from './resize.ts';
import { parseEinsum } from './einsum.ts';
import { RAISE } from './dims.ts';
import './grad-helpers.ts';
import './conv-grad.ts';

const op = (c: VjpContext, name: string, inputs: (Value | null)[], attrs = {}, domain = '') => c.emit(name, inputs, attrs, 1, domain)[0]!;
const ints = (c: VjpContext, xs: number[]) => c.graph.addConst('grad_axes', Tensor.fromArray('int64', [xs.length], xs));
const cannot = (c: VjpContext, why: string) => lcError('LC066', [c.node.op, why], { node: c.node.name, op: c.node.op });

function staticShape(c: VjpContext, v: Value): number[] {
  if (!isStatic(v.type.shape)) throw cannot(c, `'${v.name}' needs a static shape`);
  return v.type.shape;
}

/** A constant input's numbers ([] when absent), or an LC066: the interpolation matrices are built once. */
function constNumbers(c: VjpContext, i: number, what: string): number[] | null {
  const v = c.node.inputs[i];
  if (!v) return null;
  if (!v.const) throw cannot(c, `${what} must be a constant`);
  return v.const.toNumbers();
}

/** dx = dy M_d along each resized axis d (M_d: [out_d, in_d], from the forward op's own taps). */
function resizeGrad(c: VjpContext, a: ResizeAttrs, roi: number[] | null, scalesIn: number[] | null, sizesIn: number[] | null): Value {
  const x = c.node.inputs[0]!, xs = staticShape(c, x), r = xs.length;
  const { scales, sizes } = resolveResize(RAISE, xs, a, scalesIn, sizesIn);
  const roiStart = new Array<number>(r).fill(0), roiEnd = new Array<number>(r).fill(1);
  if (roi?.length && a.coordinate_transformation_mode === 'tf_crop_and_resize') {
    const axes = a.axes ?? xs.map((_, i) => i), k = roi.length / 2;
    axes.forEach((ax, i) => { const d = ax < 0 ? ax + r : ax; roiStart[d] = roi[i]; roiEnd[d] = roi[k + i]; });
  }
  let g = c.dOut[0]!;
  for (let d = 0; d < r; d++) {
    if (sizes[d] === xs[d] && scales[d] === 1 && a.coordinate_transformation_mode !== 'tf_crop_and_resize') continue;
    const taps = axisTaps(a, xs[d], sizes[d], scales[d], roiStart[d], roiEnd[d]);
    const m = new Float64Array(sizes[d] * xs[d]);
    taps.index.forEach((idx, j) => idx.forEach((i, k) => { m[j * xs[d] + i] += taps.weight[j][k]; }));
    const matrix = c.graph.addConst('grad_resize_matrix', Tensor.fromArray(x.type.dtype, [sizes[d], xs[d]], m));
    const swap = Array.from({ length: r }, (_, i) => (i === d ? r - 1 : i === r - 1 ? d : i));
    const last = d === r - 1;
    g = op(c, 'MatMul', [last ? g : op(c, 'Transpose', [g], { perm: swap }), matrix]);
    if (!last) g = op(c, 'Transpose', [g], { perm: swap });
  }
  return g;
}

function einsumGrad(c: VjpContext): (Value | null)[] {
  const xs = c.node.inputs as Value[];
  const e = parseEinsum(RAISE, c.attrs.equation as string, xs.map((v) => staticShape(c, v).length));
  // Broadcast axes (labels '0', '1', ... , right-aligned) are written back as one "..." per term.
  const term = (ls: string[]) => ls.map((l, i) => (!/^\d/.test(l) ? l : i > 0 && /^\d/.test(ls[i - 1]) ? '' : '...')).join('');
  return xs.map((x, k) => {
    const mine = e.inputs[k];
    if (new Set(mine).size !== mine.length) throw cannot(c, `operand ${k} repeats a letter (a diagonal): "${c.attrs.equation}"`);
    const others = [e.output, ...e.inputs.filter((_, j) => j !== k)];
    const reach = mine.filter((l) => others.some((ls) => ls.includes(l)));
    if (mine.some((l) => /^\d/.test(l) && !reach.includes(l))) throw cannot(c, `"..." axes summed away: "${c.attrs.equation}"`);
    const ins = [c.dOut[0]!, ...xs.filter((_, j) => j !== k)];
    let g = op(c, 'Einsum', ins, { equation: `${others.map(term).join(',')}->${term(reach)}` });
    if (reach.length < mine.length) {
      // Letters summed away from this operand alone: d/dx of sum_l x[..l..] is 1 along l.
      const lost = mine.flatMap((l, d) => (reach.includes(l) ? [] : [d]));
      g = op(c, 'Expand', [op(c, 'Unsqueeze', [g, ints(c, lost)]), op(c, 'Shape', [x])]);
    }
    return op(c, 'ReduceSumLike', [g, x], {}, 'ai.layerc');
  });
}

const RULES: Record<string, GradRule> = {
  Resize: (c) => {
    const scales = constNumbers(c, 2, 'scales'), sizes = constNumbers(c, 3, 'sizes'), roi = constNumbers(c, 1, 'roi');
    return [resizeGrad(c, c.attrs as unknown as ResizeAttrs, roi, scales, sizes), null, null, null].slice(0, c.node.inputs.length);
  },
  Upsample: (c) => {
    const a = { mode: c.attrs.mode ?? 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor', cubic_coeff_a: -0.75,
      exclude_outside: 0, extrapolation_value: 0, antialias: 0, keep_aspect_ratio_policy: 'stretch' } as unknown as ResizeAttrs;
    return [resizeGrad(c, a, null, constNumbers(c, 1, 'scales'), null), null];
  },
  ConvTranspose: (c) => {
    const [x, w, bias] = c.node.inputs as [Value, Value, Value | null];
    const xs = staticShape(c, x), ws = staticShape(c, w), dy = c.dOut[0]!;
    if (xs.length !== 4) throw cannot(c, 'only 2-D transposed convolution has a gradient rule');
    if (c.attrs.output_shape || (c.attrs.auto_pad && c.attrs.auto_pad !== 'NOTSET')) throw cannot(c, 'output_shape / auto_pad (give explicit pads)');
    const g = {
      strides: (c.attrs.strides as number[] | undefined) ?? [1, 1], pads: (c.attrs.pads as number[] | undefined) ?? [0, 0, 0, 0],
      dilations: (c.attrs.dilations as number[] | undefined) ?? [1, 1], group: (c.attrs.group as number | undefined) ?? 1,
    };
    const dx = op(c, 'Conv', [dy, w], { ...g, kernel_shape: ws.slice(2) });
    const dw = op(c, 'ConvGradWeight', [x, dy], { ...g, w_shape: ws }, 'ai.layerc');
    const db = bias ? op(c, 'ReduceSum', [dy, ints(c, [0, 2, 3])], { keepdims: 0 }) : null;
    return [dx, dw, db].slice(0, c.node.inputs.length);
  },
  Split: (c) => {
    const x = c.node.inputs[0]!, r = staticShape(c, x).length;
    const axis = ((Number(c.attrs.axis ?? 0) % r) + r) % r;
    const parts = c.node.outputs.map((y, i) => c.dOut[i] ?? c.graph.addConst('grad_zeros', Tensor.zeros(y.type.dtype, staticShape(c, y))));
    const dx = parts.length === 1 ? parts[0] : op(c, 'Concat', parts, { axis });
    return [dx, null].slice(0, c.node.inputs.length);
  },
  Einsum: einsumGrad,
};

for (const [name, rule] of Object.entries(RULES)) defineGrad(name, rule);
