// Winograd convolution for 3x3, stride-1, undilated, ungrouped convs with constant weights: F(4x4,3x3) or
// F(2x2,3x3), whichever a small cost model prefers, or none (the node then takes the direct kernel, ./conv.ts).
// F(m, 3) replaces the 9 multiply-adds per output and input channel by alpha^2 / m^2 (2.25 for m = 4, 4 for
// m = 2), at the price of two transforms and a larger rounding error (test/helpers/error-bound.ts derives it).
//   compile time: U_ξ = G g G^T of every filter, packed as the GEMM's A panels, one set per element ξ, written
//   into memory when the program is instantiated (./winograd-weights.ts);
//   run time, per chunk of tile rows of one image (the chunks are split across threads, each with its own
//   scratch, so there is no barrier): the chunk's input rows copied zero-padded and deinterleaved by column
//   phase (wasm), V = B^T d B into the GEMM's B panels (wasm), alpha^2 packed GEMMs M_ξ = U_ξ V_ξ over the
//   channels (the shared micro-kernel, ../wasm/gemm.ts), then Y = A^T M A with the fused epilogue (wasm).
// Images of at most SMALL_MAP_TILES tiles may instead run with the GEMMs transposed (./winograd-small.ts), the
// cost model choosing. The compile option `winograd: false` (CLI --no-winograd) turns it off.
import type { Node } from '../../../src/ir/graph.ts';
import type { Tensor } from '../../../src/ir/tensor.ts';
import { emitGemm } from '../wasm/gemm.ts';
import { kernelTakes } from '../wasm/epilogue.ts';
import { emitDeinterleave, emitInputTransform, emitOutputTransform, WINOGRAD_OPERANDS } from '../wasm/winograd.ts';
import { F2, F4, type WinogradTransform } from '../wasm/winograd-matrices.ts';
import { winogradWeights } from './winograd-weights.ts';
import { buildWinogradSmall, SMALL_MAP_TILES, smallTiles } from './winograd-small.ts';
import { operandSteps, splitEpilogue, tailPassJs, type SplitEpilogue } from '../epilogue.ts';
import { split, staticShape, type EmitContext, type KernelBuild, type KernelFactory, type Phase } from '../kernel.ts';
import { convGeometry, convParts, MR, V, type ConvGeometry } from './conv.ts';

/** Tile-grid facts of one transform on one conv. */
export interface TilePlan { t: WinogradTransform; TH: number; TW: number; TWp: number }

export function tilePlan(c: ConvGeometry, t: WinogradTransform): TilePlan {
  const TH = Math.ceil(c.OH / t.m), TW = Math.ceil(c.OW / t.m);
  return { t, TH, TW, TWp: Math.ceil(TW / 4) * 4 };
}

/** Tile columns a chunk aims for: enough to amortize streaming U, few enough to keep V and M in L2. */
export const CHUNK_COLUMNS = Number(globalThis.process?.env.LAYERC_WINOGRAD_COLUMNS ?? 64);

/**
 * Estimated cost in f32x4 operations: the direct kernel's multiply-adds at its efficiency, or the alpha^2 GEMMs
 * over the padded tile grid plus both transforms (~ops per tile and channel) plus a fixed cost per GEMM call.
 * A GEMM with few tile columns streams the transformed weights (alpha^2/9 times the direct kernel's) for little
 * work: it costs at least one op per weight float read. Fitted to bench/winograd-layers.ts and a few edge shapes
 * (1->4 channels at 28x28: direct; 2048 channels at 2x2: direct ~ F2; everything in ResNet-18 and SqueezeNet: F4,
 * except 512 channels at 7x7: F2). The small-map kernel's gathered transforms cost gatherFactor times as much, fitted
 * to bench/layers-vs-ort.ts (--small on/off): it wins on ResNet-18's 7x7 (4 tiles instead of 8) and 128-channel 28x28
 * layers (52 instead of 56), loses 8 % on SqueezeNet's 32->128 27x27 ones (52 vs 56 tiles, but only 32 channels).
 */
export const COST = { directEfficiency: 0.8, transformOps: { '2/3': 8, '4/3': 28, '2/4': 100, '4/4': 400, '4/2': 1000 } as Record<string, number>, perCall: 300, gatherFactor: 3 };

/**
 * Transform ops per tile and channel of F(m x m, r x r). The 3x3 figures are fitted as above; the others (the phase
 * convs of stride-2 layers, ./winograd-phase.ts) to bench/conv-one.ts at 20:02 UTC against the im2col GEMM in the same
 * run: 7x7/2 3->64 at 224x224 F(4x4,4x4) 3.17 ms, F(2x2,4x4) 4.56, im2col 6.05; F(4x4,2x2) on 3x3/2 64->128 at 56x56
 * 2.78 against 2.90 and on 128->256 at 28x28 3.12 against 2.92 (its 16 taps over 4C planes save little GEMM work).
 */
