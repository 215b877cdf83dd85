// Gemm, MatMul (A of any rank times a 2-D B: leading axes fold into rows) and Fused over them, on the
// packed wasm GEMM: Y[R, Nc] = alpha * op(A)[R, K] * op(B)[K, Nc] (+ beta * C) + epilogue.
// A is packed at run time into MR-row panels (transA and alpha applied while packing; fewer than MR rows, a
// batch-1 classifier's one row, take panels of that many rows: no zero rows multiplied); a constant B is
// packed into NR-column panels at compile time, a computed one at run time. Threads split the packing,
// meet at a barrier, then split the GEMM blocks along the longer dimension.
import type { Node } from '../../../src/ir/graph.ts';
import { fusedView, type EpilogueStep } from '../../../src/ops/fused-contract.ts';
import { emitGemm } from '../wasm/gemm.ts';
import { operandSteps, splitEpilogue, tailPassJs } from '../epilogue.ts';
import { lit, prod, split, staticShape, type ConstWriter, type KernelConst, type KernelFactory } from '../kernel.ts';
import { MR, NR, V } from './conv.ts';

interface GemmParts {
  op: 'Gemm' | 'MatMul'; attrs: Record<string, unknown>; steps: EpilogueStep[];
  /** Input index of Gemm's C when present (scaled by beta), else -1: never an epilogue operand. */
  cInput: number;
}

/** The base and epilogue of a Gemm, MatMul or Fused over them; Gemm's C, when present, is the first step. */
function gemmParts(node: Node): GemmParts | null {
  const v = fusedView(node);
  if (!v || (v.base !== 'Gemm' && v.base !== 'MatMul')) return null;
  const bias: EpilogueStep[] = v.bias ? [{ kind: 'add', input: v.bias.input }] : [];
  return { op: v.base, attrs: v.attrs, steps: [...bias, ...v.epilogue], cInput: v.bias?.input ?? -1 };
}

/**
 * A constant B (op(B) is [K, Nc]) times alpha in NR-column panels [nb][K][NR], zero columns padding the last, written
 * straight into the program's memory (kernel.ts ConstWriter). One small function per layout, so V8 optimizes the loop
 * on its own (inline in the kernel factory it ran at ~35 ns per weight: 19 ms for ResNet-18's 512x1000 classifier).
 */
export function packConstB(src: Float32Array, K: number, Nc: number, transB: boolean, alpha: number): ConstWriter {
  const nbs = Math.ceil(Nc / NR);
  const write = (out: Float32Array) => {
    for (let nb = 0, d = 0; nb < nbs; nb++) {
      const n0 = nb * NR, cols = Math.min(NR, Nc - n0);
      for (let k = 0; k < K; k++, d += NR) {
        // n * K + k (transB: B is [Nc, K]) or k * Nc + n
        for (let c = 0; c < cols; c++) out[d + c] = alpha * src[transB ? (n0 + c) * K + k : k * Nc + n0 + c]!;
        for (let c = cols; c < NR; c++) out[d + c] = 0;
      }
    }
  };
  return { length: nbs * K * NR, write, writesAll: true };
}

