// The rounding error of a Winograd convolution (runtime/js/kernels/winograd.ts), per output element, derived
// from the transform matrices the kernel multiplies by (runtime/js/wasm/winograd-matrices.ts). For one output
// tile (m x m outputs of channel k, input tile d_c of channel c, filter g_kc), to first order in u = 2^-24 and
// with γ_n = n u (a sum of n products has error <= γ_n sum |a||b|, Higham ch. 3):
//   V = B^T d B      two sums of <= nB terms each          |ΔV| <= 2 nB u |B^T||d||B|
//   U = G g G^T      float64, rounded once to float32      |ΔU| <= u |G||g||G^T|
//   M = sum_c U ⊙ V  the GEMM over C channels              |ΔM| <= (C + 1 + 2 nB) u P,  P = sum_c (|G||g_c||G^T|) ⊙ (|B^T||d_c||B|)
//   Y = A^T M A      two sums of <= nA terms each          |ΔY| <= (C + 1 + 2 nB + 2 nA) u |A^T| P |A|
// (nB, nA: the most non-zeros in a row of B^T, A^T; |M| <= P.) The bias add, the fused epilogue and the final
// rounding are the direct kernel's terms, which the caller keeps. Tiles start at output (0, 0) and read the
// zero-padded input, as the kernel does. The kernel picks F(2x2) or F(4x4) by a cost model, so the bound is the
// larger of the two: a test then holds whichever the kernel chose.
// A stride-2 conv may run as a stride-1 r x r conv over its phase planes (runtime/js/kernels/winograd-phase.ts:
// the planes and the regrouped weights are copies, exact), so its bound is that conv's, with C = 4 x channels
// (the zero taps' products add exactly) and the larger over the transforms offered for r.
import { Tensor } from '../../src/ir/tensor.ts';
import { axisGeometry, readWindowAttrs } from '../../src/ops/window.ts';
import { RAISE } from '../../src/ops/dims.ts';
import { F2, F4, matmul, rowTerms, transformsFor, transpose, type WinogradTransform } from '../../runtime/js/wasm/winograd-matrices.ts';
import { phaseGeometry, phasePlanes, phaseWeights } from '../../runtime/js/kernels/winograd-phase.ts';
import type { ConvGeometry } from '../../runtime/js/kernels/conv.ts';

export interface WinogradConv { N: number; C: number; H: number; W: number; M: number; OH: number; OW: number; PT: number; PL: number }

const absM = (X: number[][]) => X.map((r) => r.map(Math.abs));

/** |ΔY| of one transform, as [N, M, OH, OW] float64 numbers. */
function transformBound(t: WinogradTransform, c: WinogradConv, x: ArrayLike<number>, w: ArrayLike<number>): Float64Array {
  const { m, alpha, r: R } = t, a2 = alpha * alpha, taps = Array.from({ length: R }, (_, k) => k);
  const BT = absM(t.BT), G = absM(t.G), AT = absM(t.AT);
  const factor = (c.C + 1 + 2 * rowTerms(t.BT) + 2 * rowTerms(t.AT)) * 2 ** -24;
  // |G||g||G^T| per (k, c).
  const U = new Float64Array(c.M * c.C * a2);
  for (let i = 0; i < c.M * c.C; i++) {
    const g = taps.map((r) => taps.map((s) => Math.abs(w[i * R * R + r * R + s]!)));
    U.set(matmul(matmul(G, g), transpose(G)).flat(), i * a2);
  }
  const out = new Float64Array(c.N * c.M * c.OH * c.OW);
  const TH = Math.ceil(c.OH / m), TW = Math.ceil(c.OW / m);
  const Vc = new Float64Array(c.C * a2), P = new Float64Array(a2);
  for (let n = 0; n < c.N; n++) for (let ty = 0; ty < TH; ty++) for (let tx = 0; tx < TW; tx++) {
    for (let ch = 0; ch < c.C; ch++) {
      const d = Array.from({ length: alpha }, (_, r) => Array.from({ length: alpha }, (_, s) => {
        const iy = ty * m - c.PT + r, ix = tx * m - c.PL + s;
        return iy >= 0 && iy < c.H && ix >= 0 && ix < c.W ? Math.abs(x[((n * c.C + ch) * c.H + iy) * c.W + ix]!) : 0;
      }));
      Vc.set(matmul(matmul(BT, d), transpose(BT)).flat(), ch * a2);
    }
    for (let k = 0; k < c.M; k++) {
      P.fill(0);
      for (let ch = 0; ch < c.C; ch++) {
        const u = (k * c.C + ch) * a2, v = ch * a2;
        for (let e = 0; e < a2; e++) P[e] += U[u + e]! * Vc[v + e]!;
      }
      for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
        const oy = ty * m + i, ox = tx * m + j;
        if (oy >= c.OH || ox >= c.OW) continue;
        let s = 0;
        for (let r = 0; r < alpha; r++) for (let q = 0; q < alpha; q++) s += AT[i]![r]! * P[r * alpha + q]! * AT[j]![q]!;
        out[((n * c.M + k) * c.OH + oy) * c.OW + ox] = factor * s;
      }
    }
  }
  return out;
}

