// Winograd for stride-2 convolutions by a phase split (space-to-depth). Output (oy, ox) of a KxK stride-2 conv
// reads input rows 2 oy - PT + ky: writing ky = 2 ky' + py, the rows of parity py form a phase plane
//   X_q[(py, px, c)][q][s] = X[c][2q + py - PT][2s + px - PL]   (0 outside the input),
// and the conv is a stride-1, unpadded R x R conv (R = ceil(K/2)) of the 4C phase planes with the weights
//   W'[m][(py, px, c)][ky'][kx'] = W[m][c][2 ky' + py][2 kx' + px]   (0 past the filter),
// the same sums of the same products, only regrouped: exactly the conv. That stride-1 conv runs as Winograd
// (./winograd.ts, with the generated F(4x4,2x2), F(2x2,4x4), F(4x4,4x4) of ../wasm/winograd-toom.ts, or the 3x3
// ones for K = 5, 6): the 7x7/2 stem of ResNet-18 (3 channels, 147 products per output) becomes F(4x4,4x4) over 12
// planes (37 products), which the im2col GEMM cannot reach at any efficiency. A first phase writes the planes into
// a shared scratch (threads split the planes), a barrier, then the tiled Winograd kernel reads them as its input.
// The padded filter taps (W' = 0) cost products: 3x3/2 becomes 16 taps over 4C planes, and the cost model keeps the
// im2col GEMM where that and the tile padding lose. Its error bound: test/helpers/winograd-bound.ts (the stride-1
// bound of the phase conv). Off with the compile option `winograd: false` or `winogradPhase: false`.
import type { Node } from '../../../src/ir/graph.ts';
import { kernelTakes } from '../wasm/epilogue.ts';
import { WINOGRAD_OPERANDS } from '../wasm/winograd.ts';
import { transformsFor, type WinogradTransform } from '../wasm/winograd-matrices.ts';
import { splitEpilogue } from '../epilogue.ts';
import { split, staticShape, type KernelFactory } from '../kernel.ts';
import { convGeometry, convParts, type ConvGeometry } from './conv.ts';
import { buildWinograd, COST, tilePlan, winogradCost } from './winograd.ts';

/** The stride-1 conv over the phase planes of a stride-2 conv, or null when the conv is not one this kernel takes. */
export function phaseGeometry(c: ConvGeometry): ConvGeometry | null {
  if (c.G !== 1 || c.SH !== 2 || c.SW !== 2 || c.DH !== 1 || c.DW !== 1 || c.KH !== c.KW) return null;
  const R = Math.ceil(c.KH / 2);
  if (!transformsFor(R).length) return null;
  return { N: c.N, C: 4 * c.C, H: c.OH + R - 1, W: c.OW + R - 1, M: c.M, G: 1, KH: R, KW: R, OH: c.OH, OW: c.OW, SH: 1, SW: 1, DH: 1, DW: 1, PT: 0, PL: 0 };
}

/** W' of the header: [M, 4C, R, R] from [M, C, K, K]. */
export function phaseWeights(c: ConvGeometry, w: ArrayLike<number>): Float32Array {
  const K = c.KH, R = Math.ceil(K / 2), out = new Float32Array(c.M * 4 * c.C * R * R);
  for (let m = 0; m < c.M; m++) for (let ph = 0; ph < 4; ph++) for (let ci = 0; ci < c.C; ci++) {
    const py = ph >> 1, px = ph & 1, d = ((m * 4 + ph) * c.C + ci) * R * R, s = (m * c.C + ci) * K * K;
    for (let ky = 0; 2 * ky + py < K; ky++) for (let kx = 0; 2 * kx + px < K; kx++) out[d + ky * R + kx] = w[s + (2 * ky + py) * K + 2 * kx + px]!;
  }
  return out;
}

/** The phase planes X_q of the header as a JS reference (tests, the error bound): [N, 4C, OH+R-1, OW+R-1]. */
export function phasePlanes(c: ConvGeometry, x: ArrayLike<number>): Float32Array {
  const p = phaseGeometry(c)!, out = new Float32Array(c.N * p.C * p.H * p.W);
  for (let n = 0; n < c.N; n++) for (let ph = 0; ph < 4; ph++) for (let ci = 0; ci < c.C; ci++) for (let q = 0; q < p.H; q++) for (let s = 0; s < p.W; s++) {
    const iy = 2 * q + (ph >> 1) - c.PT, ix = 2 * s + (ph & 1) - c.PL;
    if (iy >= 0 && iy < c.H && ix >= 0 && ix < c.W) out[(((n * 4 + ph) * c.C + ci) * p.H + q) * p.W + s] = x[((n * c.C + ci) * c.H + iy) * c.W + ix]!;
  }
  return out;
}

