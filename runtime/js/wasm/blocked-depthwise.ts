// Depthwise convolution of one channel block in the blocked layout NCHWc4 (../layout.ts), in WebAssembly SIMD:
// a pixel's 4 channels are one f32x4, so every output vector is one pixel of the block and every tap is one aligned
// v128 load, whatever the stride (the NCHW kernel, ./depthwise.ts, loads twice and shuffles for stride 2 and stores
// a row's last partial vector lane by lane). The kernel reads the block where it lies: output pixels whose window is
// inside the input run unchecked; the others (the padding's border rows and columns, known at compile time) check each
// tap. The tap weights are 4-channel vectors held in locals across the block. Epilogue: a per-channel operand is one
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
}

/** The output range [lo, hi) whose windows lie inside an input of size `n` on one axis. */
function inside(n: number, out: number, pad: number, k: number, s: number, d: number): [number, number] {
  const lo = Math.min(out, Math.ceil(pad / s));
  const hi = Math.max(lo, Math.min(out, Math.floor((n - 1 - (k - 1) * d + pad) / s) + 1));
  return [lo, hi];
}

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
  code.i32(0).set(oy);
  code.block().loop();
  code.get(oy).i32(s.OH).op('i32.ge_s').brIf(1);
  // Interior rows: checked left border, unchecked run (xp: the window's corner), checked right border.
  code.get(oy).i32(oyLo).op('i32.ge_s').get(oy).i32(oyHi).op('i32.lt_s').op('i32.and').if_();
  checkedRange(0, oxLo);
  if (oxHi > oxLo) {
    code.get(X).get(oy).i32(s.SH).op('i32.mul').i32(s.PT).op('i32.sub').i32(s.W * 16).op('i32.mul').op('i32.add').i32((oxLo * s.SW - s.PL) * 16).op('i32.add').set(xp);
    code.get(yp).i32((oxHi - oxLo) * 16).op('i32.add').set(yEnd);
    code.loop();
    code.v128zero().set(acc);
    for (let ky = 0; ky < s.KH; ky++) for (let kx = 0; kx < s.KW; kx++) {
      code.get(acc).get(xp).mem('v128.load', (ky * s.DH * s.W + kx * s.DW) * 16).get(wv[ky * s.KW + kx]!).op('f32x4.mul').op('f32x4.add').set(acc);
    }
    finish();
    code.addTo(xp, s.SW * 16).addTo(yp, 16);
    code.get(yp).get(yEnd).op('i32.ne').brIf(0);
    code.op('end');
  }
  checkedRange(oxHi, s.OW);
  code.else_();
  checkedRange(0, s.OW);
  code.op('end');
  code.addTo(oy, 1).br(0);
  code.op('end').op('end');
  return code;
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
