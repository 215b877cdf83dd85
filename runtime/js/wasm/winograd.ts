// The two transforms of a Winograd convolution (./winograd-matrices.ts) in WebAssembly SIMD, with the four
// lanes of a vector holding four horizontally neighbouring tiles, so every step is a plain vector op:
//   input:  V = B^T d B per tile and channel, written as the B operand of the packed GEMM (one panel set per
//           element ξ of the alpha x alpha tile: [ceil(N/8)][C][8], N = tiles), the GEMM then forms
//           M_ξ[M, N] = U_ξ[M, C] V_ξ[C, N] (../kernels/winograd.ts calls it once per ξ);
//   output: Y = A^T M A per tile and channel, the m x 4 tile values of a row shuffled into m row vectors,
//           the fused epilogue applied on them (./epilogue.ts) and stored, clipped at the right and bottom edges.
// The input is read from a zero-padded copy deinterleaved by column phase ([c][row][x mod m][x div m]), so the
// value at column s of the four tiles' windows (columns 4m·g + m·l + s, l = 0..3) is one contiguous vector.
import { Code, I32, V128 } from './encode.ts';
import type { SimdPer, SimdStep } from './simd-act.ts';
import { emitSimdEpilogue, operandParams } from './epilogue.ts';
import type { WinogradTransform } from './winograd-matrices.ts';

/** Operand layouts the output transform addresses (as the direct kernel: per channel, full, scalar). */
export const WINOGRAD_OPERANDS: readonly SimdPer[] = ['row', 'full', 'scalar'];

/** Pushes sum_k coef[k] * input(k) (inputs pushed by callback; constants from `konst`). */
export function combine(code: Code, coef: readonly number[], input: (k: number) => void, konst: (c: number) => number): void {
  let first = true;
  coef.forEach((c, k) => {
    if (c === 0) return;
    input(k);
    if (c === -1) code.op(first ? 'f32x4.neg' : 'f32x4.sub');
    else {
      if (c !== 1) code.get(konst(c)).op('f32x4.mul');
      if (!first) code.op('f32x4.add');
    }
    first = false;
  });
  if (first) code.v128zero();
}

/** v128 locals holding each distinct constant (other than 0 and ±1) of the matrices, splatted once. */
export function constants(code: Code, matrices: number[][][]): (c: number) => number {
  const locals = new Map<number, number>();
  for (const c of matrices.flat(2)) {
    if (c === 0 || c === 1 || c === -1 || locals.has(c)) continue;
    const l = code.local(V128);
    code.f32(c).op('f32x4.splat').set(l);
    locals.set(c, l);
  }
  return (c) => locals.get(c)!;
}

export interface DeinterleaveShape {
  m: number; C: number; H: number; W: number; PL: number;
  /** Floats per column phase, padded rows per channel of the destination. */
  Q: number; rows: number;
}

/**
 * The zero-padded, phase-deinterleaved copy of rows [iy0, iy0 + n) of one image (padded row r = input row iy0 + r):
 * input column ix lands in phase (ix + PL) mod m at slot (ix + PL) div m. Blocks of 4m columns are m vector loads
 * regrouped by phase with shuffles (a 4x4 transpose for m = 4) and m vector stores; the rest column by column.
 * Parameters: src (the image's channel 0), dst, iy0, n.
 */
