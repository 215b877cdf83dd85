// The transforms of the small-map Winograd convolution (../kernels/winograd-small.ts), where the tiles of an image
// are few: the GEMMs there run transposed, M_ξ^T[tiles, M] = V_ξ^T[tiles, C] U_ξ[C, M], so the tiles are the
// micro-kernel's 4 rows and every tile is used (../wasm/winograd.ts packs four horizontally neighbouring tiles per
// vector and pads each tile row to a multiple of 4: a 7x7 map with F(4x4) is 2x2 tiles computed as 2x4).
//   input:  each channel copied into a zero-padded plane, then V = B^T d B for four consecutive tiles at once (in
//           row-major tile order, wrapping across tile rows), the lanes gathered from the four tiles' windows,
//           stored as the GEMM's A panels [tiles/4][C][4] (one panel set per ξ);
//   output: Y = A^T M A with the four lanes holding four output channels of one tile (M^T rows are per tile),
//           the fused epilogue applied, each lane stored into its channel's plane.
// Same arithmetic, in the same order, as ../wasm/winograd.ts per output element, so the same error bound holds
// (test/helpers/winograd-bound.ts).
import { Code, I32, V128 } from './encode.ts';
import type { SimdStep } from './simd-act.ts';
import { emitSimdEpilogue, operandParams } from './epilogue.ts';
import { combine, constants } from './winograd.ts';
import type { WinogradTransform } from './winograd-matrices.ts';

export interface GatherShape {
  t: WinogradTransform;
  C: number; H: number; W: number; PT: number; PL: number;
  /** Tile grid (TH x TW tiles of m x m outputs) and the padded plane's width (TW*m + 2). */
  TH: number; TW: number; PW: number;
  /** Floats between the panel sets of two ξ (>= ceil(TH*TW/4) * C * 4). */
  xiStride: number;
}

/** Padded plane rows: every tile's alpha rows (TH*m + 2). */
export const paddedRows = (s: { t: WinogradTransform; TH: number }) => s.TH * s.t.m + 2;

/** Parameters: x (the image's channel 0), pad (one padded plane of scratch), v (panel sets), c0, c1 (channels). */
export function emitGatherInput(s: GatherShape): Code {
  const { m, alpha, BT } = s.t;
  const code = new Code([I32, I32, I32, I32, I32]);
  const [X, PAD, VB, C0, C1] = [0, 1, 2, 3, 4];
  const T = s.TH * s.TW, groups = Math.ceil(T / 4), PH = paddedRows(s), planeFloats = PH * s.PW;
  const c = code.local(I32), sp = code.local(I32), dp = code.local(I32), r = code.local(I32), q = code.local(I32), vp = code.local(I32);
  const ty = code.local(I32), tx = code.local(I32), t = code.local(I32);
  const off = Array.from({ length: 4 }, () => code.local(I32));
  const d = Array.from({ length: alpha }, () => code.local(V128));
  const Tm = Array.from({ length: alpha * alpha }, () => code.local(V128));
  const konst = constants(code, [BT]);
  code.get(C0).set(c);
  code.block().loop();
  code.get(c).get(C1).op('i32.ge_s').brIf(1);
  // The zero-padded plane of channel c: input (iy, ix) at padded (iy + PT, ix + PL).
  for (let k = 0; k + 4 <= planeFloats; k += 4) code.get(PAD).v128zero().mem('v128.store', k * 4);
  for (let k = planeFloats - (planeFloats % 4); k < planeFloats; k++) code.get(PAD).f32(0).mem('f32.store', k * 4);
  code.get(X).get(c).i32(s.H * s.W * 4).op('i32.mul').op('i32.add').set(sp);
  code.get(PAD).i32((s.PT * s.PW + s.PL) * 4).op('i32.add').set(dp);
  code.i32(s.H).set(r);
  code.loop();
  for (let k = 0; k + 4 <= s.W; k += 4) code.get(dp).get(sp).mem('v128.load', k * 4).mem('v128.store', k * 4);
  for (let k = s.W - (s.W % 4); k < s.W; k++) code.get(dp).get(sp).mem('f32.load', k * 4).mem('f32.store', k * 4);
  code.addTo(sp, s.W * 4).addTo(dp, s.PW * 4);
  code.get(r).i32(1).op('i32.sub').tee(r).brIf(0);
  code.op('end');
  // Groups of four tiles in row-major order; lanes past the last tile repeat it (their GEMM rows are never read).
  code.i32(0).set(ty).i32(0).set(tx).i32(0).set(t).i32(0).set(q);
  code.get(VB).get(c).i32(16).op('i32.mul').op('i32.add').set(vp);
  code.loop();
  for (let l = 0; l < 4; l++) {
    code.get(PAD).get(ty).i32(m * s.PW * 4).op('i32.mul').op('i32.add').get(tx).i32(m * 4).op('i32.mul').op('i32.add').set(off[l]!);
    // Next tile, unless this one is the last.
    code.get(t).i32(T - 1).op('i32.lt_s').if_();
    code.addTo(t, 1).addTo(tx, 1);
    code.get(tx).i32(s.TW).op('i32.eq').if_().i32(0).set(tx).addTo(ty, 1).op('end');
    code.op('end');
  }
  for (let col = 0; col < alpha; col++) {
    for (let row = 0; row < alpha; row++) {
      const at = (row * s.PW + col) * 4;
      code.get(off[0]!).mem('v128.load32_splat', at);
      for (let l = 1; l < 4; l++) code.set(d[row]!).get(off[l]!).get(d[row]!).lane('v128.load32_lane', at, l);
      code.set(d[row]!);
    }
    for (let i = 0; i < alpha; i++) { combine(code, BT[i]!, (k) => code.get(d[k]!), konst); code.set(Tm[i * alpha + col]!); }
  }
  for (let i = 0; i < alpha; i++) for (let j = 0; j < alpha; j++) {
    code.get(vp);
    combine(code, BT[j]!, (k) => code.get(Tm[i * alpha + k]!), konst);
    code.mem('v128.store', (i * alpha + j) * s.xiStride * 4);
  }
  code.addTo(vp, s.C * 16).addTo(q, 1).get(q).i32(groups).op('i32.lt_s').brIf(0);
  code.op('end');
  code.addTo(c, 1).br(0);
  code.op('end').op('end');
  return code;
}

