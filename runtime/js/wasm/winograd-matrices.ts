// Winograd minimal filtering F(m x m, 3 x 3) (Lavin & Gray 2016): a tile of m x m outputs of a 3x3 stride-1
// convolution is Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A, with d the (m+2) x (m+2) input tile and g the 3x3 filter.
// The matrices below use the interpolation points 0, ±1, ±2 (and ∞) of wincnn, the points with the smallest
// error for these sizes (Barabasz et al. 2020). They are shared by the js kernel (../kernels/winograd.ts) and
// the differential tests' error bound (test/helpers/error-bound.ts), so the bound is derived from the same
// numbers the kernel multiplies by.

export interface WinogradTransform {
  /** Output tile size m; the input tile is alpha = m + 2 wide. */
  m: number; alpha: number;
  /** B^T: alpha x alpha (input), G: alpha x 3 (filter), A^T: m x alpha (output). */
  BT: number[][]; G: number[][]; AT: number[][];
}

export const F2: WinogradTransform = {
  m: 2, alpha: 4,
  BT: [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
  G: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
  AT: [[1, 1, 1, 0], [0, 1, -1, -1]],
};

export const F4: WinogradTransform = {
  m: 4, alpha: 6,
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

/** X Y (dense, float64). */
export function matmul(X: number[][], Y: number[][]): number[][] {
  return X.map((row) => Y[0]!.map((_, j) => row.reduce((s, x, k) => s + x * Y[k]![j]!, 0)));
}

export const transpose = (X: number[][]): number[][] => X[0]!.map((_, j) => X.map((row) => row[j]!));

/** G g G^T of one 3x3 filter (row-major, 9 numbers at `at`), in float64: alpha*alpha numbers, row-major. */
export function filterTransform(t: WinogradTransform, w: ArrayLike<number>, at: number): number[] {
  const g = [0, 1, 2].map((r) => [0, 1, 2].map((c) => w[at + r * 3 + c]!));
  return matmul(matmul(t.G, g), transpose(t.G)).flat();
}

/** Non-zeros per row of X, the longest: the length of the sums the transform X computes. */
export const rowTerms = (X: number[][]): number => Math.max(...X.map((r) => r.filter((x) => x !== 0).length));
