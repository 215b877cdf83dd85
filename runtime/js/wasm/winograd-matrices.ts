// Winograd minimal filtering F(m x m, 3 x 3) (Lavin & Gray 2016): a tile of m x m outputs of a 3x3 stride-1
// convolution is Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A, with d the (m+2) x (m+2) input tile and g the 3x3 filter.
// The matrices below use the interpolation points 0, ±1, ±2 (and ∞) of wincnn, the points with the smallest
// error for these sizes (Barabasz et al. 2020). They are shared by the js kernel (../kernels/winograd.ts) and
// the differential tests' error bound (test/helpers/error-bound.ts), so the bound is derived from the same
// numbers the kernel multiplies by. Other filter widths take generated matrices (./winograd-toom.ts).
import { toomCook } from './winograd-toom.ts';

export interface WinogradTransform {
  /** Output tile size m, filter width r; the input tile is alpha = m + r - 1 wide. */
  m: number; r: number; alpha: number;
  /** B^T: alpha x alpha (input), G: alpha x r (filter), A^T: m x alpha (output). */
  BT: number[][]; G: number[][]; AT: number[][];
}

export const F2: WinogradTransform = {
  m: 2, r: 3, alpha: 4,
  BT: [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
  G: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
  AT: [[1, 1, 1, 0], [0, 1, -1, -1]],
};

export const F4: WinogradTransform = {
  m: 4, r: 3, alpha: 6,
  BT: [
    [4, 0, -5, 0, 1, 0],
    [0, -4, -4, 1, 1, 0],
    [0, 4, -4, -1, 1, 0],
    [0, -2, -1, 2, 1, 0],
    [0, 2, -1, -2, 1, 0],
    [0, 4, 0, -5, 0, 1],
  ],
  G: [
    [1 / 4, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1],
  ],
  AT: [
    [1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 0],
    [0, 1, 1, 4, 4, 0],
    [0, 1, -1, 8, -8, 1],
  ],
};

export const TRANSFORMS = { 2: F2, 4: F4 } as const;

const generated = (m: number, r: number, points: number[]): WinogradTransform => ({ m, r, alpha: m + r - 1, ...toomCook(m, r, points) });
/** F(4x4,2x2) and F(2x2,4x4), F(4x4,4x4) (./winograd-toom.ts): the phases of 3x3/2 and 7x7/2 convs (../kernels/winograd-phase.ts). */
export const F4R2 = generated(4, 2, [0, 1, -1, 0.5]);
export const F2R4 = generated(2, 4, [0, 1, -1, 0.5]);
export const F4R4 = generated(4, 4, [0, 1, -1, 2, -2, 0.5]);

/** The transforms the kernels may pick for an r x r stride-1 filter (3: the stride-1 kernel's; 2, 4: phases). */
export function transformsFor(r: number): WinogradTransform[] {
  return r === 3 ? [F2, F4] : r === 2 ? [F4R2] : r === 4 ? [F2R4, F4R4] : [];
}

/** X Y (dense, float64). */
export function matmul(X: number[][], Y: number[][]): number[][] {
  return X.map((row) => Y[0]!.map((_, j) => row.reduce((s, x, k) => s + x * Y[k]![j]!, 0)));
}

export const transpose = (X: number[][]): number[][] => X[0]!.map((_, j) => X.map((row) => row[j]!));

/**
 * A function computing G g G^T of one r x r filter (row-major, r*r numbers at `at`) in float64 into `out`
 * (alpha*alpha numbers, row-major): two separable passes over flat arrays, no allocation (a conv layer transforms up
 * to a million filters at compile time). One closure per call site keeps the engine's code monomorphic.
 */
export function filterTransformer(t: WinogradTransform): (w: ArrayLike<number>, at: number, out: Float64Array) => void {
  const a = t.alpha, r = t.r, G = Float64Array.from(t.G.flat()), T = new Float64Array(a * r);
  if (r !== 3) {
    return (w, at, out) => {
      for (let i = 0; i < a; i++) for (let c = 0; c < r; c++) {
        let s = 0;
        for (let k = 0; k < r; k++) s += G[i * r + k]! * w[at + k * r + c]!;
        T[i * r + c] = s;
      }
      for (let i = 0; i < a; i++) for (let j = 0; j < a; j++) {
        let s = 0;
        for (let k = 0; k < r; k++) s += T[i * r + k]! * G[j * r + k]!;
        out[i * a + j] = s;
      }
    };
  }
  return (w, at, out) => {
    const w0 = w[at]!, w1 = w[at + 1]!, w2 = w[at + 2]!, w3 = w[at + 3]!, w4 = w[at + 4]!, w5 = w[at + 5]!, w6 = w[at + 6]!, w7 = w[at + 7]!, w8 = w[at + 8]!;
    for (let i = 0; i < a; i++) {
      const g0 = G[i * 3]!, g1 = G[i * 3 + 1]!, g2 = G[i * 3 + 2]!;
      T[i * 3] = g0 * w0 + g1 * w3 + g2 * w6;
      T[i * 3 + 1] = g0 * w1 + g1 * w4 + g2 * w7;
      T[i * 3 + 2] = g0 * w2 + g1 * w5 + g2 * w8;
    }
    for (let i = 0; i < a; i++) {
      const t0 = T[i * 3]!, t1 = T[i * 3 + 1]!, t2 = T[i * 3 + 2]!;
      for (let j = 0; j < a; j++) out[i * a + j] = t0 * G[j * 3]! + t1 * G[j * 3 + 1]! + t2 * G[j * 3 + 2]!;
    }
  };
}

/** G g G^T of one filter (see filterTransformer), as a fresh array. */
export function filterTransform(t: WinogradTransform, w: ArrayLike<number>, at: number): Float64Array {
  const out = new Float64Array(t.alpha * t.alpha);
  filterTransformer(t)(w, at, out);
  return out;
}

/** Non-zeros per row of X, the longest: the length of the sums the transform X computes. */
export const rowTerms = (X: number[][]): number => Math.max(...X.map((r) => r.filter((x) => x !== 0).length));
