// Helpers shared by op definitions: broadcasting, axes, elementwise maps.
import type { Dim, TensorType } from '../ir/graph.ts';
import type { InferContext } from '../ir/registry.ts';
import { Tensor, sizeOf, stridesOf } from '../ir/tensor.ts';
import { allocArray, type DType } from '../ir/dtype.ts';
import { lcError } from '../diagnostics.ts';

/** Numpy/ONNX multidirectional broadcasting of (possibly symbolic) shapes; null if incompatible. */
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[]): Dim[] | null {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else if (typeof x === 'string' || typeof y === 'string') out.push(typeof x === 'number' ? x : y);
    else return null;
  }
  return out;
}

/** Shape rule for broadcasting n-ary elementwise ops. */
export function inferBroadcast(ctx: InferContext, dtype?: DType): TensorType {
  const ins = ctx.inputs.filter((t): t is TensorType => t !== null);
  let shape: Dim[] | null = ins[0].shape;
  for (const t of ins.slice(1)) {
    if (!shape || !t.shape) { shape = null; break; }
    const s = broadcastShapes(shape, t.shape);
    if (!s) ctx.fail('LC032', [`cannot broadcast [${shape.join(', ')}] with [${t.shape.join(', ')}]`]);
    shape = s;
  }
  for (const t of ins.slice(1)) {
    if (t.dtype !== ins[0].dtype) ctx.fail('LC033', [`${ctx.node.op} inputs have different types ${ins[0].dtype} and ${t.dtype}`]);
  }
  return { dtype: dtype ?? ins[0].dtype, shape };
}

/** out[i] = f(a[ia], b[ib]) with broadcasting. */
export function broadcastBinary(a: Tensor, b: Tensor, f: (x: number, y: number) => number, dtype: DType = a.dtype): Tensor {
  const shape = broadcastShapes(a.shape, b.shape) as number[] | null;
  if (!shape) throw lcError('LC032', [`cannot broadcast [${a.shape.join(', ')}] with [${b.shape.join(', ')}]`]);
  const out = Tensor.zeros(dtype, shape);
  const n = out.size;
  if (sameShape(a.shape, shape) && sameShape(b.shape, shape)) {
    for (let i = 0; i < n; i++) out.data[i] = f(a.data[i], b.data[i]);
    return out;
  }
  const sa = broadcastStrides(a.shape, shape);
  const sb = broadcastStrides(b.shape, shape);
  const os = stridesOf(shape);
  for (let i = 0; i < n; i++) {
    let rem = i, ia = 0, ib = 0;
    for (let d = 0; d < shape.length; d++) {
      const q = Math.floor(rem / os[d]);
      rem -= q * os[d];
      ia += q * sa[d];
      ib += q * sb[d];
    }
    out.data[i] = f(a.data[ia], b.data[ib]);
  }
  return out;
}

/** Strides to read a tensor of shape `from` as if broadcast to `to` (0 on broadcast axes). */
export function broadcastStrides(from: readonly number[], to: readonly number[]): number[] {
  const s = stridesOf(from);
  const off = to.length - from.length;
  return to.map((_, d) => (d < off || from[d - off] === 1 ? 0 : s[d - off]));
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function mapUnary(x: Tensor, f: (v: number) => number): Tensor {
  const out = allocArray(x.dtype, x.size);
  for (let i = 0; i < out.length; i++) out[i] = f(x.data[i]);
  return new Tensor(x.dtype, x.shape, out);
}

/** Normalizes a possibly negative axis against a rank; fails with a clear error when out of range. */
export function normAxis(axis: number, rank: number, fail?: (msg: string) => never): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank || !Number.isInteger(a)) {
    const msg = `axis ${axis} is out of range for rank ${rank}`;
    if (fail) fail(msg);
    throw lcError('LC030', ['axis', msg]);
  }
  return a;
}

export function numel(shape: readonly Dim[]): number | null {
  return shape.every((d) => typeof d === 'number') ? sizeOf(shape as number[]) : null;
}

/** Identity-typed shape rule for unary elementwise ops. */
export function sameAsInput(ctx: InferContext): TensorType[] {
  const t = ctx.inputs[0]!;
  return [{ dtype: t.dtype, shape: t.shape ? [...t.shape] : null }];
}
