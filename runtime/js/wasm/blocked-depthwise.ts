// Depthwise convolution of one channel block in the blocked layout NCHWc4 (../layout.ts), in WebAssembly SIMD:
// a pixel's 4 channels are one f32x4, so every output vector is one pixel of the block and every tap is one aligned
// v128 load, whatever the stride (the NCHW kernel, ./depthwise.ts, loads twice and shuffles for stride 2 and stores
// a row's last partial vector lane by lane). The kernel reads the block where it lies: output pixels whose window is
// inside the input run unchecked; the others (the padding's border rows and columns, known at compile time) are
// generated one by one with only their valid taps (a 3x3 pad-1 conv on a 7x7 plane has 24 border pixels of 49: checking
// each tap at run time made such layers ~2x slower), in the same tap order as a run-time check, which a plane with too
// many distinct border pixels (large pads on a small plane) still uses. The tap weights are 4-channel vectors held in locals across the block. Epilogue: a per-channel operand is one
// vector per block, a full operand shares the output's layout. emitGatherBlock interleaves 4 NCHW planes into a block
// (a region's entry).
import { Code, I32, V128 } from './encode.ts';
import type { SimdPer, SimdStep } from './simd-act.ts';
import { emitSimdEpilogue, operandParams } from './epilogue.ts';

/** Operand layouts the block kernel addresses: 'row' = per channel (the caller passes the block's 4 channels). */
export const BLOCKED_OPERANDS: readonly SimdPer[] = ['row', 'full', 'scalar'];

export interface BlockedDepthwiseShape {
  H: number; W: number; PT: number; PL: number;
  OH: number; OW: number; KH: number; KW: number; SH: number; SW: number; DH: number; DW: number;
  steps: SimdStep[];
  /** Border pixels are specialized at compile time up to this many bodies (default MAX_BORDER_BODIES); 0: all checked. */
  maxBorderBodies?: number;
}

/** The output range [lo, hi) whose windows lie inside an input of size `n` on one axis. */
function inside(n: number, out: number, pad: number, k: number, s: number, d: number): [number, number] {
  const lo = Math.min(out, Math.ceil(pad / s));
  const hi = Math.max(lo, Math.min(out, Math.floor((n - 1 - (k - 1) * d + pad) / s) + 1));
  return [lo, hi];
}

/** Border pixel bodies generated at most (rows x columns of the border), else the taps are checked at run time. */
const MAX_BORDER_BODIES = 96;

