// MatMul with batched operands (attention's Q K^T and P V: [B, H, T, d] x [B, H, d, T]) as generated JS:
// rows of every batch split across threads, each output a float64 dot product. The packed wasm GEMM
// (gemm.ts) takes the 2-D-B case first; this kernel serves the rest (and every MatMul without SIMD). A Fused
// MatMul runs its whole epilogue as the JS tail pass (../epilogue.ts) on the rows each thread has just finished,
// so the row-wise layernorm step works here too.
import { stridesOf } from '../../../src/ir/tensor.ts';
import { broadcastShapes } from '../../../src/ops/util.ts';
import { fusedView } from '../../../src/ops/fused-contract.ts';
import { splitEpilogue, tailPassJs } from '../epilogue.ts';
import { prod, split, staticShape, type KernelFactory } from '../kernel.ts';

export const batchMatMulKernel: KernelFactory = (node) => {
  const view = fusedView(node);
  if (view?.base !== 'MatMul' || [...node.inputs, node.outputs[0]].some((v) => v && v.type.dtype !== 'float32')) return null;
  const ys = staticShape(node.outputs[0]);
  const ep = splitEpilogue(node, view.epilogue, ys, ys.length - 2, false);
  if (!ep) return null;
  const as = staticShape(node.inputs[0]), bs = staticShape(node.inputs[1]);
  if (as.length < 2 || bs.length < 2) return null;
  const M = as[as.length - 2]!, K = as[as.length - 1]!, N = bs[bs.length - 1]!;
  const batch = broadcastShapes(as.slice(0, -2), bs.slice(0, -2)) as number[] | null;
  if (!batch || bs[bs.length - 2] !== K) return null;
  const nb = prod(batch);
  // Element offset of each batch's matrix in A and B (0 along broadcast axes).
  const offsets = (s: number[]) => {
    const lead = s.slice(0, -2), st = stridesOf(s), pad = batch.length - lead.length;
    return Array.from({ length: nb }, (_, b) => {
      let rem = b, off = 0;
      for (let d = batch.length - 1; d >= 0; d--) {
        const i = rem % batch[d]!; rem = Math.floor(rem / batch[d]!);
        const dd = d - pad;
        if (dd >= 0 && lead[dd] !== 1) off += i * st[dd]!;
      }
      return off;
    });
  };
  const ao = offsets(as), bo = offsets(bs);
  return {
    kind: `MatMul batched ${nb}x${M}x${K}x${N}${ep.tail.length ? ` + ${ep.tail.length} steps` : ''}`,
    emit: (ctx) => {
      const A = ctx.at(node.inputs[0]) / 4, B = ctx.at(node.inputs[1]) / 4, Y = ctx.at(node.outputs[0]) / 4;
      return { phases: [{ js: `const AO = [${ao.join(',')}], BO = [${bo.join(',')}];
    ${split(nb * M)}
    for (let row = lo; row < hi; row++) {
      const b = (row / ${M}) | 0, m = row - b * ${M};
      const a0 = ${A} + AO[b] + m * ${K}, b0 = ${B} + BO[b], y0 = ${Y} + row * ${N};
      for (let n = 0; n < ${N}; n++) {
        let s = 0;
        for (let k = 0; k < ${K}; k++) s += F[a0 + k] * F[b0 + k * ${N} + n];
        F[y0 + n] = s;
      }
    }
    ${tailPassJs(ep.tail, { y: String(Y), cols: N, channels: nb * M, operand: (i) => String(ctx.at(node.inputs[i]) / 4) })}` }] };
    },
  };
};
