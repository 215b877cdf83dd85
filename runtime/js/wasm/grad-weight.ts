// ConvGradWeight of a stride-1 conv without padding, in WebAssembly SIMD and without im2col:
//   dW[g*Mg + m, ci, ky, kx] += sum over images n, rows oy, columns ox of dY[n, m, oy, ox] * X[n, ci, oy + ky*DH, ox + kx*DW].
// Four neighbouring columns ox of one output row are one f32x4 of dY and one (unaligned) f32x4 of X per tap, both
// contiguous, so nothing is packed: a block keeps MB output channels x KW taps of one (ci, ky) in MB*KW vector
// accumulators while it walks every output row of an image, then adds their horizontal sums into the partial dW.
// The last partial chunk of a row masks both operands (lanes past OW read the next row). Parameters: dy, x, part
// (byte addresses of image 0's dY, image 0's X, this thread's partial dW [M, Cg, KH, KW]), n0, n1 (images).
import { Code, I32, V128 } from './encode.ts';

export interface GradWeightShape { M: number; C: number; G: number; H: number; W: number; OH: number; OW: number; KH: number; KW: number; DH: number; DW: number }

/** Output channels per block: MB*KW accumulators + MB dY vectors + KW X vectors within V8's 15 usable xmm registers. */
export const gradWeightRows = (KW: number, Mg: number) => Math.max(1, Math.min(Mg, Math.floor((15 - KW) / (KW + 1))));

export function emitGradWeight(s: GradWeightShape): Code {
  const code = new Code([I32, I32, I32, I32, I32]);
  const [DY, X, PART, N0, N1] = [0, 1, 2, 3, 4];
  const Mg = s.M / s.G, Cg = s.C / s.G, T = s.KH * s.KW, P = s.OH * s.OW, HW = s.H * s.W;
  const MB = gradWeightRows(s.KW, Mg), full = Math.floor(s.OW / 4), tail = s.OW % 4;
  const [n, g, mb, ci, ky, oy, dyM, xK, pK, dp, xp, dEnd] = Array.from({ length: 12 }, () => code.local(I32));
  const acc = Array.from({ length: MB * s.KW }, () => code.local(V128));
  const dv = Array.from({ length: MB }, () => code.local(V128));
  const xv = code.local(V128), mask = code.local(V128);
  // mask: all ones in the lanes < tail, zero above.
  code.v128zero().v128zero().op('f32x4.eq').set(mask);
  for (let l = tail; l < 4; l++) { code.get(mask).f32(0).op('f32x4.replace_lane'); code.bytes.push(l); code.set(mask); }

  /** Counted loop: `i` from 0 while i < n (n > 0 known), body, i++. */
  const counted = (i: number, count: number, body: () => void) => {
    code.i32(0).set(i);
    code.loop();
    body();
    code.addTo(i, 1).get(i).i32(count).op('i32.lt_s').brIf(0);
    code.op('end');
  };
  const chunk = (rows: number, masked: boolean) => {
    for (let r = 0; r < rows; r++) {
      code.get(dp).mem('v128.load', r * P * 4);
      if (masked) code.get(mask).op('v128.and');
      code.set(dv[r]!);
    }
    for (let kx = 0; kx < s.KW; kx++) {
      code.get(xp).mem('v128.load', kx * s.DW * 4);
      if (masked) code.get(mask).op('v128.and');
      code.set(xv);
      for (let r = 0; r < rows; r++) {
        const a = acc[r * s.KW + kx]!;
        code.get(a).get(dv[r]!).get(xv).op('f32x4.mul').op('f32x4.add').set(a);
      }
    }
  };
  /** One block of `rows` output channels starting at channel mb*MB: every (ci, ky) over the image's rows. */
  const block = (rows: number) => {
    code.get(dyM).get(mb).i32(MB * P * 4).op('i32.mul').op('i32.add').set(dyM);
    counted(ci, Cg, () => counted(ky, s.KH, () => {
      for (let i = 0; i < rows * s.KW; i++) code.v128zero().set(acc[i]!);
      counted(oy, s.OH, () => {
        code.get(dyM).get(oy).i32(s.OW * 4).op('i32.mul').op('i32.add').set(dp);
        code.get(xK).get(ci).i32(HW * 4).op('i32.mul').op('i32.add').get(ky).i32(s.DH * s.W * 4).op('i32.mul').op('i32.add')
          .get(oy).i32(s.W * 4).op('i32.mul').op('i32.add').set(xp);
        if (full > 0) {
          code.get(dp).i32(full * 16).op('i32.add').set(dEnd);
          code.loop();
          chunk(rows, false);
          code.addTo(dp, 16).addTo(xp, 16).get(dp).get(dEnd).op('i32.ne').brIf(0);
          code.op('end');
        }
        if (tail) chunk(rows, true);
      });
      // part[(m0 + r), ci, ky, kx] += horizontal sum of acc[r][kx]
      code.get(pK).get(ci).i32(T * 4).op('i32.mul').op('i32.add').get(ky).i32(s.KW * 4).op('i32.mul').op('i32.add').set(dp);
      for (let r = 0; r < rows; r++) for (let kx = 0; kx < s.KW; kx++) {
        const a = acc[r * s.KW + kx]!, off = (r * Cg * T + kx) * 4;
        code.get(dp).get(dp).mem('f32.load', off);
        code.get(a).extract(0).get(a).extract(1).op('f32.add').get(a).extract(2).get(a).extract(3).op('f32.add').op('f32.add');
        code.op('f32.add').mem('f32.store', off);
      }
    }));
  };
  const fullMB = Math.floor(Mg / MB), tailRows = Mg % MB;
  // Per image n and group g: dyM, xK and pK at the group's first channel; mb blocks add their offsets.
  const group = () => {
    const setBases = () => {
      code.get(DY).get(n).i32(s.M * P * 4).op('i32.mul').op('i32.add').get(g).i32(Mg * P * 4).op('i32.mul').op('i32.add').set(dyM);
      code.get(PART).get(g).i32(Mg * Cg * T * 4).op('i32.mul').op('i32.add').get(mb).i32(MB * Cg * T * 4).op('i32.mul').op('i32.add').set(pK);
    };
    code.get(X).get(n).i32(s.C * HW * 4).op('i32.mul').op('i32.add').get(g).i32(Cg * HW * 4).op('i32.mul').op('i32.add').set(xK);
    if (fullMB > 0) counted(mb, fullMB, () => { setBases(); block(MB); });
    if (tailRows) { code.i32(fullMB).set(mb); setBases(); block(tailRows); }
  };
  code.get(N0).set(n);
  code.block().loop();
  code.get(n).get(N1).op('i32.ge_s').brIf(1);
  counted(g, s.G, group);
  code.addTo(n, 1).br(0);
  code.op('end').op('end');
  return code;
}