/** Cost (f32x4 ops, as winogradCost) of the im2col GEMM (K*K taps) against the phase Winograd with transform t. */
export function phaseCost(c: ConvGeometry, t: WinogradTransform | null): number {
  if (!t) return (2 * c.KH * c.KW * c.N * c.M * c.C * c.OH * c.OW) / 4 / COST.directEfficiency;
  const p = phaseGeometry(c)!;
  return winogradCost(p, t) + (c.N * p.C * p.H * p.W) / 2; // + writing the planes
}

/** The cost model's transform for a stride-2 conv, or null (im2col GEMM); `tile` forces a tile size (tests). */
export function choosePhaseWinograd(c: ConvGeometry, tile?: number): WinogradTransform | null {
  const p = phaseGeometry(c);
  if (!p) return null;
  let best: WinogradTransform | null = null, cost = tile ? Infinity : phaseCost(c, null);
  for (const t of transformsFor(p.KH)) {
    if (tile && t.m !== tile) continue;
    const k = phaseCost(c, t);
    if (k < cost) { best = t; cost = k; }
  }
  return best;
}

export const phaseWinogradKernel: KernelFactory = (node, opts) => {
  if (opts.winograd === false || opts.winogradPhase === false || !opts.simd) return null;
  const parts = convParts(node), w = node.inputs[1];
  if (!parts || !w?.const) return null;
  if ([...node.inputs, ...node.outputs].some((v) => v && v.type.dtype !== 'float32')) return null;
  const c = convGeometry(node, parts.attrs);
  const p = c && phaseGeometry(c);
  if (!c || !p) return null;
  const ep = splitEpilogue(node, parts.steps, staticShape(node.outputs[0]), 1, opts.simdEpilogue !== false, parts.declared);
  if (!ep || !kernelTakes(ep.simd, WINOGRAD_OPERANDS)) return null;
  const t = choosePhaseWinograd(c, opts.winogradTile);
  if (!t) return null;
  const planeFloats = p.H * p.W, planes = c.N * p.C;
  // Per input column parity px: the plane columns s whose input column 2s + px - PL lies inside [0, W).
  const cols = [0, 1].map((px) => [Math.max(0, Math.ceil((c.PL - px) / 2)), Math.max(0, Math.min(p.W, Math.floor((c.W - 1 - px + c.PL) / 2) + 1))]);
  return buildWinograd(node, p, tilePlan(p, t), ep, phaseWeights(c, w.const.data as ArrayLike<number>), opts.threads, {
    kind: `phases of conv ${c.KH}x${c.KW}/2 ${c.C}->${c.M} as 3x3/1 ${p.C}->${p.M}`.replace('3x3/1', `${p.KH}x${p.KW}/1`),
    bytes: planes * planeFloats * 4,
    at: (ctx) => ctx.sharedScratch,
    // The pad columns are zeroed by element loops: an F.fill call costs 15-25 ns, more than these few floats, and 5-9x
    // more per float on the 2-thread programs' SharedArrayBuffer.
    prologue: (ctx) => [{ js: `${split(planes)}
    for (let it = lo; it < hi; it++) {
      const n = (it / ${p.C}) | 0, pp = it - n * ${p.C}, ph = (pp / ${c.C}) | 0, py = ph >> 1, px = ph & 1;
      const src = ${ctx.at(node.inputs[0]) / 4} + (n * ${c.C} + pp - ph * ${c.C}) * ${c.H * c.W}, dst = ${ctx.sharedScratch / 4} + it * ${planeFloats};
      const x0 = px ? ${cols[1]![0]} : ${cols[0]![0]}, x1 = px ? ${cols[1]![1]} : ${cols[0]![1]};
      for (let q = 0; q < ${p.H}; q++) {
        const iy = 2 * q + py - ${c.PT}, d = dst + q * ${p.W};
        if (iy < 0 || iy >= ${c.H} || x1 <= x0) { for (let x = 0; x < ${p.W}; x++) F[d + x] = 0; continue; }
        const s = src + iy * ${c.W} + px - ${c.PL};
        for (let x = 0; x < x0; x++) F[d + x] = 0;
        for (let x = x0; x < x1; x++) F[d + x] = F[s + 2 * x];
        for (let x = x1; x < ${p.W}; x++) F[d + x] = 0;
      }
    }` }],
  });
};