/** Parameters: x (the block's input plane), y (its output plane), w (KH*KW tap vectors), then one address per operand step. */
export function emitBlockedDepthwise(s: BlockedDepthwiseShape): Code {
  const code = new Code([I32, I32, I32, ...new Array(operandParams(s.steps)).fill(I32)]);
  const [X, Y, Wt] = [0, 1, 2];
  const oy = code.local(I32), ox = code.local(I32), xp = code.local(I32), yp = code.local(I32), yEnd = code.local(I32), iy = code.local(I32), ix = code.local(I32);
  const taps = s.KH * s.KW;
  const wv = Array.from({ length: taps }, () => code.local(V128));
  const acc = code.local(V128), tmp = code.local(V128), zero = code.local(V128);
  code.v128zero().set(zero);
  for (let k = 0; k < taps; k++) code.get(Wt).mem('v128.load', k * 16).set(wv[k]!);
  const [oyLo, oyHi] = inside(s.H, s.OH, s.PT, s.KH, s.SH, s.DH), [oxLo, oxHi] = inside(s.W, s.OW, s.PL, s.KW, s.SW, s.DW);
  const allKy = Array.from({ length: s.KH }, (_, t) => t);

  // Epilogue and store of `acc` at yp.
  const finish = () => {
    emitSimdEpilogue(code, s.steps, acc, tmp, zero, 3, {
      row: (p) => code.get(p).mem('v128.load', 0),
      col: null,
      scalar: (p) => code.get(p).mem('v128.load32_splat', 0),
      full: (p) => code.get(yp).get(p).op('i32.add').get(Y).op('i32.sub').mem('v128.load', 0),
    });
    code.get(yp).get(acc).mem('v128.store', 0);
  };
  // A pixel whose window may leave the input (ox in local `ox`): each tap checks its row and column.
  const checked = () => {
    code.get(oy).i32(s.SH).op('i32.mul').i32(s.PT).op('i32.sub').set(iy);
    code.get(ox).i32(s.SW).op('i32.mul').i32(s.PL).op('i32.sub').set(ix);
    code.v128zero().set(acc);
    for (let ky = 0; ky < s.KH; ky++) for (let kx = 0; kx < s.KW; kx++) {
      code.get(iy).i32(ky * s.DH).op('i32.add').i32(s.H).op('i32.lt_u');
      code.get(ix).i32(kx * s.DW).op('i32.add').i32(s.W).op('i32.lt_u').op('i32.and').if_();
      code.get(acc).get(X).get(iy).i32(ky * s.DH).op('i32.add').i32(s.W).op('i32.mul').get(ix).op('i32.add').i32(kx * s.DW).op('i32.add').i32(16).op('i32.mul').op('i32.add')
        .mem('v128.load', 0).get(wv[ky * s.KW + kx]!).op('f32x4.mul').op('f32x4.add').set(acc);
      code.op('end');
    }
    finish();
  };
  // Pixels [a, b) of row oy, checked; yp advances.
  const checkedRange = (a: number, b: number) => {
    if (a >= b) return;
    code.i32(a).set(ox);
    code.block().loop();
    code.get(ox).i32(b).op('i32.ge_s').brIf(1);
    checked();
    code.addTo(yp, 16).addTo(ox, 1).br(0);
    code.op('end').op('end');
  };

  code.get(Y).set(yp);
  const borderRows = oyLo + s.OH - oyHi, borderCols = oxLo + s.OW - oxHi;
  if (borderRows * (borderCols + 1) + borderCols <= (s.maxBorderBodies ?? MAX_BORDER_BODIES)) {
    for (let r = 0; r < oyLo; r++) borderRow(r);
    if (oyHi > oyLo) {
      code.i32(oyLo).set(oy);
      code.loop();
      row(null);
      code.addTo(oy, 1).get(oy).i32(oyHi).op('i32.lt_s').brIf(0);
      code.op('end');
    }
    for (let r = oyHi; r < s.OH; r++) borderRow(r);
    return code;
  }
  // Too many distinct border pixels to specialize (large pads on a small plane): every tap checks at run time.
  code.i32(0).set(oy);
  code.block().loop();
  code.get(oy).i32(s.OH).op('i32.ge_s').brIf(1);
  // Interior rows: checked left border, unchecked run (xp: the window's corner), checked right border.
  code.get(oy).i32(oyLo).op('i32.ge_s').get(oy).i32(oyHi).op('i32.lt_s').op('i32.and').if_();
  checkedRange(0, oxLo);
  if (oxHi > oxLo) {
    code.get(X).get(oy).i32(s.SH).op('i32.mul').i32(s.PT).op('i32.sub').i32(s.W * 16).op('i32.mul').op('i32.add').i32((oxLo * s.SW - s.PL) * 16).op('i32.add').set(xp);
    interiorRun(allKy, 0);
  }
  checkedRange(oxHi, s.OW);
  code.else_();
  checkedRange(0, s.OW);
  code.op('end');
  code.addTo(oy, 1).br(0);
  code.op('end').op('end');
  return code;

  // The taps inside the input for output row oy (or column ox) on one axis.
  function valid(o: number, n: number, pad: number, k: number, st: number, d: number): number[] {
    return Array.from({ length: k }, (_, t) => t).filter((t) => o * st - pad + t * d >= 0 && o * st - pad + t * d < n);
  }
  // One output pixel from its taps in (kys x kxs), the input address of tap (ky, kx) being base + offset(ky, kx)
  // (base: a local, or none for a constant address); acc is summed in tap order, the checked path's order.
  function pixel(kys: number[], kxs: number[], base: number | null, offset: (ky: number, kx: number) => number) {
    code.v128zero().set(acc);
    for (const ky of kys) for (const kx of kxs) {
      code.get(acc);
      if (base === null) code.i32(0); else code.get(base);
      code.mem('v128.load', offset(ky, kx)).get(wv[ky * s.KW + kx]!).op('f32x4.mul').op('f32x4.add').set(acc);
    }
    finish();
    code.addTo(yp, 16);
  }
  // The unchecked run of interior columns of one row from xp (the window corner of the first tap row kys[0]).
  function interiorRun(kys: number[], rowBase: number) {
    code.get(yp).i32((oxHi - oxLo) * 16).op('i32.add').set(yEnd);
    code.loop();
    code.v128zero().set(acc);
    for (const ky of kys) for (let kx = 0; kx < s.KW; kx++) {
      code.get(acc).get(xp).mem('v128.load', ((ky * s.DH - rowBase) * s.W + kx * s.DW) * 16).get(wv[ky * s.KW + kx]!).op('f32x4.mul').op('f32x4.add').set(acc);
    }
    finish();
    code.addTo(xp, s.SW * 16).addTo(yp, 16);
    code.get(yp).get(yEnd).op('i32.ne').brIf(0);
    code.op('end');
  }
  // A row given at compile time (a border row): its valid tap rows are known, so every pixel is specialized.
  function borderRow(r: number) {
    const kys = valid(r, s.H, s.PT, s.KH, s.SH, s.DH), iy0 = r * s.SH - s.PT;
    const at = (ox: number) => (ky: number, kx: number) => ((iy0 + ky * s.DH) * s.W + ox * s.SW - s.PL + kx * s.DW) * 16;
    // Constant addresses need the block's base: X plus a non-negative offset.
    code.get(X).set(xp);
    for (let c = 0; c < oxLo; c++) pixel(kys, valid(c, s.W, s.PL, s.KW, s.SW, s.DW), xp, at(c));
    if (oxHi > oxLo) {
      if (kys.length) code.get(X).i32(((iy0 + kys[0]! * s.DH) * s.W + oxLo * s.SW - s.PL) * 16).op('i32.add').set(xp);
      if (kys.length) interiorRun(kys, kys[0]! * s.DH);
      else for (let c = oxLo; c < oxHi; c++) pixel([], [], null, () => 0);
      code.get(X).set(xp);
    }
    for (let c = oxHi; c < s.OW; c++) pixel(kys, valid(c, s.W, s.PL, s.KW, s.SW, s.DW), xp, at(c));
  }
  // An interior row (oy in its local at run time): all tap rows valid; border columns specialized.
  function row(_: null) {
    // ix: the row's input start, X + (oy*SH - PT) * W * 16 (non-negative inside [oyLo, oyHi)).
    code.get(X).get(oy).i32(s.SH).op('i32.mul').i32(s.PT).op('i32.sub').i32(s.W * 16).op('i32.mul').op('i32.add').set(ix);
    const at = (ox: number) => (ky: number, kx: number) => (ky * s.DH * s.W + ox * s.SW - s.PL + kx * s.DW) * 16;
    for (let c = 0; c < oxLo; c++) pixel(allKy, valid(c, s.W, s.PL, s.KW, s.SW, s.DW), ix, at(c));
    if (oxHi > oxLo) {
      code.get(ix).i32((oxLo * s.SW - s.PL) * 16).op('i32.add').set(xp);
      interiorRun(allKy, 0);
    }
    for (let c = oxHi; c < s.OW; c++) pixel(allKy, valid(c, s.W, s.PL, s.KW, s.SW, s.DW), ix, at(c));
  }
}

/** Interleaves 4 NCHW planes of H*W floats (plane stride in bytes) into one NCHWc4 block. Parameters: src (plane 0), dst. */
export function emitGatherBlock(pixels: number, planeBytes: number): Code {
  const code = new Code([I32, I32]);
  const [S, D] = [0, 1];
  const end = code.local(I32), v = code.local(V128);
  code.get(S).i32(pixels * 4).op('i32.add').set(end);
  code.block().loop();
  code.get(S).get(end).op('i32.ge_s').brIf(1);
  code.get(S).mem('v128.load32_splat', 0).set(v);
  for (let l = 1; l < 4; l++) code.get(S).get(v).lane('v128.load32_lane', l * planeBytes, l).set(v);
  code.get(D).get(v).mem('v128.store', 0);
  code.addTo(S, 4).addTo(D, 16).br(0);
  code.op('end').op('end');
  return code;
}