/** The Winograd rounding bound of a 3x3 stride-1 conv: the elementwise max over F(2x2,3x3) and F(4x4,3x3). */
export function winogradBound(c: WinogradConv, x: Tensor, w: Tensor): Tensor {
  const b2 = transformBound(F2, c, x.data as ArrayLike<number>, w.data as ArrayLike<number>);
  const b4 = transformBound(F4, c, x.data as ArrayLike<number>, w.data as ArrayLike<number>);
  return Tensor.fromArray('float32', [c.N, c.M, c.OH, c.OW], b2.map((v, i) => Math.max(v, b4[i]!)));
}

/** The bound of a stride-2 conv run by phases: the phase conv's, the larger over the transforms for its r. */
function phaseBound(c: ConvGeometry, x: Tensor, w: Tensor): Tensor | null {
  const p = phaseGeometry(c);
  if (!p) return null;
  const xq = phasePlanes(c, x.data as ArrayLike<number>), wq = phaseWeights(c, w.data as ArrayLike<number>);
  const q = { N: p.N, C: p.C, H: p.H, W: p.W, M: p.M, OH: p.OH, OW: p.OW, PT: 0, PL: 0 };
  const bounds = transformsFor(p.KH).map((t) => transformBound(t, q, xq, wq));
  return Tensor.fromArray('float32', [c.N, c.M, c.OH, c.OW], bounds[0]!.map((v, i) => Math.max(v, ...bounds.map((b) => b[i]!))));
}

/**
 * The Winograd term of a Conv node when its kernel may take Winograd (2-D, one group, undilated: 3x3 stride 1, or a
 * square filter at stride 2 whose phases have a transform), else null.
 */
export function winogradConvBound(attrs: Record<string, unknown>, x: Tensor, w: Tensor, y: Tensor): Tensor | null {
  if (x.rank !== 4 || w.shape[2] !== w.shape[3] || Number(attrs.group ?? 1) !== 1) return null;
  const K = w.shape[2]!, win = readWindowAttrs(RAISE, 'Conv', attrs, [K, K]);
  if (win.dilations.some((d) => d !== 1)) return null;
  const [N, C, H, W] = x.shape as number[], [, M, OH, OW] = y.shape as number[];
  const PT = axisGeometry(win, 0, H!)[0], PL = axisGeometry(win, 1, W!)[0];
  if (win.strides.every((s) => s === 2)) {
    return phaseBound({ N: N!, C: C!, H: H!, W: W!, M: M!, G: 1, KH: K, KW: K, OH: OH!, OW: OW!, SH: 2, SW: 2, DH: 1, DW: 1, PT, PL }, x, w);
  }
  if (K !== 3 || win.strides.some((s) => s !== 1)) return null;
  return winogradBound({ N: N!, C: C!, H: H!, W: W!, M: M!, OH: OH!, OW: OW!, PT, PL }, x, w);
}
