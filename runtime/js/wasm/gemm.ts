// The packed GEMM micro-kernel in WebAssembly SIMD, specialized to one shape: C[M,N] = A[M,K] * B[K,N]
// followed by the fused epilogue while the accumulators are still in registers.
//   A is packed in row panels  [ceil(M/MR)][K][MR] (zero rows pad the last panel),
//   B is packed in column panels [ceil(N/NR)][K][NR], NR = 4*V (zero columns pad the last panel),
//   C is row-major with row stride ldc.
// One block computes MR x NR outputs in MR*V f32x4 accumulators: per k, V vector loads of B and MR
// broadcast loads of A feed MR*V multiply-adds. The block loops run over [mb0, mb1) x [nb0, nb1) so
// threads split either dimension. MR x NR = 4 x 8 (kernels/conv.ts) is the largest tile V8 keeps in registers:
// it hoists all MR broadcasts of a step, so 5x8, 6x8 and 4x12 spill accumulators (bench/gemm.ts: ~25 against
// ~48 GFLOP/s for 4x8, whose loop is 6 loads, 8 mul, 8 add and one pointer compare). Loop order is chosen per shape: the larger operand is streamed once.
// 4x8 is also near the ceiling: in cache it runs at 49-51 GFLOP/s against the 52-58 that bench/gemm.ts measures as
// 8 x the f32x4.add rate (Zen 5, 2 FADD + 2 FMUL pipes). TurboFan leaves 15 xmm registers (xmm15 is scratch) and a
// K step needs MR*V accumulators + V B vectors + a broadcast + a product: 6x8 and 4x12 need 16 and spill whatever
// the order. Wrapping each row after the first in an always-true `if` stops the broadcast hoisting (3x12: 35 -> 50,
// 5x8: 25 -> 44) but no tile beat 4x8. f32x4.relaxed_madd (FMA) is behind --experimental-wasm-relaxed-simd in Node 20.
// Epilogue steps (from src/ops/fused.ts) apply per row operand (conv channel), per column operand
// (Gemm bias) or full operand (residual); activations are the SIMD forms in ./simd-act.ts.
import { Code, I32, V128 } from './encode.ts';
import type { SimdStep } from './simd-act.ts';
import { emitSimdEpilogue, operandParams } from './epilogue.ts';

export interface GemmShape {
  M: number; N: number; K: number;
  /** Rows and column vectors per register block. */
  MR: number; V: number;
  ldc: number;
  /** Epilogue, applied in order; operand steps name the parameter slot of their base address. */
  steps: SimdStep[];
  /** Stream A once (rows outer) instead of B (columns outer). */
  rowsOuter: boolean;
  /**
   * B read in place as a row-major [K, N] matrix with row stride ldb floats (a 1x1 conv's input), instead of
   * packed panels. Lanes past N in the last block read whatever follows and are never stored.
   */
  ldb?: number;
  /** K steps per loop iteration (static memarg offsets; the K % unroll remainder runs after the loop). Default 1: with 2, V8 hoists the second step's loads and spills accumulators (bench/gemm.ts). */
  unroll?: number;
}

