// DepthToSpace and SpaceToDepth: 4-D [N, C, H, W] rearrangements by blocks of b x b, written as the spec's
// reshape -> transpose -> reshape. DepthToSpace's DCR mode takes the block offset from the high part of the
// channel index (depth-column-row), CRD from the low part (column-row-depth, PyTorch's pixel_shuffle).
import type { Dim } from '../ir/graph.ts';
import { defineOp, type InferContext } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';
import { RAISE, forEachIndex } from './dims.ts';

function blocksize(fail: typeof RAISE, attrs: Record<string, unknown>): number {
  const b = attrs.blocksize as number;
  if (!(Number.isInteger(b) && b >= 1)) fail.fail('LC030', ['blocksize', `must be a positive integer, got ${b}`]);
  return b;
}

/** out[flat] = x[offset] for a 6-D view: x reshaped to `view`, transposed by `perm`, read row-major. */
function permuted(x: Tensor, view: number[], perm: number[], outShape: number[]): Tensor {
  const strides = new Array<number>(view.length);
  let acc = 1;
  for (let d = view.length - 1; d >= 0; d--) { strides[d] = acc; acc *= view[d]; }
  const tshape = perm.map((p) => view[p]);
  const out = Tensor.zeros(x.dtype, outShape);
  forEachIndex(tshape, (idx, flat) => {
    let o = 0;
    for (let d = 0; d < idx.length; d++) o += idx[d] * strides[perm[d]];
    out.data[flat] = x.data[o];
  });
  return out;
}

function inferBlocks(ctx: InferContext, toSpace: boolean): { dtype: import('../ir/dtype.ts').DType; shape: Dim[] | null }[] {
  const x = ctx.inputs[0]!, b = blocksize(ctx, ctx.attrs);
  if (!x.shape) return [{ dtype: x.dtype, shape: null }];
  if (x.shape.length !== 4) ctx.fail('LC032', [`${ctx.node.op} needs a 4-D input [N, C, H, W], got [${x.shape.join(', ')}]`]);
  const [N, C, H, W] = x.shape;
  const mul = (d: Dim, k: number): Dim => (typeof d === 'number' ? d * k : ctx.freshDim('block'));
  const div = (d: Dim, k: number, what: string): Dim => {
    if (typeof d !== 'number') return ctx.freshDim('block');
    if (d % k !== 0) ctx.fail('LC032', [`${ctx.node.op}: ${what} = ${d} is not divisible by ${k} (blocksize ${b})`]);
    return d / k;
  };
  return [{ dtype: x.dtype, shape: toSpace ? [N, div(C, b * b, 'C'), mul(H, b), mul(W, b)] : [N, mul(C, b * b), div(H, b, 'H'), div(W, b, 'W')] }];
}

defineOp({
  name: 'DepthToSpace',
  onnxSince: 1,
  summary: 'moves channel blocks into b x b spatial blocks (mode DCR or CRD)',
  attrs: { blocksize: { type: 'int', required: true }, mode: { type: 'string', default: 'DCR' } },
  inputs: [1, 1],
  outputs: [1, 1],
  inferType(ctx) {
    if (ctx.attrs.mode !== 'DCR' && ctx.attrs.mode !== 'CRD') ctx.fail('LC030', ['mode', `must be DCR or CRD, got "${String(ctx.attrs.mode)}"`]);
    return inferBlocks(ctx, true);
  },
  evalRef([x], ctx) {
    const b = blocksize(RAISE, ctx.attrs);
    if (x!.rank !== 4) RAISE.fail('LC032', [`DepthToSpace needs a 4-D input, got [${x!.shape.join(', ')}]`]);
    const [N, C, H, W] = x!.shape;
    if (C % (b * b) !== 0) RAISE.fail('LC032', [`DepthToSpace: C = ${C} is not divisible by ${b * b} (blocksize ${b})`]);
    const c = C / (b * b), out = [N, c, H * b, W * b];
    return [ctx.attrs.mode === 'CRD'
      ? permuted(x!, [N, c, b, b, H, W], [0, 1, 4, 2, 5, 3], out)
      : permuted(x!, [N, b, b, c, H, W], [0, 3, 4, 1, 5, 2], out)];
  },
});

defineOp({
  name: 'SpaceToDepth',
  onnxSince: 1,
  summary: 'moves b x b spatial blocks into channels',
  attrs: { blocksize: { type: 'int', required: true } },
  inputs: [1, 1],
  outputs: [1, 1],
  inferType: (ctx) => inferBlocks(ctx, false),
  evalRef([x], ctx) {
    const b = blocksize(RAISE, ctx.attrs);
    if (x!.rank !== 4) RAISE.fail('LC032', [`SpaceToDepth needs a 4-D input, got [${x!.shape.join(', ')}]`]);
    const [N, C, H, W] = x!.shape;
    if (H % b !== 0 || W % b !== 0) RAISE.fail('LC032', [`SpaceToDepth: H = ${H} and W = ${W} must be divisible by blocksize ${b}`]);
    return [permuted(x!, [N, C, H / b, b, W / b, b], [0, 3, 5, 1, 2, 4], [N, C * b * b, H / b, W / b])];
  },
});
