// Gemm and MatMul (ONNX opset 13).
//   Gemm:   Y = alpha * A' B' + beta * C, A' = transA ? A^T : A (M x K), B' = transB ? B^T : B (K x N);
//           C is optional and broadcasts unidirectionally to [M, N].
//   MatMul: numpy.matmul: a 1-D left operand is a row [1, K] and a 1-D right operand a column [K, 1]
//           (the added axis is removed from the result); leading batch axes broadcast.
// Products accumulate in float64 (one rounding per output element), row by row (i-k-j order).
import type { Dim, TensorType } from '../ir/graph.ts';
import { defineOp, type InferContext } from '../ir/registry.ts';
import { Tensor, sizeOf, stridesOf } from '../ir/tensor.ts';
import type { DType } from '../ir/dtype.ts';
import { RAISE } from './dims.ts';
import { broadcastShapes, broadcastStrides } from './util.ts';

const NUMERIC: readonly DType[] = ['float32', 'float64', 'int32', 'int64'];

function checkOperandTypes(ctx: InferContext, n: number): DType {
  const t = ctx.inputs[0]!.dtype;
  if (!NUMERIC.includes(t)) ctx.fail('LC033', [`${ctx.node.op} does not support ${t}`]);
  for (let i = 1; i < n; i++) {
    const u = ctx.inputs[i];
    if (u && u.dtype !== t) ctx.fail('LC033', [`${ctx.node.op} input ${i} is ${u.dtype}, input 0 is ${t}`]);
  }
  return t;
}

const sameDim = (a: Dim, b: Dim) => a === b || typeof a !== 'number' || typeof b !== 'number';

// ---- Gemm ----

/** [M, K] of A' and [K, N] of B' after the transposes, checking ranks and the shared K. */
function gemmDims(f: Pick<InferContext, 'fail'>, a: readonly Dim[], b: readonly Dim[], transA: boolean, transB: boolean): [Dim, Dim, Dim] {
  if (a.length !== 2) f.fail('LC032', [`Gemm: A must be 2-D, got [${a.join(', ')}]`]);
  if (b.length !== 2) f.fail('LC032', [`Gemm: B must be 2-D, got [${b.join(', ')}]`]);
  const [M, K] = transA ? [a[1], a[0]] : [a[0], a[1]];
  const [K2, N] = transB ? [b[1], b[0]] : [b[0], b[1]];
  if (!sameDim(K, K2)) f.fail('LC032', [`Gemm: inner dimensions differ: A' is [${M}, ${K}], B' is [${K2}, ${N}] (transA=${+transA}, transB=${+transB})`]);
  return [M, typeof K === 'number' ? K : K2, N];
}

function checkGemmC(f: Pick<InferContext, 'fail'>, c: readonly Dim[], M: Dim, N: Dim): void {
  const ok = c.length <= 2 && c.every((d, i) => {
    const target = [M, N][i + 2 - c.length];
    return d === 1 || sameDim(d, target);
  });
  if (!ok) f.fail('LC032', [`Gemm: C [${c.join(', ')}] does not broadcast (unidirectionally) to [${M}, ${N}]`]);
}

defineOp({
  name: 'Gemm',
  onnxSince: 7,
  summary: 'Y = alpha * op(A) op(B) + beta * C with optional transposes and broadcast C',
  attrs: {
    alpha: { type: 'float', default: 1 },
    beta: { type: 'float', default: 1 },
    transA: { type: 'int', default: 0 },
    transB: { type: 'int', default: 0 },
  },
  inputs: [2, 3],
  outputs: [1, 1],
  inferType(ctx) {
    const dtype = checkOperandTypes(ctx, 3);
    const [a, b, c] = ctx.inputs;
    if (!a!.shape || !b!.shape) return [{ dtype, shape: null }];
    const [M, , N] = gemmDims(ctx, a!.shape, b!.shape, !!ctx.attrs.transA, !!ctx.attrs.transB);
    if (c?.shape) checkGemmC(ctx, c.shape, M, N);
    return [{ dtype, shape: [M, N] }];
  },
  evalRef([a, b, c], { attrs }) {
    return [gemm(a!, b!, c, attrs)];
  },
});