export function emitDeinterleave(s: DeinterleaveShape): Code {
  const { m, Q } = s;
  const code = new Code([I32, I32, I32, I32]);
  const [SRC, DST, IY0, NR] = [0, 1, 2, 3];
  const c = code.local(I32), r = code.local(I32), d = code.local(I32), sp = code.local(I32), iy = code.local(I32), blk = code.local(I32);
  const x = Array.from({ length: m }, () => code.local(V128)), t = Array.from({ length: 4 }, () => code.local(V128));
  const rowFloats = m * Q, blocks = Math.floor(s.W / (4 * m));
  // Where phase j's 4 values of a block go, relative to the block's first slot (ix0 / m).
  const at = (j: number) => (((j + s.PL) % m) * Q + Math.floor((j + s.PL) / m)) * 4;
  code.i32(0).set(c);
  code.loop();
  code.i32(0).set(r);
  code.block().loop();
  code.get(r).get(NR).op('i32.ge_s').brIf(1);
  code.get(DST).get(c).i32(s.rows).op('i32.mul').get(r).op('i32.add').i32(rowFloats * 4).op('i32.mul').op('i32.add').set(d);
  for (let k = 0; k + 4 <= rowFloats; k += 4) code.get(d).v128zero().mem('v128.store', k * 4);
  for (let k = rowFloats - (rowFloats % 4); k < rowFloats; k++) code.get(d).f32(0).mem('f32.store', k * 4);
  code.get(IY0).get(r).op('i32.add').set(iy);
  code.get(iy).i32(0).op('i32.ge_s').get(iy).i32(s.H).op('i32.lt_s').op('i32.and').if_();
  code.get(SRC).get(c).i32(s.H * s.W).op('i32.mul').get(iy).i32(s.W).op('i32.mul').op('i32.add').i32(4).op('i32.mul').op('i32.add').set(sp);
  if (blocks > 0) {
    code.i32(blocks).set(blk);
    code.loop();
    for (let k = 0; k < m; k++) code.get(sp).mem('v128.load', 16 * k).set(x[k]!);
    const ph: number[] = [];
    if (m === 4) {
      code.get(x[0]!).get(x[1]!).shuffle32([0, 4, 1, 5]).set(t[0]!);
      code.get(x[0]!).get(x[1]!).shuffle32([2, 6, 3, 7]).set(t[1]!);
      code.get(x[2]!).get(x[3]!).shuffle32([0, 4, 1, 5]).set(t[2]!);
      code.get(x[2]!).get(x[3]!).shuffle32([2, 6, 3, 7]).set(t[3]!);
      code.get(t[0]!).get(t[2]!).shuffle32([0, 1, 4, 5]).set(x[0]!);
      code.get(t[0]!).get(t[2]!).shuffle32([2, 3, 6, 7]).set(x[1]!);
      code.get(t[1]!).get(t[3]!).shuffle32([0, 1, 4, 5]).set(x[2]!);
      code.get(t[1]!).get(t[3]!).shuffle32([2, 3, 6, 7]).set(x[3]!);
      ph.push(0, 1, 2, 3);
    } else {
      code.get(x[0]!).get(x[1]!).shuffle32([0, 2, 4, 6]).set(t[0]!);
      code.get(x[0]!).get(x[1]!).shuffle32([1, 3, 5, 7]).set(t[1]!);
      code.get(t[0]!).set(x[0]!).get(t[1]!).set(x[1]!);
      ph.push(0, 1);
    }
    for (const j of ph) code.get(d).get(x[j]!).mem('v128.store', at(j));
    code.addTo(sp, 16 * m).addTo(d, 16);
    code.get(blk).i32(1).op('i32.sub').tee(blk).brIf(0);
    code.op('end');
  }
  for (let ix = blocks * 4 * m; ix < s.W; ix++) {
    const j = ix % (4 * m), off = at(j % m) + Math.floor(j / m) * 4;
    code.get(d).get(sp).mem('f32.load', j * 4).mem('f32.store', off);
  }
  code.op('end');
  code.addTo(r, 1).br(0);
  code.op('end').op('end');
  code.addTo(c, 1).get(c).i32(s.C).op('i32.lt_s').brIf(0);
  code.op('end');
  return code;
}

export interface InputTransformShape {
  t: WinogradTransform;
  C: number;
  /** Tile columns (a multiple of 4) and the floats per column phase in the deinterleaved input (>= TWp + 1). */
  TWp: number; Q: number;
  /** Padded rows per channel of the deinterleaved chunk. */
  rows: number;
  /** Floats between the panel sets of two ξ (ceil(N/8) * C * 8). */
  xiStride: number;
}