export const transformOps = (t: WinogradTransform): number => COST.transformOps[`${t.m}/${t.r}`] ?? t.alpha ** 3;

export function winogradCost(c: ConvGeometry, t: WinogradTransform | null, small = false): number {
  const macs = c.N * c.M * c.C;
  if (!t) return (2 * 9 * macs * c.OH * c.OW) / 4 / COST.directEfficiency;
  const p = tilePlan(c, t);
  // The small-map kernel: every tile used, one GEMM per ξ and image, lanes gathered (costlier transforms).
  const tiles = small ? smallTiles(c, t).Tp : p.TH * p.TWp;
  const calls = c.N * (small ? 1 : Math.ceil(p.TH / Math.ceil(CHUNK_COLUMNS / p.TWp))) * t.alpha ** 2;
  const gemm = Math.max((2 * t.alpha ** 2 * macs * tiles) / 4, c.N * t.alpha ** 2 * c.M * c.C);
  return gemm + c.N * (c.C + c.M) * tiles * transformOps(t) * (small ? COST.gatherFactor : 1) + calls * COST.perCall;
}

export interface WinogradChoice { t: WinogradTransform; small: boolean }

/**
 * The cheapest of direct, F(2x2,3x3), F(4x4,3x3), each with the tiles on the GEMM's columns or (images of at most
 * SMALL_MAP_TILES tiles) on its rows; null: direct. `tile` / `small` restrict the candidates (tests force them).
 */
export function chooseWinogradLayout(c: ConvGeometry, tile?: 2 | 4, small?: boolean): WinogradChoice | null {
  let best: WinogradChoice | null = null, cost = tile ? Infinity : winogradCost(c, null);
  for (const t of [F2, F4]) {
    if (tile && t.m !== tile) continue;
    for (const sm of [false, true]) {
      if (small !== undefined && sm !== small) continue;
      if (sm && smallTiles(c, t).TH * smallTiles(c, t).TW > SMALL_MAP_TILES) continue;
      const k = winogradCost(c, t, sm);
      if (k < cost) { best = { t, small: sm }; cost = k; }
    }
  }
  return best;
}

/** The transform of the cost model's choice, or null for direct. */
export function chooseWinograd(c: ConvGeometry): WinogradTransform | null {
  return chooseWinogradLayout(c)?.t ?? null;
}

export const isWinogradShape = (c: ConvGeometry): boolean =>
  c.G === 1 && c.KH === 3 && c.KW === 3 && c.SH === 1 && c.SW === 1 && c.DH === 1 && c.DW === 1;

export const winogradKernel: KernelFactory = (node, opts) => {
  if (opts.winograd === false || !opts.simd) return null;
  const parts = convParts(node), w = node.inputs[1];
  if (!parts || !w?.const) return null;
  if ([...node.inputs, ...node.outputs].some((v) => v && v.type.dtype !== 'float32')) return null;
  const c = convGeometry(node, parts.attrs);
  if (!c || !isWinogradShape(c)) return null;
  const ep = splitEpilogue(node, parts.steps, staticShape(node.outputs[0]), 1, opts.simdEpilogue !== false, parts.declared);
  if (!ep || !kernelTakes(ep.simd, WINOGRAD_OPERANDS)) return null;
  const pick = chooseWinogradLayout(c, opts.winogradTile, opts.winogradSmall);
  if (!pick) return null;
  return pick.small ? buildWinogradSmall(node, c, pick.t, ep, w.const) : buildWinograd(node, c, tilePlan(c, pick.t), ep, w.const, opts.threads);
};

/**
 * Where a tiled Winograd kernel reads its input: by default the node's input; the phase kernel (./winograd-phase.ts)
 * gives its phase planes instead, written by its own phases before the tiles run, in a shared scratch region.
 */
export interface WinogradSource { kind: string; bytes: number; prologue: (ctx: EmitContext) => Phase[]; at: (ctx: EmitContext) => number }

