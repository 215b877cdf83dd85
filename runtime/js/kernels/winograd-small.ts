// Winograd for convs whose whole image is a few tiles (ResNet-18's 512-channel 7x7 layers): the GEMMs run
// transposed, M_ξ^T[tiles, M] = V_ξ^T[tiles, C] U_ξ[C, M], with the tiles as the micro-kernel's rows and the output
// channels as its columns. ./winograd.ts puts the tiles on the columns, in groups of four neighbours per tile row:
// a 7x7 map with F(4x4) is 2x2 tiles computed as 2x4, and 4 tiles are half an 8-column panel, so it took F(2x2)
// (16 tiles x 16 products = 256 per channel pair) where F(4x4) on the 4 real tiles needs 144. Here the tiles are
// packed in row-major order across tile rows, the lanes gathered from the padded plane
// (../wasm/winograd-gather.ts), and only the last group of four can be partial.
// Per image, two phases: the threads split the input channels (padded copy + input transform), then, after the
// barrier, the output channels (their 8-column panels: the alpha^2 GEMMs and the output transform of their channels).
// The products and sums per output element are those of ./winograd.ts, in the same order: the same rounding, bit for
// bit, and the same error bound.
import type { Node } from '../../../src/ir/graph.ts';
import type { Tensor } from '../../../src/ir/tensor.ts';
import { emitGemm } from '../wasm/gemm.ts';
import { emitChannelOutput, emitGatherInput, paddedRows } from '../wasm/winograd-gather.ts';
import type { WinogradTransform } from '../wasm/winograd-matrices.ts';
import { winogradWeights } from './winograd-weights.ts';
import { operandSteps, tailPassJs, type SplitEpilogue } from '../epilogue.ts';
import { split, type KernelBuild, type Phase } from '../kernel.ts';
import { MR, NR, V, type ConvGeometry } from './conv.ts';

/** The most tiles per image this kernel takes (its GEMM outputs for all of them stay in scratch). */
export const SMALL_MAP_TILES = 64;

/** Tiles of one image: the grid, and its count rounded up to the micro-kernel's 4 rows. */
export function smallTiles(c: ConvGeometry, t: WinogradTransform): { TH: number; TW: number; Tp: number } {
  const TH = Math.ceil(c.OH / t.m), TW = Math.ceil(c.OW / t.m);
  return { TH, TW, Tp: Math.ceil((TH * TW) / MR) * MR };
}

export function buildWinogradSmall(node: Node, c: ConvGeometry, t: WinogradTransform, ep: SplitEpilogue, w: Tensor): KernelBuild {
  const { m, alpha } = t, xis = alpha * alpha;
  const { TH, TW, Tp } = smallTiles(c, t);
  const PW = TW * m + 2, planeFloats = paddedRows({ t, TH }) * PW;
  const nbs = Math.ceil(c.M / NR);
  // Panel sets and GEMM outputs 64 bytes apart modulo 4 KiB (as ./winograd.ts: the transforms touch all at once).
  const xiStride = Tp * c.C + 16, mStride = Tp * c.M + 16;
  const vFloats = xis * xiStride + 16, mFloats = xis * mStride + 16;
  return {
    kind: `winograd F(${m}x${m},3x3) small map conv 3x3/1 ${c.C}->${c.M} ${xis} gemms ${Tp}x${c.C}x${c.M} (tiles x channels)`,
    scratchBytes: (planeFloats + 16) * 4,
    sharedScratchBytes: (vFloats + mFloats) * 4,
    consts: [winogradWeights(t, w, c.M, c.C, NR)],
    emit(ctx) {
      const fin = ctx.wasmName('wsin'), fgemm = ctx.wasmName('wsgemm'), fout = ctx.wasmName('wsout');
      const xAt = ctx.at(node.inputs[0]), yAt = ctx.at(node.outputs[0]), plane = c.OH * c.OW;
      const uAt = ctx.consts[0]!, uBytes = nbs * c.C * NR * 4;
      const vb = ctx.sharedScratch, mb = vb + vFloats * 4;
      const ops = (n: number) => operandSteps(ep.simd).map((st, i) => {
        const a = ctx.at(node.inputs[ep.simdOperands[i]!]);
        return st.per === 'full' ? `, ${a + n * c.M * plane * 4}` : `, ${a}`;
      }).join('');
      const phases: Phase[] = [];
      for (let n = 0; n < c.N; n++) {
        phases.push({ js: `${split(c.C)}
    W.${fin}(${xAt + n * c.C * c.H * c.W * 4}, ${ctx.scratch} + tid * ${(planeFloats + 16) * 4}, ${vb}, lo, hi);` });
        phases.push({ js: `${split(nbs)}
    if (lo < hi) {
      for (let xi = 0; xi < ${xis}; xi++) W.${fgemm}(${vb} + xi * ${xiStride * 4}, ${uAt} + xi * ${uBytes}, ${mb} + xi * ${mStride * 4}, 0, ${Tp / MR}, lo, hi);
      W.${fout}(${mb}, ${yAt + n * c.M * plane * 4}, lo * ${NR}, Math.min(${c.M}, hi * ${NR})${ops(n)});
    }` });
      }
      if (ep.tail.length) {
        phases.push({ js: `${split(c.N * c.M)}\n    ${tailPassJs(ep.tail, { y: String(yAt / 4), cols: plane, channels: c.M, operand: (i) => String(ctx.at(node.inputs[i]) / 4) })}` });
      }
      return {
        phases,
        wasm: [
          { name: fin, code: ctx.code(emitGatherInput, { t, C: c.C, H: c.H, W: c.W, PT: c.PT, PL: c.PL, TH, TW, PW, xiStride }) },
          { name: fgemm, code: ctx.code(emitGemm, { M: Tp, N: c.M, K: c.C, MR, V, ldc: c.M, steps: [], rowsOuter: false }) },
          { name: fout, code: ctx.code(emitChannelOutput, { t, M: c.M, OH: c.OH, OW: c.OW, TH, TW, xiStride: mStride, steps: ep.simd }) },
        ],
      };
    },
  };
}