/** Parameters: xd (deinterleaved chunk), v (panel sets), tile rows in the chunk. */
export function emitInputTransform(s: InputTransformShape): Code {
  const { m, alpha, BT } = s.t;
  const code = new Code([I32, I32, I32]);
  const [XD, VB, TR] = [0, 1, 2];
  const rowStride = m * s.Q, chanStride = s.rows * rowStride;
  const ty = code.local(I32), g = code.local(I32), c = code.local(I32), xp = code.local(I32), vp = code.local(I32), t = code.local(I32);
  const d = Array.from({ length: alpha }, () => code.local(V128));
  const T = Array.from({ length: alpha * alpha }, () => code.local(V128));
  const konst = constants(code, [BT]);
  code.i32(0).set(ty);
  code.block().loop();
  code.get(ty).get(TR).op('i32.ge_s').brIf(1);
  code.i32(0).set(g);
  code.loop();
  // First tile of the group t = ty * TWp + 4g sits at lane (t mod 8) of panel t div 8.
  code.get(ty).i32(s.TWp).op('i32.mul').get(g).i32(4).op('i32.mul').op('i32.add').set(t);
  code.get(VB).get(t).i32(3).op('i32.shr_s').i32(s.C * 8 * 4).op('i32.mul').op('i32.add').get(t).i32(7).op('i32.and').i32(4).op('i32.mul').op('i32.add').set(vp);
  code.get(XD).get(ty).i32(m * rowStride * 4).op('i32.mul').op('i32.add').get(g).i32(16).op('i32.mul').op('i32.add').set(xp);
  code.i32(s.C).set(c);
  code.loop();
  // T = B^T d, one window column s at a time (d[r][s] for the four tiles: row r, phase s mod m, +s div m).
  for (let col = 0; col < alpha; col++) {
    for (let r = 0; r < alpha; r++) code.get(xp).mem('v128.load', (r * rowStride + (col % m) * s.Q + Math.floor(col / m)) * 4).set(d[r]!);
    for (let i = 0; i < alpha; i++) {
      combine(code, BT[i]!, (k) => code.get(d[k]!), konst);
      code.set(T[i * alpha + col]!);
    }
  }
  // V = T B: row i of T against row j of B^T; V[i][j] is element ξ = i*alpha + j.
  for (let i = 0; i < alpha; i++) for (let j = 0; j < alpha; j++) {
    code.get(vp);
    combine(code, BT[j]!, (k) => code.get(T[i * alpha + k]!), konst);
    code.mem('v128.store', (i * alpha + j) * s.xiStride * 4);
  }
  code.addTo(xp, chanStride * 4).addTo(vp, 8 * 4);
  code.get(c).i32(1).op('i32.sub').tee(c).brIf(0);
  code.op('end');
  code.addTo(g, 1).get(g).i32(s.TWp / 4).op('i32.lt_s').brIf(0);
  code.op('end');
  code.addTo(ty, 1).br(0);
  code.op('end').op('end');
  return code;
}

export interface OutputTransformShape {
  t: WinogradTransform;
  M: number; OH: number; OW: number; TWp: number;
  /** Columns (tiles) of the GEMM outputs M_ξ, their row stride. */
  N: number;
  /** Floats between the GEMM outputs of two ξ (>= M * N). */
  xiStride: number;
  steps: SimdStep[];
}

/**
 * Parameters: mb (GEMM outputs, M_ξ at mb + ξ*xiStride floats), y (the image's output), ty0 (the chunk's first tile
 * row in the image), tile rows in the chunk, then one address per operand step (row: per channel; full: the
 * image's operand; scalar).
 */