export function buildWinograd(node: Node, c: ConvGeometry, p: TilePlan, ep: SplitEpilogue, w: Tensor | Float32Array, threads: number, src?: WinogradSource): KernelBuild {
  const { t, TH, TWp } = p;
  const { m, alpha } = t, xis = alpha * alpha;
  // Tile rows per chunk: about CHUNK_COLUMNS tiles, and at least one chunk per thread. Chunk k of an image covers
  // tile rows [k TH / chunks, (k + 1) TH / chunks), sizes differing by at most one; with one image, a chunk count
  // rounded up to a multiple of the threads gives each thread the same number of rows (14 tile rows in 4 chunks of
  // 4, 4, 4, 2 gave one thread 8 rows and the other 6: bench/threads-balance.ts).
  const TR0 = Math.max(1, Math.min(Math.ceil(CHUNK_COLUMNS / TWp), Math.ceil((TH * c.N) / threads), TH));
  const chunks0 = Math.ceil(TH / TR0), even = Math.ceil(chunks0 / threads) * threads;
  const chunks = c.N % threads && even <= TH ? even : chunks0, TR = Math.ceil(TH / chunks);
  const Nc = TR * TWp, nbs = Math.ceil(Nc / 8), mbs = Math.ceil(c.M / MR);
  const rows = TR * m + t.r - 1, Q = Math.max(TWp + 1, Math.ceil((c.W + c.PL) / m));
  // The alpha^2 panel sets (and GEMM outputs) start 64 bytes apart modulo 4 KiB: the transforms touch all of
  // them at once, and power-of-two strides would put every stream in the same L1 set.
  const xiStride = nbs * c.C * 8 + 16, mStride = c.M * Nc + 16;
  const xdFloats = c.C * rows * m * Q + 16, vbFloats = xis * xiStride + 16, mbFloats = xis * mStride + 16;
  const perThread = xdFloats + vbFloats + mbFloats;
  return {
    kind: `winograd F(${m}x${m},${t.r}x${t.r}) ${src ? src.kind : `conv 3x3/1 ${c.C}->${c.M}`} ${xis} gemms ${c.M}x${c.C}x${Nc} (${chunks} chunks of ${TR} tile rows)`,
    scratchBytes: perThread * 4,
    sharedScratchBytes: src?.bytes ?? 0,
    consts: [winogradWeights(t, w, c.M, c.C)],
    emit(ctx) {
      const fpad = ctx.wasmName('winpad'), fin = ctx.wasmName('winin'), fgemm = ctx.wasmName('wingemm'), fout = ctx.wasmName('winout');
      const xAt = (src ? src.at(ctx) : ctx.at(node.inputs[0])) / 4, yAt = ctx.at(node.outputs[0]), plane = c.OH * c.OW;
      const uAt = ctx.consts[0]!, uBytes = mbs * c.C * MR * 4;
      const ops = operandSteps(ep.simd).map((st, i) => {
        const a = ctx.at(node.inputs[ep.simdOperands[i]!]);
        return st.per === 'full' ? `, ${a} + n * ${c.M * plane * 4}` : `, ${a}`;
      }).join('');
      const phases: Phase[] = [...(src ? src.prologue(ctx) : []), { js: `${split(c.N * chunks)}
    const xd = ${ctx.scratch / 4} + tid * ${perThread}, vb = xd + ${xdFloats}, mb = vb + ${vbFloats};
    for (let it = lo; it < hi; it++) {
      const n = (it / ${chunks}) | 0, k = it - n * ${chunks}, ty0 = Math.floor(k * ${TH} / ${chunks}), tr = Math.floor((k + 1) * ${TH} / ${chunks}) - ty0;
      W.${fpad}((${xAt} + n * ${c.C * c.H * c.W}) * 4, xd * 4, ty0 * ${m} - ${c.PT}, tr * ${m} + ${t.r - 1});
      W.${fin}(xd * 4, vb * 4, tr);
      const nb = (tr * ${TWp} + 7) >> 3;
      for (let xi = 0; xi < ${xis}; xi++) W.${fgemm}(${uAt} + xi * ${uBytes}, (vb + xi * ${xiStride}) * 4, (mb + xi * ${mStride}) * 4, 0, ${mbs}, 0, nb);
      W.${fout}(mb * 4, ${yAt} + n * ${c.M * plane * 4}, ty0, tr${ops});
    }` }];
      if (ep.tail.length) {
        phases.push({ js: `${split(c.N * c.M)}\n    ${tailPassJs(ep.tail, { y: String(yAt / 4), cols: plane, channels: c.M, operand: (i) => String(ctx.at(node.inputs[i]) / 4) })}` });
      }
      return {
        phases,
        wasm: [
          { name: fpad, code: ctx.code(emitDeinterleave, { m, C: c.C, H: c.H, W: c.W, PL: c.PL, Q, rows }) },
          { name: fin, code: ctx.code(emitInputTransform, { t, C: c.C, TWp, Q, rows, xiStride }) },
          { name: fgemm, code: ctx.code(emitGemm, { M: c.M, N: Nc, K: c.C, MR, V, ldc: Nc, steps: [], rowsOuter: c.M > Nc }) },
          { name: fout, code: ctx.code(emitOutputTransform, { t, M: c.M, OH: c.OH, OW: c.OW, TWp, N: Nc, xiStride: mStride, steps: ep.simd }) },
        ],
      };
    },
  };
}
