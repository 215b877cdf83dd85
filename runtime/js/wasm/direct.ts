// Direct stride-1 convolution in WebAssembly SIMD, without im2col. The input of one image and group has
// been copied into a zero-padded buffer laid out row-major over (row, channel, column), so the rows one
// output row needs are contiguous for all channels (few pages, unlike CHW planes) — or is read in place
// (CHW) when the conv has no padding. Output (oy, ox) of tap (ky, kx) reads row oy + ky*DH, column ox + kx*DW:
// eight neighbouring outputs of a row are two unaligned v128 loads per tap. A block computes MR output
// channels x 8 columns of one output row in 8 f32x4 accumulators; the reduction walks the channels in a
// loop and the KH*KW taps unrolled with static offsets. Weights are the GEMM's packed panels
// [mb][c][ky][kx][MR]. The epilogue is the GEMM's (row operands per channel, full operands, activations).
import { Code, I32, V128 } from './encode.ts';
import type { SimdPer, SimdStep } from './simd-act.ts';
import { emitSimdEpilogue, operandParams } from './epilogue.ts';

/** Operand layouts the direct kernel addresses (a column operand would need the output column's index). */
export const DIRECT_OPERANDS: readonly SimdPer[] = ['row', 'full', 'scalar'];

export interface DirectShape {
  M: number; C: number; KH: number; KW: number; DH: number; DW: number;
  OH: number; OW: number; MR: number;
  /** Input strides in floats: between channels and between rows. */
  chanStride: number; rowStride: number;
  /**
   * Padded rows [lo, hi) that hold input (the rest is zero padding), when DH = 1: an output row skips the kernel
   * rows that would read only padding (a 3x3 pad-1 conv's first and last rows do 2 of 3 kernel rows).
   */
  dataRows?: [number, number];
  /** Channels per reduction chunk (default: as many as keep a chunk's weights within 8 KiB of L1). */
  chunk?: number;
  steps: SimdStep[];
}

