// Reshape (opset 14+): the target shape is an int64 input. 0 copies the input dimension at the same index
// (unless allowzero=1, where 0 is a real zero-size dimension), and one -1 takes whatever size is left.
// The shape rule works on symbolic products, so [N, 3, 4] with [0, -1] gives [N, 12] and [N, 12] with
// [-1, 3, 4] gives [N, 3, 4]; a size that cannot be expressed becomes a fresh symbol.
import type { Dim } from '../ir/graph.ts';
import { defineOp, type InferContext } from '../ir/registry.ts';
import { sizeOf } from '../ir/tensor.ts';
import { RAISE, removeSyms, symProduct } from './dims.ts';

type Fail = Pick<InferContext, 'fail'>;

/** The output shape of Reshape, or null where a dimension is unknowable (caller substitutes fresh symbols). */
export function reshapeDims(ctx: Fail, input: readonly Dim[], target: readonly number[], allowzero: boolean): (Dim | null)[] {
  const out: (Dim | null)[] = target.map((t, i) => {
    if (t === 0 && !allowzero) {
      if (i >= input.length) ctx.fail('LC032', [`Reshape: shape[${i}] = 0 copies input dim ${i}, but the input has rank ${input.length}`]);
      return input[i];
    }
    if (t < -1 || !Number.isInteger(t)) ctx.fail('LC032', [`Reshape: invalid target dimension ${t}`]);
    return t;
  });
  const holes = out.filter((d) => d === -1).length;
  if (holes > 1) ctx.fail('LC032', [`Reshape: at most one -1 is allowed, got [${target.join(', ')}]`]);
  if (holes === 1 && allowzero && target.includes(0)) ctx.fail('LC032', ['Reshape: -1 together with 0 is invalid when allowzero=1']);
  const known = out.filter((d): d is Dim => d !== -1 && d !== null);
  const inP = symProduct(input);
  const outP = symProduct(known);
  const rest = removeSyms(inP.syms, outP.syms);
  const mismatch = () => ctx.fail('LC032', [`Reshape: cannot reshape [${input.join(', ')}] (${describe(inP)} elements) to [${target.join(', ')}]`]);
  if (holes === 0) {
    if (rest && rest.length === 0 && outP.syms.length === inP.syms.length && inP.num !== outP.num) mismatch();
    return out;
  }
  const i = out.indexOf(-1);
  if (rest === null) out[i] = null;
  else if (rest.length === 0) {
    if (outP.num === 0 || inP.num % outP.num !== 0) mismatch();
    out[i] = inP.num / outP.num;
  } else if (rest.length === 1 && inP.num === outP.num) out[i] = rest[0];
  else out[i] = null;
  return out;
}

function describe(p: { num: number; syms: string[] }): string {
  return [...(p.num !== 1 || !p.syms.length ? [String(p.num)] : []), ...p.syms].join('*');
}

defineOp({
  name: 'Reshape',
  traits: { view: true },
  onnxSince: 5,
  summary: 'reshapes to a target shape input (0 copies a dim, -1 infers one)',
  attrs: { allowzero: { type: 'int', default: 0 } },
  inputs: [2, 2],
  outputs: [1, 1],
  inferType(ctx) {
    const [x, s] = ctx.inputs;
    const target = ctx.constInput(1);
    if (s!.dtype !== 'int64') ctx.fail('LC033', [`Reshape shape must be int64, got ${s!.dtype}`]);
    if (!target) {
      const rank = s!.shape?.[0];
      return [{ dtype: x!.dtype, shape: typeof rank === 'number' ? Array.from({ length: rank }, () => ctx.freshDim('reshape')) : null }];
    }
    if (!x!.shape) return [{ dtype: x!.dtype, shape: null }];
    const dims = reshapeDims(ctx, x!.shape, target.toNumbers(), ctx.attrs.allowzero === 1);
    return [{ dtype: x!.dtype, shape: dims.map((d) => d ?? ctx.freshDim('reshape')) }];
  },
  evalRef([x, s], ctx) {
    const dims = reshapeDims(RAISE, x!.shape, s!.toNumbers(), ctx.attrs.allowzero === 1) as number[];
    if (sizeOf(dims) !== x!.size) RAISE.fail('LC032', [`Reshape: cannot reshape [${x!.shape.join(', ')}] to [${dims.join(', ')}]`]);
    return [x!.reshape(dims)];
  },
});