export function emitOutputTransform(s: OutputTransformShape): Code {
  const { m, alpha, AT } = s.t;
  const code = new Code([I32, I32, I32, I32, ...new Array(operandParams(s.steps)).fill(I32)]);
  const [MB, Y, TY0, TR] = [0, 1, 2, 3];
  const plane = s.OH * s.OW, xiStride = s.xiStride;
  const ch = code.local(I32), ty = code.local(I32), g = code.local(I32), mp = code.local(I32), cp = code.local(I32), oy = code.local(I32);
  const Z = Array.from({ length: m * alpha }, () => code.local(V128));
  const Yv = Array.from({ length: m }, () => code.local(V128));
  const col = Array.from({ length: alpha }, () => code.local(V128));
  const rowv = Array.from({ length: m }, () => code.local(V128));
  const a = code.local(V128), b = code.local(V128), tmp = code.local(V128), zero = code.local(V128), opv = code.local(V128);
  const konst = constants(code, [AT]);
  code.v128zero().set(zero);
  const fullGroups = Math.floor(s.OW / (4 * m)), groups = s.TWp / 4;

  // The m*4 outputs of row i of the four tiles, in order, as m vectors (tile lanes -> column lanes).
  const rowVectors = () => {
    if (m === 4) {
      // 4x4 transpose: Yv[j] holds column j of tiles 0..3; rowv[l] = tile l's four columns.
      code.get(Yv[0]!).get(Yv[1]!).shuffle32([0, 4, 1, 5]).set(a);
      code.get(Yv[0]!).get(Yv[1]!).shuffle32([2, 6, 3, 7]).set(b);
      code.get(Yv[2]!).get(Yv[3]!).shuffle32([0, 4, 1, 5]).set(tmp);
      code.get(Yv[2]!).get(Yv[3]!).shuffle32([2, 6, 3, 7]).set(opv);
      code.get(a).get(tmp).shuffle32([0, 1, 4, 5]).set(rowv[0]!);
      code.get(a).get(tmp).shuffle32([2, 3, 6, 7]).set(rowv[1]!);
      code.get(b).get(opv).shuffle32([0, 1, 4, 5]).set(rowv[2]!);
      code.get(b).get(opv).shuffle32([2, 3, 6, 7]).set(rowv[3]!);
    } else {
      // m = 2: interleave columns 0 and 1 of tiles 0..3.
      code.get(Yv[0]!).get(Yv[1]!).shuffle32([0, 4, 1, 5]).set(rowv[0]!);
      code.get(Yv[0]!).get(Yv[1]!).shuffle32([2, 6, 3, 7]).set(rowv[1]!);
    }
  };

  /** One group of four tiles; lanes[q] = valid outputs of row vector q (4 inside, fewer at the right edge). */
  const group = (lanes: number[]) => {
    // mp: M_ξ of (channel, tile ty*TWp + 4g); cp: output (channel, row oy, column 4m*g).
    code.get(MB).get(ch).i32(s.N).op('i32.mul').get(ty).i32(s.TWp).op('i32.mul').op('i32.add').get(g).i32(4).op('i32.mul').op('i32.add').i32(4).op('i32.mul').op('i32.add').set(mp);
    code.get(Y).get(ch).i32(plane).op('i32.mul').get(oy).i32(s.OW).op('i32.mul').op('i32.add').get(g).i32(4 * m).op('i32.mul').op('i32.add').i32(4).op('i32.mul').op('i32.add').set(cp);
    // Z = A^T M, one column k of the alpha x alpha tile at a time.
    for (let k = 0; k < alpha; k++) {
      for (let r = 0; r < alpha; r++) code.get(mp).mem('v128.load', (r * alpha + k) * xiStride * 4).set(col[r]!);
      for (let i = 0; i < m; i++) { combine(code, AT[i]!, (r) => code.get(col[r]!), konst); code.set(Z[i * alpha + k]!); }
    }
    for (let i = 0; i < m; i++) {
      // Row i of the tile: Y[i][j] = sum_k Z[i][k] A^T[j][k].
      for (let j = 0; j < m; j++) { combine(code, AT[j]!, (k) => code.get(Z[i * alpha + k]!), konst); code.set(Yv[j]!); }
      rowVectors();
      code.get(oy).i32(i).op('i32.add').i32(s.OH).op('i32.lt_s').if_();
      lanes.forEach((n, q) => {
        if (n <= 0) return;
        const acc = rowv[q]!, at = (i * s.OW + 4 * q) * 4;
        emitSimdEpilogue(code, s.steps, acc, tmp, zero, 4, {
          row: (p) => code.get(p).get(ch).i32(4).op('i32.mul').op('i32.add').mem('v128.load32_splat', 0),
          col: null,
          scalar: (p) => code.get(p).mem('v128.load32_splat', 0),
          full: (p) => {
            if (n === 4) { code.get(cp).get(p).op('i32.add').get(Y).op('i32.sub').mem('v128.load', at); return; }
            code.v128zero().set(opv);
            for (let l = 0; l < n; l++) code.get(cp).get(p).op('i32.add').get(Y).op('i32.sub').get(opv).lane('v128.load32_lane', at + 4 * l, l).set(opv);
            code.get(opv);
          },
        });
        if (n === 4) code.get(cp).get(acc).mem('v128.store', at);
        else for (let l = 0; l < n; l++) code.get(cp).get(acc).lane('v128.store32_lane', at + 4 * l, l);
      });
      code.op('end');
    }
  };

  code.i32(0).set(ch);
  code.loop();
  code.i32(0).set(ty);
  code.block().loop();
  code.get(ty).get(TR).op('i32.ge_s').brIf(1);
  code.get(TY0).get(ty).op('i32.add').i32(m).op('i32.mul').set(oy);
  if (fullGroups > 0) {
    code.i32(0).set(g);
    code.loop();
    group([4, 4, 4, 4].slice(0, m));
    code.addTo(g, 1).get(g).i32(fullGroups).op('i32.lt_s').brIf(0);
    code.op('end');
  }
  if (groups > fullGroups) {
    const x0 = fullGroups * 4 * m;
    code.i32(fullGroups).set(g);
    group(Array.from({ length: m }, (_, q) => Math.max(0, Math.min(4, s.OW - x0 - 4 * q))));
  }
  code.addTo(ty, 1).br(0);
  code.op('end').op('end');
  code.addTo(ch, 1).get(ch).i32(s.M).op('i32.lt_s').brIf(0);
  code.op('end');
  return code;
}
