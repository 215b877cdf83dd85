// Pointwise (1x1, stride 1, unpadded, one group) convolution in the blocked layout NCHWc4 (../layout.ts), in
// WebAssembly SIMD (an NCHW output, at a region's exit, is stored lane by lane): Y[cb][p][0..4] = sum_ci W[4cb..4cb+4][ci] * X[ci][p]. The weights are the vectors here (packed at
// compile time as [block pair][ci][8]: two output blocks side by side) and the input is broadcast, one pixel's channel
// at a time, so the input is read where it lies, in either layout, through three strides (a block of 4 input channels,
// a channel within the block, a pixel): no im2col and no repacking. One tile is 2 output blocks x 4 pixels, 8 f32x4
// accumulators (the NCHW GEMM's 4x8 tile transposed, the largest V8 keeps in registers: ./gemm.ts); a lone last block
// (output channels = 4 mod 8) takes a 1-block tile, the pixels past the last multiple of 4 a 1-pixel tile.
import { Code, I32, V128 } from './encode.ts';
import type { SimdStep } from './simd-act.ts';
import { emitSimdEpilogue, operandParams } from './epilogue.ts';

export interface BlockedPointwiseShape {
  /** Input channels (a multiple of 4), output channels (a multiple of 4), pixels per image. */
  K: number; M: number; P: number;
  /** The input's layout: 'nchwc4' (a region's inside) or 'nchw' (the region's entry, read in place). */
  input: 'nchw' | 'nchwc4';
  /** The output's layout (a residual operand shares it): 'nchwc4', or 'nchw' at a region's exit (lane stores). */
  output: 'nchw' | 'nchwc4';
  steps: SimdStep[];
}

/** Input byte strides of one block of 4 channels, one channel within a block, one pixel. */
export function inputStrides(s: Pick<BlockedPointwiseShape, 'P' | 'input'>): { block: number; lane: number; pixel: number } {
  return s.input === 'nchwc4' ? { block: s.P * 16, lane: 4, pixel: 16 } : { block: s.P * 16, lane: s.P * 4, pixel: 4 };
}

/** Weights [M, K] packed as [pair][K][8] (block pairs), then a lone last block as [K][4]. */
export function packPointwiseWeights(w: ArrayLike<number>, M: number, K: number): Float32Array {
  const out = new Float32Array(M * K);
  const pairs = Math.floor(M / 8);
  for (let q = 0; q < pairs; q++) for (let k = 0; k < K; k++) for (let r = 0; r < 8; r++) out[(q * K + k) * 8 + r] = w[(q * 8 + r) * K + k]!;
  if (M % 8) for (let k = 0; k < K; k++) for (let r = 0; r < 4; r++) out[pairs * 8 * K + k * 4 + r] = w[(pairs * 8 + r) * K + k]!;
  return out;
}

/**
 * Parameters: x, w (packed), y (image bases), q0, q1 (output block pairs; index `pairs` is the lone last block when
 * M = 4 mod 8), p0, p1 (pixels; p0 a multiple of 4), then one address per operand step.
 */
