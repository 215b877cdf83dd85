// The per-channel loops of training-mode batch normalization (../kernels/batchnorm-train.ts) in WebAssembly
// SIMD, for x viewed as [N, C, S] with S % 4 == 0: one channel is N runs of S contiguous floats, C*S apart.
// The generated JS keeps the per-channel scalar arithmetic (mean, variance, 1/sqrt, the running statistics) and
// calls these for the element loops, which were ~1 ns per element as scalar JS (LeNet-BN's 256x6x576 pair: 5.1 ms
// of a 30 ms training step).
//   Sums (reductions) run in float64 as the JS kernel and the reference do: each f32x4 is widened into two
//   f64x2 accumulators (lanes 0-1 and 2-3), so a channel is summed in four interleaved float64 partial sums.
//   The two are added and stored at `out` as one f64x2 (two float64 partial sums; the caller adds the lanes).
//   Element-wise passes run in float32 with coefficients the caller computed in float64 and rounded once:
//     norm: y  = (x - m) * a + b                   (a = scale * invstd, b = bias)
//     grad: dx = p * dy + q * (x - m) + r          (p, q, r from BatchNormTrainGrad's formula)
//   They differ from the float64 JS form by a few float32 ulps of the result (test/js/train-ops.test.ts compares
//   both kernels with the reference at atol 1e-5, rtol 1e-4).
// Parameters are byte addresses of channel c's first element (image 0); `coef` points at float32 coefficients
// [m, a, b] (norm) or [m, p, q, r] (grad); `m64` at the mean as float64.
import { Code, I32, V128 } from './encode.ts';

export interface ChannelShape { N: number; C: number; S: number }

type Sum = 'sum' | 'sqdev' | 'dysum';

/**
 * sum:   (x, out)          out = Σx (an f64x2 of two partial sums)
 * sqdev: (x, m64, out)     out = Σ(x - m)^2
 * dysum: (dy, x, m64, out) out = Σdy, then out + 16 = Σdy * (x - m)
 */
export function emitChannelSum(s: ChannelShape, kind: Sum): Code {
  const params = kind === 'sum' ? 2 : kind === 'sqdev' ? 3 : 4;
  const code = new Code(new Array(params).fill(I32));
  const two = kind === 'dysum';
  const [P0, P1, M, OUT] = kind === 'sum' ? [0, -1, -1, 1] : kind === 'sqdev' ? [0, -1, 1, 2] : [0, 1, 2, 3];
  const [p, q, end, b] = [code.local(I32), code.local(I32), code.local(I32), code.local(I32)];
  const [v, w, lo, hi, m, a0, a1, c0, c1] = Array.from({ length: 9 }, () => code.local(V128));
  for (const x of [a0, a1, c0, c1]) code.v128zero().set(x);
  if (M >= 0) code.get(M).mem('v128.load64_splat', 0, 3).set(m);
  const widen = (src: number) => { // lo, hi = the f64x2 halves of src
    code.get(src).op('f64x2.promote_low_f32x4').set(lo);
    code.get(src).get(src).shuffle32([2, 3, 2, 3]).op('f64x2.promote_low_f32x4').set(hi);
  };
  code.i32(0).set(b);
  code.loop();
  code.get(P0).get(b).i32(s.C * s.S * 4).op('i32.mul').op('i32.add').tee(p).i32(s.S * 4).op('i32.add').set(end);
  if (two) code.get(P1).get(b).i32(s.C * s.S * 4).op('i32.mul').op('i32.add').set(q);
  code.loop();
  code.get(p).mem('v128.load').set(v);
  if (kind === 'sum') {
    widen(v);
    code.get(a0).get(lo).op('f64x2.add').set(a0).get(a1).get(hi).op('f64x2.add').set(a1);
  } else if (kind === 'sqdev') {
    widen(v);
    for (const [acc, h] of [[a0, lo], [a1, hi]] as const) {
      code.get(h).get(m).op('f64x2.sub').set(h);
      code.get(acc).get(h).get(h).op('f64x2.mul').op('f64x2.add').set(acc);
    }
  } else {
    code.get(q).mem('v128.load').set(w);
    widen(v); // lo, hi: dy's halves
    code.get(a0).get(lo).op('f64x2.add').set(a0).get(a1).get(hi).op('f64x2.add').set(a1);
    // v, w := x's halves minus the mean
    code.get(w).get(w).shuffle32([2, 3, 2, 3]).op('f64x2.promote_low_f32x4').get(m).op('f64x2.sub').set(v);
    code.get(w).op('f64x2.promote_low_f32x4').get(m).op('f64x2.sub').set(w);
    code.get(c0).get(lo).get(w).op('f64x2.mul').op('f64x2.add').set(c0);
    code.get(c1).get(hi).get(v).op('f64x2.mul').op('f64x2.add').set(c1);
    code.addTo(q, 16);
  }
  code.addTo(p, 16).get(p).get(end).op('i32.ne').brIf(0);
  code.op('end');
  code.addTo(b, 1).get(b).i32(s.N).op('i32.lt_s').brIf(0);
  code.op('end');
  code.get(OUT).get(a0).get(a1).op('f64x2.add').mem('v128.store', 0);
  if (two) code.get(OUT).get(c0).get(c1).op('f64x2.add').mem('v128.store', 16);
  return code;
}

/** norm: (x, y, coef); grad: (dy, x, dx, coef). See the header for the formulas. */
export function emitChannelAffine(s: ChannelShape, kind: 'norm' | 'grad'): Code {
  const grad = kind === 'grad';
  const code = new Code(new Array(grad ? 4 : 3).fill(I32));
  const [DY, X, OUT, COEF] = grad ? [0, 1, 2, 3] : [-1, 0, 1, 2];
  const [o, end, b, base] = [code.local(I32), code.local(I32), code.local(I32), code.local(I32)];
  const [m, k1, k2, k3, d] = Array.from({ length: 5 }, () => code.local(V128));
  const coef = (i: number, dst: number) => code.get(COEF).mem('v128.load32_splat', 4 * i).set(dst);
  coef(0, m); coef(1, k1); coef(2, k2);
  if (grad) coef(3, k3);
  code.i32(0).set(b);
  code.loop();
  code.get(b).i32(s.C * s.S * 4).op('i32.mul').tee(o).i32(s.S * 4).op('i32.add').set(end);
  code.loop();
  code.get(X).get(o).op('i32.add').mem('v128.load').get(m).op('f32x4.sub').set(d);
  code.get(OUT).get(o).op('i32.add').set(base);
  if (grad) {
    // p * dy + q * (x - m) + r
    code.get(base).get(DY).get(o).op('i32.add').mem('v128.load').get(k1).op('f32x4.mul')
      .get(d).get(k2).op('f32x4.mul').op('f32x4.add').get(k3).op('f32x4.add').mem('v128.store');
  } else {
    code.get(base).get(d).get(k1).op('f32x4.mul').get(k2).op('f32x4.add').mem('v128.store');
  }
  code.addTo(o, 16).get(o).get(end).op('i32.ne').brIf(0);
  code.op('end');
  code.addTo(b, 1).get(b).i32(s.N).op('i32.lt_s').brIf(0);
  code.op('end');
  return code;
}
