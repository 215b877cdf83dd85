// The matrices of Winograd minimal filtering F(m, r) for any tile m and filter width r, built by the modified
// Toom-Cook construction from alpha - 1 = m + r - 2 finite interpolation points and the point at infinity
// (Lavin & Gray 2016; wincnn): the m outputs of a 1-D correlation of r filter taps over alpha inputs are
// y = A^T [ (G g) ⊙ (B^T d) ], with, for finite points f_j and the infinity row / column last,
//   A^T[i][j] = f_j^i                          (A^T[i][alpha-1] = [i = m-1])
//   G[j][k]   = f_j^k / prod_{l != j} (f_j - f_l)  (G[alpha-1][k] = [k = r-1])
//   B^T[j]    = coefficients of prod_{l != j} (x - f_l), lowest first   (B^T[alpha-1]: of prod_l (x - f_l)).
// Dyadic points (0, ±1, ±2, ±1/2) give A^T and B^T exactly in float64; G is rounded once per entry. The 3x3
// transforms the stride-1 kernel has always used (F2, F4 in ./winograd-matrices.ts) stay as written there; these
// serve the other filter widths (the stride-2 convs split into phases: ../kernels/winograd-phase.ts).

/** Coefficients (lowest first) of prod (x - roots[i]). */
function fromRoots(roots: readonly number[]): number[] {
  let p = [1];
  for (const f of roots) p = [...p.map((c) => -f * c), 0].map((c, i) => c + (i > 0 ? p[i - 1]! : 0));
  return p;
}

/** A^T (m x alpha), G (alpha x r), B^T (alpha x alpha) of F(m, r) over the finite `points` (m + r - 2 of them). */
export function toomCook(m: number, r: number, points: readonly number[]): { AT: number[][]; G: number[][]; BT: number[][] } {
  const alpha = m + r - 1;
  if (points.length !== alpha - 1 || new Set(points).size !== points.length) throw new Error(`F(${m},${r}) needs ${alpha - 1} distinct points`);
  const AT = Array.from({ length: m }, (_, i) => [...points.map((f) => f ** i), i === m - 1 ? 1 : 0]);
  const G = [
    ...points.map((f, j) => {
      const den = points.reduce((p, l, q) => (q === j ? p : p * (f - l)), 1);
      return Array.from({ length: r }, (_, k) => f ** k / den);
    }),
    Array.from({ length: r }, (_, k) => (k === r - 1 ? 1 : 0)),
  ];
  const pad = (p: number[]) => [...p, ...new Array(alpha - p.length).fill(0)] as number[];
  const BT = [...points.map((_, j) => pad(fromRoots(points.filter((__, q) => q !== j)))), fromRoots(points)];
  return { AT, G, BT: BT.map((row) => row.map((x) => x + 0)) }; // + 0: no -0 entries
}
