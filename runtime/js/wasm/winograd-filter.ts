// The Winograd filter transform U = G g G^T in wasm SIMD, two filters per f64x2 vector: the same float64
// operations in the same order as the JS transformer of ../kernels/winograd-weights.ts (each f32 weight widened
// exactly, zero terms skipped, ±1 without a multiply, sums left to right, one rounding to f32 when stored), so the
// result is that transformer's bit for bit, and ResNet-18's ~1.2 M filters take a fraction of the scalar JS time
// (most of a warm compile once fresh pages are gone). The function transforms the `rows` (<= R) filters of one
// output block, staged at `src` as [rows][C][9] floats, into the block's part of the alpha^2 panels at `dst`
// (element (xi, ch, r) at dst + xi * panel + (ch * R + r) * 4 bytes): per CH channels the values go to a staging area
// `sc` ([xi][CH][R], one xi's chunk a cache line more than its size after the last: chunks a power of two apart
// share L1 sets, which made the staging stores ~2x slower) and are copied out one panel at a time (writing the
// alpha^2 streams, a power of two apart, directly thrashes the caches). Pad rows (r >= rows) are copied from the staging area as it is: the caller zeroes it.
import { Code, I32, V128, type WasmFunction } from './encode.ts';
import type { WinogradTransform } from './winograd-matrices.ts';

/** Channels per staged chunk (as the JS transformer). */
export const FILTER_CH = 64;

/** Bytes from one xi's staged chunk to the next: FILTER_CH * R floats and a cache line. */
export const stagingStride = (R: number) => FILTER_CH * R * 4 + 64;

/** Bytes of the staging area (alpha^2 chunks). */
export const stagingBytes = (t: WinogradTransform, R: number) => t.alpha ** 2 * stagingStride(R);

/** v128.const of two float64 lanes equal to x. */
const f64x2 = (x: number) => [...new Uint8Array(new Float64Array([x, x]).buffer)];

/**
 * (src, dst, C, rows, panel, sc): see the header; addresses in bytes, `panel` the byte distance between two
 * panels. Scratch at sc: stagingBytes(t, R).
 */
export function emitFilterTransform(name: string, t: WinogradTransform, R: number): WasmFunction {
  const a = t.alpha, xis = a * a, CHR = stagingStride(R); // bytes from one xi's staged chunk to the next
  const c = new Code([I32, I32, I32, I32, I32, I32]);
  const [src, dst, C, rows, panel, sc] = [0, 1, 2, 3, 4, 5];
  const c0 = c.local(I32), n = c.local(I32), ch = c.local(I32), r = c.local(I32), s0 = c.local(I32), s1 = c.local(I32), d = c.local(I32);
  const rowBytes = c.local(I32), e = c.local(I32), i = c.local(I32), from = c.local(I32), to = c.local(I32);
  const w = Array.from({ length: 9 }, () => c.local(V128));
  const T = Array.from({ length: a * 3 }, () => c.local(V128));
  const u = c.local(V128);
  /** Pushes sum_k coef[k] * x(k), as the JS `sum` writes it: zero terms skipped, ±1 without a multiply, left to right. */
  const sum = (coef: readonly number[], x: (k: number) => number) => {
    let first = true;
    coef.forEach((k, j) => {
      if (k === 0) return;
      c.get(x(j));
      if (k === -1) c.op('f64x2.neg');
      else if (k !== 1) c.v128const(f64x2(k)).op('f64x2.mul');
      if (!first) c.op('f64x2.add');
      first = false;
    });
    if (first) c.v128zero();
  };
  c.get(C).i32(36).op('i32.mul').set(rowBytes); // one filter row of the staged block: C filters x 9 floats
  c.i32(0).set(c0);
  c.block().loop();
  c.get(c0).get(C).op('i32.ge_s').brIf(1);
  // n = min(FILTER_CH, C - c0)
  c.get(C).get(c0).op('i32.sub').set(n);
  c.get(n).i32(FILTER_CH).op('i32.gt_s').if_().i32(FILTER_CH).set(n).op('end');
  c.i32(0).set(ch);
  c.block().loop();
  c.get(ch).get(n).op('i32.ge_s').brIf(1);
  c.i32(0).set(r);
  c.block().loop();
  c.get(r).get(rows).op('i32.ge_s').brIf(1);
  // s0: filter (r, c0 + ch); s1: filter r + 1, or r again when r is the last row (lane 1 then unused)
  c.get(src).get(r).get(rowBytes).op('i32.mul').op('i32.add').get(c0).get(ch).op('i32.add').i32(36).op('i32.mul').op('i32.add').set(s0);
  c.get(s0).get(rowBytes).op('i32.add').get(s0).get(r).i32(1).op('i32.add').get(rows).op('i32.lt_s').op('select').set(s1);
  for (let k = 0; k < 9; k++) {
    c.get(s1).get(s0).mem('v128.load32_zero', 4 * k).lane('v128.load32_lane', 4 * k, 1); // [g_r[k], g_r+1[k], 0, 0]
    c.op('f64x2.promote_low_f32x4').set(w[k]!);
  }
  t.G.forEach((row, gi) => [0, 1, 2].forEach((col) => { sum(row, (j) => w[j * 3 + col]!); c.set(T[gi * 3 + col]!); }));
  // d: staging address of (xi 0, ch, r)
  c.get(sc).get(ch).i32(R).op('i32.mul').get(r).op('i32.add').i32(4).op('i32.mul').op('i32.add').set(d);
  for (let x = 0; x < xis; x++) {
    sum(t.G[x % a]!, (k) => T[Math.floor(x / a) * 3 + k]!);
    c.op('f32x4.demote_f64x2_zero').set(u);
    // both lanes when r + 1 < rows, else lane 0 only
    c.get(r).i32(1).op('i32.add').get(rows).op('i32.lt_s').if_();
    c.get(d).get(u); c.mem('v128.store64_lane', x * CHR, 3); c.bytes.push(0);
    c.else_();
    c.get(d).get(u).lane('v128.store32_lane', x * CHR, 0);
    c.op('end');
  }
  c.addTo(r, 2).br(0).op('end').op('end');
  c.addTo(ch, 1).br(0).op('end').op('end');
  // copy out: per xi, n * R floats (a multiple of 4 floats: R is 4 or 8) from the staging area to its panel
  c.i32(0).set(e);
  c.block().loop();
  c.get(e).i32(xis).op('i32.ge_s').brIf(1);
  c.get(sc).get(e).i32(CHR).op('i32.mul').op('i32.add').set(from);
  c.get(dst).get(e).get(panel).op('i32.mul').op('i32.add').get(c0).i32(R * 4).op('i32.mul').op('i32.add').set(to);
  c.i32(0).set(i);
  c.block().loop();
  c.get(i).get(n).i32(R * 4).op('i32.mul').op('i32.ge_s').brIf(1);
  c.get(to).get(i).op('i32.add').get(from).get(i).op('i32.add').mem('v128.load').mem('v128.store');
  c.addTo(i, 16).br(0).op('end').op('end');
  c.addTo(e, 1).br(0).op('end').op('end');
  c.addTo(c0, FILTER_CH).br(0).op('end').op('end');
  return { name, code: c };
}