/** Reference Gemm on concrete tensors. */
export function gemm(a: Tensor, b: Tensor, c: Tensor | null, attrs: Record<string, unknown>): Tensor {
  const transA = !!attrs.transA, transB = !!attrs.transB;
  const alpha = (attrs.alpha as number | undefined) ?? 1, beta = (attrs.beta as number | undefined) ?? 1;
  const [M, K, N] = gemmDims(RAISE, a.shape, b.shape, transA, transB) as number[];
  if (c) checkGemmC(RAISE, c.shape, M, N);
  // Element strides of A' and B' so the transposes are read in place.
  const [aI, aK] = transA ? [1, M] : [K, 1];
  const [bK, bJ] = transB ? [1, K] : [N, 1];
  const y = Tensor.zeros(a.dtype, [M, N]);
  const row = new Float64Array(N);
  const cs = c ? broadcastStrides(c.shape, [M, N]) : [0, 0];
  for (let i = 0; i < M; i++) {
    row.fill(0);
    for (let k = 0; k < K; k++) {
      const av = a.data[i * aI + k * aK];
      for (let j = 0; j < N; j++) row[j] += av * b.data[k * bK + j * bJ];
    }
    for (let j = 0; j < N; j++) y.data[i * N + j] = alpha * row[j] + (c ? beta * c.data[i * cs[0] + j * cs[1]] : 0);
  }
  return y;
}

// ---- MatMul ----

/** Output shape of numpy.matmul, or a failure naming the rule. */
function matmulShape(f: Pick<InferContext, 'fail'>, a: readonly Dim[], b: readonly Dim[]): Dim[] {
  if (a.length === 0 || b.length === 0) f.fail('LC032', ['MatMul operands must have rank >= 1 (scalars are not allowed)']);
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const K = a2[a2.length - 1], K2 = b2[b2.length - 2];
  if (!sameDim(K, K2)) f.fail('LC032', [`MatMul: inner dimensions differ: [${a.join(', ')}] x [${b.join(', ')}] (${K} != ${K2})`]);
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2));
  if (!batch) f.fail('LC032', [`MatMul: batch dimensions of [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`]);
  const out = [...batch, a2[a2.length - 2], b2[b2.length - 1]];
  if (b.length === 1) out.splice(out.length - 1, 1);
  if (a.length === 1) out.splice(out.length - (b.length === 1 ? 1 : 2), 1);
  return out;
}

defineOp({
  name: 'MatMul',
  onnxSince: 1,
  summary: 'numpy-style matrix product (1-D operands, batched, broadcasting batch dims)',
  attrs: {},
  inputs: [2, 2],
  outputs: [1, 1],
  inferType(ctx) {
    const dtype = checkOperandTypes(ctx, 2);
    const [a, b] = ctx.inputs as TensorType[];
    if (!a.shape || !b.shape) return [{ dtype, shape: null }];
    return [{ dtype, shape: matmulShape(ctx, a.shape, b.shape) }];
  },
  evalRef([a, b]) {
    return [matmul(a!, b!)];
  },
});

/** Reference MatMul on concrete tensors. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const outShape = matmulShape(RAISE, a.shape, b.shape) as number[];
  const a2 = a.shape.length === 1 ? [1, a.shape[0]] : [...a.shape];
  const b2 = b.shape.length === 1 ? [b.shape[0], 1] : [...b.shape];
  const M = a2[a2.length - 2], K = a2[a2.length - 1], N = b2[b2.length - 1];
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2)) as number[];
  // Offsets of each operand's matrix per batch index (stride 0 on broadcast axes).
  const sa = broadcastStrides(a2.slice(0, -2), batch), sb = broadcastStrides(b2.slice(0, -2), batch);
  const bs = stridesOf(batch);
  const y = Tensor.zeros(a.dtype, outShape);
  const row = new Float64Array(N);
  const nBatch = sizeOf(batch);
  for (let t = 0; t < nBatch; t++) {
    let oa = 0, ob = 0, rem = t;
    for (let d = 0; d < batch.length; d++) {
      const q = Math.floor(rem / bs[d]);
      rem -= q * bs[d];
      oa += q * sa[d];
      ob += q * sb[d];
    }
    oa *= M * K;
    ob *= K * N;
    for (let i = 0; i < M; i++) {
      row.fill(0);
      for (let k = 0; k < K; k++) {
        const av = a.data[oa + i * K + k];
        const bo = ob + k * N;
        for (let j = 0; j < N; j++) row[j] += av * b.data[bo + j];
      }
      y.data.set(row, (t * M + i) * N);
    }
  }
  return y;
}