/** Parameters: a, b, c, mb0, mb1, nb0, nb1, then one base address per operand step (in step order). */
export function emitGemm(s: GemmShape): Code {
  const code = new Code([I32, I32, I32, I32, I32, I32, I32, ...new Array(operandParams(s.steps)).fill(I32)]);
  const [A, B, C, MB0, MB1, NB0, NB1] = [0, 1, 2, 3, 4, 5, 6];
  const NR = 4 * s.V;
  const fullMB = Math.floor(s.M / s.MR), tailRows = s.M % s.MR;
  const fullNB = Math.floor(s.N / NR), tailCols = s.N % NR;
  const mb = code.local(I32), nb = code.local(I32), ap = code.local(I32), bp = code.local(I32), cp = code.local(I32), bEnd = code.local(I32);
  const acc = Array.from({ length: s.MR * s.V }, () => code.local(V128));
  const bv = Array.from({ length: s.V }, () => code.local(V128));
  const av = code.local(V128), tmp = code.local(V128), zero = code.local(V128);
  code.v128zero().set(zero);

  const block = (rows: number, cols: number) => {
    // Addresses of this block: A panel, B panel, C corner.
    code.get(A).get(mb).i32(s.K * s.MR * 4).op('i32.mul').op('i32.add').set(ap);
    const kStep = s.ldb ? s.ldb * 4 : NR * 4;
    code.get(B).get(nb).i32(s.ldb ? NR * 4 : s.K * NR * 4).op('i32.mul').op('i32.add').set(bp);
    code.get(C).get(mb).i32(s.MR * s.ldc * 4).op('i32.mul').op('i32.add').get(nb).i32(NR * 4).op('i32.mul').op('i32.add').set(cp);
    for (const a of acc) code.v128zero().set(a);
    // K loop, `unroll` steps per iteration through static memarg offsets, ending when bp reaches bEnd (no
    // counter: V8 keeps the loop's pointers in registers), then the K % unroll remaining steps.
    const unroll = Math.max(1, Math.min(s.unroll ?? 1, s.K)), iters = Math.floor(s.K / unroll), rest = s.K % unroll;
    const vs = Math.ceil(cols / 4); // an edge block of fewer columns loads and multiplies only the vectors it stores
    const steps = (n: number) => {
      for (let u = 0; u < n; u++) {
        for (let v = 0; v < vs; v++) code.get(bp).mem('v128.load', u * kStep + 4 * v * 4).set(bv[v]!);
        for (let r = 0; r < rows; r++) {
          code.get(ap).mem('v128.load32_splat', (u * s.MR + r) * 4).set(av);
          for (let v = 0; v < vs; v++) {
            const a = acc[r * s.V + v]!;
            code.get(a).get(av).get(bv[v]!).op('f32x4.mul').op('f32x4.add').set(a);
          }
        }
      }
    };
    code.get(bp).i32(iters * unroll * kStep).op('i32.add').set(bEnd);
    code.loop();
    steps(unroll);
    code.addTo(ap, unroll * s.MR * 4).addTo(bp, unroll * kStep);
    code.get(bp).get(bEnd).op('i32.ne').brIf(0);
    code.op('end');
    steps(rest);
    // Epilogue and stores.
    for (let r = 0; r < rows; r++) {
      for (let v = 0; v < s.V; v++) {
        const lanes = Math.min(4, cols - 4 * v);
        if (lanes <= 0) continue;
        const a = acc[r * s.V + v]!;
        const at = (r * s.ldc + 4 * v) * 4; // byte offset of this vector from the block corner
        emitSimdEpilogue(code, s.steps, a, tmp, zero, 7, {
          row: (p) => code.get(p).get(mb).i32(s.MR * 4).op('i32.mul').op('i32.add').mem('v128.load32_splat', r * 4),
          col: (p) => code.get(p).get(nb).i32(NR * 4).op('i32.mul').op('i32.add').mem('v128.load', 4 * v * 4),
          scalar: (p) => code.get(p).mem('v128.load32_splat', 0),
          full: (p) => code.get(cp).get(p).op('i32.add').get(C).op('i32.sub').mem('v128.load', at),
        });
        if (lanes === 4) code.get(cp).get(a).mem('v128.store', at);
        else for (let l = 0; l < lanes; l++) code.get(cp).get(a).lane('v128.store32_lane', at + 4 * l, l);
      }
    }
  };

  // Runs `body` for idx in [lo, min(hi, full)), then the tail block when the range reaches it.
  const range = (idx: number, lo: number, hi: number, full: number, tail: number, body: (n: number) => void) => {
    code.get(lo).set(idx);
    code.block().loop();
    code.get(idx).get(hi).op('i32.ge_s').brIf(1);
    code.get(idx).i32(full).op('i32.ge_s').brIf(1);
    body(0);
    code.addTo(idx, 1).br(0);
    code.op('end').op('end');
    if (tail > 0) {
      // (hi > full) + (lo <= full) == 2  <=>  the tail block is in range
      code.get(hi).i32(full).op('i32.gt_s').get(lo).i32(full).op('i32.le_s').op('i32.add').i32(2).op('i32.eq').if_();
      code.i32(full).set(idx);
      body(tail);
      code.op('end');
    }
  };
  if (s.rowsOuter) {
    range(mb, MB0, MB1, fullMB, tailRows, (rt) => range(nb, NB0, NB1, fullNB, tailCols, (ct) => block(rt || s.MR, ct || NR)));
  } else {
    range(nb, NB0, NB1, fullNB, tailCols, (ct) => range(mb, MB0, MB1, fullMB, tailRows, (rt) => block(rt || s.MR, ct || NR)));
  }
  return code;
}
