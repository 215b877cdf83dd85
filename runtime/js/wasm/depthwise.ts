// Depthwise convolution of one plane in WebAssembly SIMD: four neighbouring outputs of a row per f32x4.
// The input plane has been copied into a zero-padded buffer (row pitch PW) beforehand, so the taps need
// no bounds checks: output (oy, ox) reads padded (oy*SH + ky*DH, ox*SW + kx*DW). With stride 1 a tap is
// one unaligned v128 load; with stride 2 it is two loads and a shuffle of the even lanes; other strides
// build the vector lane by lane. The epilogue (per-plane scalars, full operands, SIMD activations) is
// applied before the store; a row's last partial vector stores lane by lane.
import { Code, I32, V128 } from './encode.ts';
import type { SimdPer, SimdStep } from './simd-act.ts';
import { emitSimdEpilogue, operandParams } from './epilogue.ts';

/** Operand layouts the plane kernel addresses: a row is the plane's channel (its address is the caller's), so one splat. */
export const DEPTHWISE_OPERANDS: readonly SimdPer[] = ['row', 'full', 'scalar'];

export interface DepthwiseShape {
  OH: number; OW: number; KH: number; KW: number; SH: number; SW: number; DH: number; DW: number;
  /** Row pitch of the padded input plane, in floats. */
  PW: number;
  steps: SimdStep[];
  /** 'mac': weighted sum (depthwise conv); 'max': max pooling; 'avg': sum times `scale` (average pooling). */
  mode?: 'mac' | 'max' | 'avg';
  scale?: number;
}

/** Parameters: xPadded, y, w (KH*KW taps), then one address per operand step. */
export function emitDepthwise(s: DepthwiseShape): Code {
  const code = new Code([I32, I32, I32, ...new Array(operandParams(s.steps)).fill(I32)]);
  const [X, Y, Wt] = [0, 1, 2];
  const oy = code.local(I32), ox = code.local(I32), xr = code.local(I32), yr = code.local(I32), xp = code.local(I32);
  const taps = s.KH * s.KW;
  const wv = Array.from({ length: (s.mode ?? 'mac') === 'mac' ? taps : 0 }, () => code.local(V128));
  const acc = code.local(V128), t = code.local(V128), tmp = code.local(V128), zero = code.local(V128);
  code.v128zero().set(zero);
  const mode = s.mode ?? 'mac';
  if (mode === 'mac') for (let k = 0; k < taps; k++) code.get(Wt).mem('v128.load32_splat', k * 4).set(wv[k]!);
  const full = Math.floor(s.OW / 4), tail = s.OW % 4;

  // Loads the input vector for tap (ky, kx) at output column base `xp` (bytes) onto the stack.
  const tapLoad = (ky: number, kx: number) => {
    const off = (ky * s.DH * s.PW + kx * s.DW) * 4;
    if (s.SW === 1) { code.get(xp).mem('v128.load', off); return; }
    if (s.SW === 2) {
      code.get(xp).mem('v128.load', off).get(xp).mem('v128.load', off + 16);
      code.bytes.push(0xfd, 0x0d, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27); // i8x16.shuffle: lanes 0, 2, 4, 6
      return;
    }
    code.get(xp).mem('v128.load32_splat', off);
    for (let l = 1; l < 4; l++) { code.get(xp).mem('f32.load', off + l * s.SW * 4); code.op('f32x4.replace_lane'); code.bytes.push(l); }
  };
  const vector = (lanes: number, col: number) => {
    // xp = xr + col * SW * 4 bytes (col = output column of lane 0, as a byte offset from the row start)
    code.get(xr).get(ox).i32(s.SW).op('i32.mul').op('i32.add').i32(col * s.SW * 4).op('i32.add').set(xp);
    if (mode === 'max') code.f32(-Infinity).op('f32x4.splat').set(acc);
    else code.v128zero().set(acc);
    for (let ky = 0; ky < s.KH; ky++) for (let kx = 0; kx < s.KW; kx++) {
      tapLoad(ky, kx);
      if (mode === 'mac') code.set(t).get(acc).get(t).get(wv[ky * s.KW + kx]!).op('f32x4.mul').op('f32x4.add').set(acc);
      else if (mode === 'max') code.set(t).get(acc).get(t).op('f32x4.max').set(acc);
      else code.set(t).get(acc).get(t).op('f32x4.add').set(acc);
    }
    if (mode === 'avg') code.get(acc).f32(s.scale ?? 1).op('f32x4.splat').op('f32x4.mul').set(acc);
    emitSimdEpilogue(code, s.steps, acc, tmp, zero, 3, {
      row: (p) => code.get(p).mem('v128.load32_splat', 0),
      col: null,
      scalar: (p) => code.get(p).mem('v128.load32_splat', 0),
      full: (p) => code.get(yr).get(ox).op('i32.add').get(p).op('i32.add').get(Y).op('i32.sub').mem('v128.load', col * 4),
    });
    if (lanes === 4) code.get(yr).get(ox).op('i32.add').get(acc).mem('v128.store', col * 4);
    else for (let l = 0; l < lanes; l++) code.get(yr).get(ox).op('i32.add').get(acc).lane('v128.store32_lane', (col + l) * 4, l);
  };

  code.i32(0).set(oy);
  code.block().loop();
  code.get(oy).i32(s.OH).op('i32.ge_s').brIf(1);
  // xr: start of padded input row oy*SH; yr: start of output row oy (bytes)
  code.get(X).get(oy).i32(s.SH * s.PW * 4).op('i32.mul').op('i32.add').set(xr);
  code.get(Y).get(oy).i32(s.OW * 4).op('i32.mul').op('i32.add').set(yr);
  // ox counts output bytes of whole vectors: 0, 16, 32, ...
  code.i32(0).set(ox);
  if (full > 0) {
    code.block().loop();
    code.get(ox).i32(full * 16).op('i32.ge_s').brIf(1);
    vector(4, 0);
    code.addTo(ox, 16).br(0);
    code.op('end').op('end');
  }
  if (tail) vector(tail, 0);
  code.addTo(oy, 1).br(0);
  code.op('end').op('end');
  return code;
}
