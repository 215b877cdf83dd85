// Split (opset 18 form): cuts the input along `axis` into the node's outputs. The lengths come from the
// optional int64 `split` input (they must add up to the axis length; zeros give empty outputs), else the axis
// is divided evenly (num_outputs, opset 18) with a shorter last piece when it does not divide: ceil(L/n) each.
import type { Dim } from '../ir/graph.ts';
import { defineOp } from '../ir/registry.ts';
import { Tensor, sizeOf } from '../ir/tensor.ts';
import { RAISE, normAxes } from './dims.ts';

/** The piece lengths for an axis of length L split into n outputs (explicit lengths checked). */
export function splitLengths(fail: typeof RAISE, L: number, n: number, split: number[] | null): number[] {
  if (split && split.length > 0) {
    if (split.length !== n) fail.fail('LC032', [`Split: ${split.length} split lengths for ${n} outputs`]);
    const total = split.reduce((a, b) => a + b, 0);
    if (split.some((s) => s < 0) || total !== L) fail.fail('LC032', [`Split: lengths [${split.join(', ')}] do not add up to the axis length ${L}`]);
    return split;
  }
  const each = Math.ceil(L / n);
  return Array.from({ length: n }, (_, i) => Math.max(0, Math.min(each, L - i * each)));
}

defineOp({
  name: 'Split',
  onnxSince: 2,
  summary: 'splits a tensor along an axis into several outputs (split lengths input, or equal parts)',
  attrs: { axis: { type: 'int', default: 0 }, num_outputs: { type: 'int' } },
  inputs: [1, 2],
  outputs: [1, Infinity],
  inferType(ctx) {
    const x = ctx.inputs[0]!, n = ctx.node.outputs.length;
    if (ctx.inputs[1] && ctx.inputs[1].dtype !== 'int64') ctx.fail('LC033', [`Split lengths must be int64, got ${ctx.inputs[1].dtype}`]);
    const k = ctx.attrs.num_outputs as number | undefined;
    if (k !== undefined && k !== n) ctx.fail('LC031', [`Split has num_outputs = ${k} but ${n} outputs`]);
    if (!x.shape) return Array.from({ length: n }, () => ({ dtype: x.dtype, shape: null }));
    const [axis] = normAxes(ctx, [ctx.attrs.axis as number], x.shape.length, 'axis');
    const L = x.shape[axis];
    const c = ctx.inputs[1] ? ctx.constInput(1) : null;
    const known = typeof L === 'number' && (!ctx.inputs[1] || c);
    const lens: Dim[] = known ? splitLengths(ctx, L as number, n, c ? c.toNumbers() : null) : Array.from({ length: n }, () => ctx.freshDim('split'));
    return lens.map((d) => ({ dtype: x.dtype, shape: x.shape!.map((e, i) => (i === axis ? d : e)) }));
  },
  evalRef([x, s], ctx) {
    const [axis] = normAxes(RAISE, [ctx.attrs.axis as number], x!.rank, 'axis');
    const lens = splitLengths(RAISE, x!.shape[axis], ctx.node.outputs.length, s ? s.toNumbers() : null);
    const outer = sizeOf(x!.shape.slice(0, axis)), inner = sizeOf(x!.shape.slice(axis + 1));
    const L = x!.shape[axis];
    let start = 0;
    return lens.map((len) => {
      const out = Tensor.zeros(x!.dtype, x!.shape.map((d, i) => (i === axis ? len : d)));
      for (let o = 0; o < outer; o++) out.data.set(x!.data.subarray((o * L + start) * inner, (o * L + start + len) * inner), o * len * inner);
      start += len;
      return out;
    });
  },
});