export const gemmKernel: KernelFactory = (node, opts) => {
  const parts = gemmParts(node);
  if (!parts || !opts.simd) return null;
  const [a, b] = node.inputs;
  if ([a, b, node.outputs[0]].some((v) => v?.type.dtype !== 'float32')) return null;
  const as = staticShape(a), bs = staticShape(b), ys = staticShape(node.outputs[0]);
  if (bs.length !== 2 || as.length < 2) return null;
  const gemm = parts.op === 'Gemm';
  const transA = gemm && !!parts.attrs.transA, transB = gemm && !!parts.attrs.transB;
  const alpha = gemm ? Number(parts.attrs.alpha ?? 1) : 1, beta = gemm ? Number(parts.attrs.beta ?? 1) : 1;
  if (transA && as.length !== 2) return null;
  const R = transA ? as[1]! : prod(as.slice(0, -1)), K = transA ? as[0]! : as[as.length - 1]!;
  const Nc = transB ? bs[0]! : bs[1]!;
  const steps = parts.steps;
  const cInput = parts.cInput;
  const ep = splitEpilogue(node, steps, ys, ys.length - 2, opts.simdEpilogue !== false);
  if (!ep || (ys.length > 2 && operandSteps(ep.simd).some((s) => s.per === 'row'))) return null;
  // Rows per A panel: MR, or R when R < MR (each output sums the same products in the same order: same bits).
  const mr = Math.min(R, MR);
  const mbs = Math.ceil(R / mr), nbs = Math.ceil(Nc / NR);
  const aPanel = mbs * K * mr * 4, bPanel = nbs * K * NR * 4;
  const constB = !!b!.const;
  const consts: KernelConst[] = [];
  if (constB) consts.push(packConstB(b!.const!.data as Float32Array, K, Nc, transB, alpha));
  // beta folds into a constant C; a C computed at run time is scaled into scratch while A is packed.
  const c = cInput >= 0 && beta !== 1 ? node.inputs[cInput]! : null;
  const scaledC = c?.const ? Float32Array.from(c.const.data as ArrayLike<number>, (v) => v * beta) : null;
  if (scaledC) consts.push(scaledC);
  const fedC = c && !c.const ? prod(staticShape(c)) : 0;
  return {
    kind: `${parts.op} ${R}x${K}x${Nc}${transA ? ' tA' : ''}${transB ? ' tB' : ''}${fedC ? ' (beta * C per run)' : ''}`,
    scratchBytes: aPanel + (constB ? 0 : bPanel) + fedC * 4,
    scratchShared: true,
    consts,
    emit(ctx) {
      const fn = ctx.wasmName('gemm');
      const code = emitGemm({ M: R, N: Nc, K, MR: mr, V, ldc: Nc, steps: ep.simd, rowsOuter: R > Nc });
      const A = ctx.at(a) / 4, Y = ctx.at(node.outputs[0]);
      const sa = ctx.scratch / 4, sb = sa + aPanel / 4;
      const bAddr = constB ? ctx.consts[0]! : sb * 4;
      const sc = sb + (constB ? 0 : bPanel / 4);
      const at = (i: number) => (i !== cInput || !c ? ctx.at(node.inputs[i]) : scaledC ? ctx.consts[constB ? 1 : 0]! : sc * 4);
      const scaleC = fedC ? `{
    ${split(fedC, 'lo3', 'hi3')}
    for (let i = lo3; i < hi3; i++) F[${sc} + i] = F[${ctx.at(c) / 4} + i] * ${lit(beta)};
    }` : '';
      const scale = !constB && alpha !== 1 ? ` * ${lit(alpha)}` : '';
      const packA = `${split(mbs)}
    for (let mb = lo; mb < hi; mb++) for (let k = 0; k < ${K}; k++) for (let r = 0; r < ${mr}; r++) {
      const m = mb * ${mr} + r;
      F[${sa} + (mb * ${K} + k) * ${mr} + r] = m < ${R} ? F[${A} + ${transA ? `k * ${R} + m` : `m * ${K} + k`}]${scale} : 0;
    }`;
      const B = constB ? 0 : ctx.at(b) / 4;
      const packB = constB ? '' : `{
    ${split(nbs, 'lo2', 'hi2')}
    for (let nb = lo2; nb < hi2; nb++) for (let k = 0; k < ${K}; k++) for (let c = 0; c < ${NR}; c++) {
      const n = nb * ${NR} + c;
      F[${sb} + (nb * ${K} + k) * ${NR} + c] = n < ${Nc} ? F[${B} + ${transB ? `n * ${K} + k` : `k * ${Nc} + n`}] : 0;
    }}`;
      const byRows = mbs >= nbs;
      const ops = operandSteps(ep.simd).map((_, i) => `, ${at(ep.simdOperands[i]!)}`).join('');
      const phases = [
        { js: `${packA}\n    ${packB}\n    ${scaleC}` },
        { js: `${split(byRows ? mbs : nbs)}\n    W.${fn}(${sa * 4}, ${bAddr}, ${Y}, ${byRows ? 'lo, hi' : `0, ${mbs}`}, ${byRows ? `0, ${nbs}` : 'lo, hi'}${ops});` },
      ];
      if (ep.tail.length) {
        phases.push({ js: `${split(R)}\n    ${tailPassJs(ep.tail, { y: String(Y / 4), cols: Nc, channels: R, operand: (i) => String(at(i) / 4) })}` });
      }
      return { phases, wasm: [{ name: fn, code }] };
    },
  };
};