export function emitBlockedPointwise(s: BlockedPointwiseShape): Code {
  const code = new Code([I32, I32, I32, I32, I32, I32, I32, ...new Array(operandParams(s.steps)).fill(I32)]);
  const [X, Wp, Y, Q0, Q1, P0, P1] = [0, 1, 2, 3, 4, 5, 6];
  const st = inputStrides(s);
  const pairs = Math.floor(s.M / 8), lone = s.M % 8 !== 0;
  const q = code.local(I32), p = code.local(I32), xk = code.local(I32), wk = code.local(I32), wEnd = code.local(I32);
  const yp = code.local(I32), rowOff = code.local(I32), lEnd = code.local(I32), fp = code.local(I32);
  const blockedOut = s.output === 'nchwc4', outPixel = blockedOut ? 16 : 4;
  const acc = Array.from({ length: 8 }, () => code.local(V128));
  const wv = [code.local(V128), code.local(V128)], a = code.local(V128), tmp = code.local(V128), zero = code.local(V128);
  code.v128zero().set(zero);

  // One tile of nv output blocks x np pixels at pixel p, block pair q (weights from wBase).
  const tile = (nv: number, np: number, wBase: () => void) => {
    code.get(X).get(p).i32(st.pixel).op('i32.mul').op('i32.add').set(xk);
    wBase(); code.set(wk);
    code.get(wk).i32(s.K * nv * 16).op('i32.add').set(wEnd);
    for (let i = 0; i < nv * np; i++) code.v128zero().set(acc[i]!);
    // K loop: per block of 4 input channels, an inner loop over its channels (one K step per iteration, like the
    // NCHW GEMM: unrolling the 4 channels lets V8 hoist the next step's loads and spill accumulators).
    code.loop();
    code.get(xk).i32(4 * st.lane).op('i32.add').set(lEnd);
    code.loop();
    for (let v = 0; v < nv; v++) code.get(wk).mem('v128.load', v * 16).set(wv[v]!);
    for (let j = 0; j < np; j++) {
      code.get(xk).mem('v128.load32_splat', j * st.pixel).set(a);
      for (let v = 0; v < nv; v++) code.get(acc[j * nv + v]!).get(a).get(wv[v]!).op('f32x4.mul').op('f32x4.add').set(acc[j * nv + v]!);
    }
    code.addTo(wk, nv * 16).addTo(xk, st.lane);
    code.get(xk).get(lEnd).op('i32.ne').brIf(0);
    code.op('end');
    code.addTo(xk, st.block - 4 * st.lane);
    code.get(wk).get(wEnd).op('i32.ne').brIf(0);
    code.op('end');
    // yp: output block 2q (or the lone block), pixel p; rowOff: that block's byte offset in a per-channel operand.
    code.get(q).i32(32).op('i32.mul').set(rowOff);
    code.get(Y).get(q).i32(2 * s.P * 16).op('i32.mul').op('i32.add').get(p).i32(outPixel).op('i32.mul').op('i32.add').set(yp);
    for (let j = 0; j < np; j++) for (let v = 0; v < nv; v++) {
      const r = acc[j * nv + v]!, at = v * s.P * 16 + j * outPixel;
      // A full operand's vector at this output position (yp - Y + its base), in the output's layout.
      const fullAt = (slot: number) => code.get(yp).get(slot).op('i32.add').get(Y).op('i32.sub');
      emitSimdEpilogue(code, s.steps, r, tmp, zero, 7, {
        row: (slot) => code.get(slot).get(rowOff).op('i32.add').mem('v128.load', v * 16),
        col: null,
        scalar: (slot) => code.get(slot).mem('v128.load32_splat', 0),
        full: (slot) => {
          if (blockedOut) { fullAt(slot).mem('v128.load', at); return; }
          fullAt(slot).set(fp);
          code.get(fp).mem('v128.load32_zero', at);
          for (let l = 1; l < 4; l++) { code.set(tmp).get(fp).get(tmp).lane('v128.load32_lane', at + l * s.P * 4, l); }
        },
      });
      if (blockedOut) code.get(yp).get(r).mem('v128.store', at);
      else for (let l = 0; l < 4; l++) code.get(yp).get(r).lane('v128.store32_lane', at + l * s.P * 4, l);
    }
  };
  // All pixels [p0, p1) of the current q: 4-pixel tiles, then 1-pixel tiles.
  const pixels = (nv: number, wBase: () => void) => {
    code.get(P0).set(p);
    code.block().loop();
    code.get(p).i32(4).op('i32.add').get(P1).op('i32.gt_s').brIf(1);
    tile(nv, 4, wBase);
    code.addTo(p, 4).br(0);
    code.op('end').op('end');
    code.block().loop();
    code.get(p).get(P1).op('i32.ge_s').brIf(1);
    tile(nv, 1, wBase);
    code.addTo(p, 1).br(0);
    code.op('end').op('end');
  };
  code.get(Q0).set(q);
  code.block().loop();
  code.get(q).get(Q1).op('i32.ge_s').brIf(1);
  code.get(q).i32(pairs).op('i32.ge_s').brIf(1);
  pixels(2, () => code.get(Wp).get(q).i32(s.K * 32).op('i32.mul').op('i32.add'));
  code.addTo(q, 1).br(0);
  code.op('end').op('end');
  if (lone) {
    code.get(Q1).i32(pairs).op('i32.gt_s').get(Q0).i32(pairs).op('i32.le_s').op('i32.and').if_();
    code.i32(pairs).set(q);
    pixels(1, () => code.get(Wp).i32(pairs * s.K * 32).op('i32.add'));
    code.op('end');
  }
  return code;
}