export interface ChannelOutputShape {
  t: WinogradTransform;
  M: number; OH: number; OW: number; TH: number; TW: number;
  /** Floats between the GEMM outputs M_ξ^T of two ξ (each [tiles][M], row stride M). */
  xiStride: number;
  steps: SimdStep[];
}

/**
 * Parameters: mt (GEMM outputs), y (the image's output), ch0, ch1 (channels; ch0 a multiple of 4, ch1 a multiple of
 * 4 or M), then one address per operand step (row: per channel; full: the image's operand; scalar).
 */
export function emitChannelOutput(s: ChannelOutputShape): Code {
  const { m, alpha, AT } = s.t;
  const code = new Code([I32, I32, I32, I32, ...new Array(operandParams(s.steps)).fill(I32)]);
  const [MT, Y, CH0, CH1] = [0, 1, 2, 3];
  const plane = s.OH * s.OW;
  const cb = code.local(I32), ty = code.local(I32), tx = code.local(I32), mp = code.local(I32), yp = code.local(I32);
  const Z = Array.from({ length: m * alpha }, () => code.local(V128));
  const col = Array.from({ length: alpha }, () => code.local(V128));
  const acc = code.local(V128), tmp = code.local(V128), zero = code.local(V128), opv = code.local(V128);
  const konst = constants(code, [AT]);
  code.v128zero().set(zero);

  /** All tiles of the channel block at cb, `lanes` channels wide. */
  const block = (lanes: number) => {
    code.i32(0).set(ty);
    code.loop();
    code.i32(0).set(tx);
    code.loop();
    code.get(MT).get(ty).i32(s.TW).op('i32.mul').get(tx).op('i32.add').i32(s.M).op('i32.mul').get(cb).op('i32.add').i32(4).op('i32.mul').op('i32.add').set(mp);
    // yp: output (channel cb, row ty*m, column tx*m).
    code.get(Y).get(cb).i32(plane).op('i32.mul').get(ty).i32(m * s.OW).op('i32.mul').op('i32.add').get(tx).i32(m).op('i32.mul').op('i32.add').i32(4).op('i32.mul').op('i32.add').set(yp);
    for (let k = 0; k < alpha; k++) {
      for (let r = 0; r < alpha; r++) code.get(mp).mem('v128.load', (r * alpha + k) * s.xiStride * 4).set(col[r]!);
      for (let i = 0; i < m; i++) { combine(code, AT[i]!, (r) => code.get(col[r]!), konst); code.set(Z[i * alpha + k]!); }
    }
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
      // Inside the output? (the last tile row and column may overhang)
      code.get(ty).i32(m).op('i32.mul').i32(i).op('i32.add').i32(s.OH).op('i32.lt_s');
      code.get(tx).i32(m).op('i32.mul').i32(j).op('i32.add').i32(s.OW).op('i32.lt_s').op('i32.and').if_();
      combine(code, AT[j]!, (k) => code.get(Z[i * alpha + k]!), konst);
      code.set(acc);
      const at = (i * s.OW + j) * 4; // byte offset of this output from yp
      const gather = (base: () => void, step: number) => {
        code.v128zero().set(opv);
        for (let l = 0; l < lanes; l++) { base(); code.get(opv).lane('v128.load32_lane', l * step, l).set(opv); }
        code.get(opv);
      };
      emitSimdEpilogue(code, s.steps, acc, tmp, zero, 4, {
        row: (p) => (lanes === 4 ? code.get(p).get(cb).i32(4).op('i32.mul').op('i32.add').mem('v128.load', 0)
          : gather(() => code.get(p).get(cb).i32(4).op('i32.mul').op('i32.add'), 4)),
        col: null,
        scalar: (p) => code.get(p).mem('v128.load32_splat', 0),
        full: (p) => gather(() => code.get(yp).get(p).op('i32.add').get(Y).op('i32.sub').i32(at).op('i32.add'), plane * 4),
      });
      for (let l = 0; l < lanes; l++) code.get(yp).get(acc).lane('v128.store32_lane', at + l * plane * 4, l);
      code.op('end');
    }
    code.addTo(tx, 1).get(tx).i32(s.TW).op('i32.lt_s').brIf(0);
    code.op('end');
    code.addTo(ty, 1).get(ty).i32(s.TH).op('i32.lt_s').brIf(0);
    code.op('end');
  };

  code.get(CH0).set(cb);
  code.block().loop();
  code.get(cb).i32(4).op('i32.add').get(CH1).op('i32.gt_s').brIf(1);
  block(4);
  code.addTo(cb, 4).br(0);
  code.op('end').op('end');
  if (s.M % 4) {
    code.get(cb).get(CH1).op('i32.lt_s').if_();
    block(s.M % 4);
    code.op('end');
  }
  return code;
}
