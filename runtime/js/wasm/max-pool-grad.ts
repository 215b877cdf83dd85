// MaxPoolGrad of 2x2 windows with stride 2 (no padding) in WebAssembly SIMD, four windows per step: two v128
// loads per input row hold the windows' 8 columns, shuffles split them into the 4 taps (top-left, top-right,
// bottom-left, bottom-right) as f32x4s, and the first-maximum scan becomes three compares: tap t wins where it is
// strictly greater than the running maximum (ties and NaN keep the earlier tap, as the reference's scan does).
// Each tap's dX is dY masked by its win mask (+0 elsewhere; dY + 0 turns a -0 gradient into the reference's 0 + -0),
// interleaved back into rows. A last group of fewer than 4 windows stores only its lanes (its loads may read
// past the row: the memory after any value is mapped, and those lanes are never stored).
// Parameters: dy, x, dx (byte addresses of the first plane), planes.
import { Code, I32, V128 } from './encode.ts';

export function emitMaxPoolGrad2x2(s: { H: number; W: number; OH: number; OW: number }): Code {
  const code = new Code([I32, I32, I32, I32]);
  const [DY, X, DX, PLANES] = [0, 1, 2, 3];
  const [p, oh, xr, dr, gp, gEnd] = Array.from({ length: 6 }, () => code.local(I32));
  const [r0a, r0b, r1a, r1b, a, b, c, d, g, w1, w2, w3, m, zero, lo, hi] = Array.from({ length: 16 }, () => code.local(V128));
  const full = Math.floor(s.OW / 4), tail = s.OW % 4, row = s.W * 4;
  code.v128zero().set(zero);

  const group = (windows: number) => {
    code.get(xr).mem('v128.load', 0).set(r0a).get(xr).mem('v128.load', 16).set(r0b);
    code.get(xr).mem('v128.load', row).set(r1a).get(xr).mem('v128.load', row + 16).set(r1b);
    code.get(r0a).get(r0b).shuffle32([0, 2, 4, 6]).set(a).get(r0a).get(r0b).shuffle32([1, 3, 5, 7]).set(b);
    code.get(r1a).get(r1b).shuffle32([0, 2, 4, 6]).set(c).get(r1a).get(r1b).shuffle32([1, 3, 5, 7]).set(d);
    code.get(gp).mem('v128.load', 0).get(zero).op('f32x4.add').set(g);
    code.get(b).get(a).op('f32x4.gt').set(w1);
    code.get(b).get(a).get(w1).op('v128.bitselect').set(m);
    code.get(c).get(m).op('f32x4.gt').set(w2);
    code.get(c).get(m).get(w2).op('v128.bitselect').set(m);
    code.get(d).get(m).op('f32x4.gt').set(w3);
    // Per-tap gradients, reusing a..d: d wins where w3; c where w2 and not w3; b where w1 and neither; a elsewhere.
    code.get(g).get(w3).op('v128.and').set(d);
    code.get(g).get(w3).op('v128.andnot').get(w2).op('v128.and').set(c);
    code.get(g).get(w2).op('v128.andnot').get(w3).op('v128.andnot').get(w1).op('v128.and').set(b);
    code.get(g).get(w1).get(w2).op('v128.or').get(w3).op('v128.or').op('v128.andnot').set(a);
    for (const [left, right, at] of [[a, b, 0], [c, d, row]] as const) {
      code.get(left).get(right).shuffle32([0, 4, 1, 5]).set(lo).get(left).get(right).shuffle32([2, 6, 3, 7]).set(hi);
      if (windows === 4) { code.get(dr).get(lo).mem('v128.store', at).get(dr).get(hi).mem('v128.store', at + 16); continue; }
      for (let l = 0; l < 2 * windows; l++) code.get(dr).get(l < 4 ? lo : hi).lane('v128.store32_lane', at + 4 * l, l % 4);
    }
  };

  code.i32(0).set(p);
  code.block().loop();
  code.get(p).get(PLANES).op('i32.ge_s').brIf(1);
  code.i32(0).set(oh);
  code.loop();
  // Row pointers of output row oh of plane p.
  code.get(X).get(p).i32(s.H * row).op('i32.mul').op('i32.add').get(oh).i32(2 * row).op('i32.mul').op('i32.add').set(xr);
  code.get(DX).get(p).i32(s.H * row).op('i32.mul').op('i32.add').get(oh).i32(2 * row).op('i32.mul').op('i32.add').set(dr);
  code.get(DY).get(p).i32(s.OH * s.OW * 4).op('i32.mul').op('i32.add').get(oh).i32(s.OW * 4).op('i32.mul').op('i32.add').set(gp);
  if (full > 0) {
    code.get(gp).i32(full * 16).op('i32.add').set(gEnd);
    code.loop();
    group(4);
    code.addTo(xr, 32).addTo(dr, 32).addTo(gp, 16).get(gp).get(gEnd).op('i32.ne').brIf(0);
    code.op('end');
  }
  if (tail) group(tail);
  code.addTo(oh, 1).get(oh).i32(s.OH).op('i32.lt_s').brIf(0);
  code.op('end');
  code.addTo(p, 1).br(0);
  code.op('end').op('end');
  return code;
}