/** Parameters: x (padded planes), y, a (packed weights), oy0, oy1, then one address per operand step. */
export function emitDirect(s: DirectShape): Code {
  const code = new Code([I32, I32, I32, I32, I32, ...new Array(operandParams(s.steps)).fill(I32)]);
  const [X, Y, A, OY0, OY1] = [0, 1, 2, 3, 4];
  const V = 2, NR = 8, MR = s.MR;
  const oy = code.local(I32), ox = code.local(I32), mb = code.local(I32), xrow = code.local(I32);
  const ap = code.local(I32), xp = code.local(I32), c = code.local(I32), cp = code.local(I32), ky = code.local(I32), kx = code.local(I32);
  const acc = Array.from({ length: MR * V }, () => code.local(V128));
  const bv = Array.from({ length: V }, () => code.local(V128));
  const av = code.local(V128), tmp = code.local(V128), zero = code.local(V128);
  code.v128zero().set(zero);
  const fullMB = Math.floor(s.M / MR), tailRows = s.M % MR;
  const fullNB = Math.floor(s.OW / NR), tailCols = s.OW % NR;
  const plane = s.OH * s.OW;
  // Channel chunks: partial sums go through the output between chunks, so one chunk's weights (CB*KH*KW*MR
  // floats) stay in L1 while the rows stream, instead of the whole reduction spilling to L2.
  const CB = s.chunk ?? Math.max(1, Math.min(s.C, Math.floor(8192 / (s.KH * s.KW * MR * 4))));
  const chunks = Math.ceil(s.C / CB), lastCB = s.C - (chunks - 1) * CB;
  const ch = code.local(I32);
  // Per output row: kernel rows [kyLo, kyLo + kyN) read input; byte skips of x and of the weights before and after.
  const skip = s.dataRows && s.DH === 1 ? s.dataRows : null;
  const kyN = code.local(I32), xSkip = code.local(I32), aSkip = code.local(I32), aRest = code.local(I32), xNext = code.local(I32);

  const block = (rows: number, cols: number) => {
    code.get(A).get(mb).i32(s.C * s.KH * s.KW * MR * 4).op('i32.mul').op('i32.add').get(ch).i32(CB * s.KH * s.KW * MR * 4).op('i32.mul').op('i32.add').set(ap);
    code.get(xrow).get(ox).op('i32.add').get(ch).i32(CB * s.chanStride * 4).op('i32.mul').op('i32.add').set(xp);
    // cp: output (mb*MR, oy, ox)
    code.get(Y).get(mb).i32(MR * plane * 4).op('i32.mul').op('i32.add').get(oy).i32(s.OW * 4).op('i32.mul').op('i32.add').get(ox).op('i32.add').set(cp);
    const vecs: [number, number, number, number][] = []; // [acc local, byte offset from cp, lanes, row]
    for (let r = 0; r < rows; r++) for (let v = 0; v < V; v++) {
      const lanes = Math.min(4, cols - 4 * v);
      if (lanes > 0) vecs.push([acc[r * V + v]!, (r * plane + 4 * v) * 4, lanes, r]);
    }
    const store = (a: number, at: number, lanes: number) => {
      if (lanes === 4) code.get(cp).get(a).mem('v128.store', at);
      else for (let l = 0; l < lanes; l++) code.get(cp).get(a).lane('v128.store32_lane', at + 4 * l, l);
    };
    for (const a of acc) code.v128zero().set(a);
    if (chunks > 1) {
      code.get(ch).op('i32.eqz').op('i32.eqz').if_();
      for (const [a, at] of vecs) code.get(cp).mem('v128.load', at).set(a);
      code.op('end');
    }
    // Reduction: channels x rows x columns of the window as three counted loops, one tap per iteration
    // (fully unrolled taps let the compiler hoist every load and spill the accumulators).
    if (skip) code.get(kyN).i32(0).op('i32.gt_s').if_();
    code.i32(lastCB).i32(CB).get(ch).i32(chunks - 1).op('i32.eq').op('select').set(c);
    code.loop();
    if (skip) code.get(xp).get(xSkip).op('i32.add').set(xp).get(ap).get(aSkip).op('i32.add').set(ap).get(kyN).set(ky);
    else code.i32(s.KH).set(ky);
    code.loop();
    code.i32(s.KW).set(kx);
    code.loop();
    // A last block of at most 4 columns loads and multiplies one vector, not V.
    const vs = Math.ceil(cols / 4);
    for (let v = 0; v < vs; v++) code.get(xp).mem('v128.load', 16 * v).set(bv[v]!);
    for (let r = 0; r < rows; r++) {
      code.get(ap).mem('v128.load32_splat', r * 4).set(av);
      for (let v = 0; v < vs; v++) {
        const a = acc[r * V + v]!;
        code.get(a).get(av).get(bv[v]!).op('f32x4.mul').op('f32x4.add').set(a);
      }
    }
    code.addTo(ap, MR * 4).addTo(xp, s.DW * 4);
    code.get(kx).i32(1).op('i32.sub').tee(kx).brIf(0);
    code.op('end');
    code.addTo(xp, (s.DH * s.rowStride - s.KW * s.DW) * 4);
    code.get(ky).i32(1).op('i32.sub').tee(ky).brIf(0);
    code.op('end');
    if (skip) code.get(xp).get(xNext).op('i32.add').set(xp).get(ap).get(aRest).op('i32.add').set(ap);
    else code.addTo(xp, (s.chanStride - s.KH * s.DH * s.rowStride) * 4);
    code.get(c).i32(1).op('i32.sub').tee(c).brIf(0);
    code.op('end');
    if (skip) code.op('end');
    if (chunks > 1) {
      code.get(ch).i32(chunks - 1).op('i32.ne').if_();
      for (const [a, at, lanes] of vecs) store(a, at, lanes);
      code.else_();
    }
    for (const [a, at, lanes, r] of vecs) {
      emitSimdEpilogue(code, s.steps, a, tmp, zero, 5, {
        row: (p) => code.get(p).get(mb).i32(MR * 4).op('i32.mul').op('i32.add').mem('v128.load32_splat', r * 4),
        col: null,
        scalar: (p) => code.get(p).mem('v128.load32_splat', 0),
        full: (p) => code.get(cp).get(p).op('i32.add').get(Y).op('i32.sub').mem('v128.load', at),
      });
      store(a, at, lanes);
    }
    if (chunks > 1) code.op('end');
  };

  // Channel blocks outermost: a block's packed weights (C*KH*KW*MR floats) stay in L1 while the rows stream.
  const rows = (mbRows: number) => {
    code.get(OY0).set(oy);
    code.block().loop();
    code.get(oy).get(OY1).op('i32.ge_s').brIf(1);
    code.get(X).get(oy).i32(s.rowStride * 4).op('i32.mul').op('i32.add').set(xrow);
    if (skip) {
      // kyLo = max(0, lo - oy), kyHi = min(KH, hi - oy), kyN = kyHi - kyLo (<= 0: only padding; the reduction is skipped)
      const [lo, hi] = skip;
      const kyLo = () => code.i32(lo).get(oy).op('i32.sub').i32(0).i32(lo).get(oy).op('i32.sub').i32(0).op('i32.gt_s').op('select');
      const kyHi = () => code.i32(hi).get(oy).op('i32.sub').i32(s.KH).i32(hi).get(oy).op('i32.sub').i32(s.KH).op('i32.lt_s').op('select');
      kyHi(); kyLo(); code.op('i32.sub').set(kyN);
      kyLo(); code.i32(s.rowStride * 4).op('i32.mul').set(xSkip);
      kyLo(); code.i32(s.KW * MR * 4).op('i32.mul').set(aSkip);
      code.i32(s.KH); kyHi(); code.op('i32.sub').i32(s.KW * MR * 4).op('i32.mul').set(aRest);
      code.i32(s.chanStride * 4); kyHi(); code.i32(s.rowStride * 4).op('i32.mul').op('i32.sub').set(xNext);
    }
    if (fullNB > 0) {
      code.i32(0).set(ox);
      code.loop();
      block(mbRows, NR);
      code.addTo(ox, NR * 4).get(ox).i32(fullNB * NR * 4).op('i32.lt_s').brIf(0);
      code.op('end');
    }
    if (tailCols) { code.i32(fullNB * NR * 4).set(ox); block(mbRows, tailCols); }
    code.addTo(oy, 1).br(0);
    code.op('end').op('end');
  };
  code.i32(0).set(ch);
  code.loop();
  if (fullMB > 0) {
    code.i32(0).set(mb);
    code.loop();
    rows(MR);
    code.addTo(mb, 1).get(mb).i32(fullMB).op('i32.lt_s').brIf(0);
    code.op('end');
  }
  if (tailRows) { code.i32(fullMB).set(mb); rows(tailRows); }
  code.addTo(ch, 1).get(ch).i32(chunks).op('i32.lt_s').brIf(0);
  code.op('end');
  return code;
}
