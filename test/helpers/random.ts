// The tests' one module for random inputs and comparisons. Generators: src/random.ts's mulberry32 (what the
// library itself uses) and `lcg`, the linear congruential sequence older suites were written against — kept
// bit for bit because their seeds, fast-check shrunk regressions and coverage thresholds replay through it;
// `lcg31`, the C library's rand(), for the training-data suites tuned on it.
// Comparisons: maxAbsDiff (two tensors, shapes and dtypes checked) and maxDiff (two runs' outputs by name).
import { Tensor } from '../../src/ir/tensor.ts';
import type { DType } from '../../src/ir/dtype.ts';
import { mulberry32 } from '../../src/random.ts';

export { mulberry32 };
export const rng = mulberry32;

/** Uniform floats in [0, 1): x' = 1664525 x + 1013904223 mod 2^32 (Numerical Recipes), seed 0 read as 1. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

/**
 * Uniform floats in [0, 1) from the C library's classic rand(): x' = (1103515245 x + 12345) mod 2^31, computed
 * in doubles exactly as the training-data suites first wrote it (the product can exceed 2^53, so the rounding is
 * part of the sequence they were tuned on).
 */
export function lcg31(seed: number): () => number {
  let s = seed;
  return () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
}

/** float32 tensor of uniform values in [lo, hi) drawn from `rnd` (a generator) or from lcg(seed). */
export function uniformTensor(shape: number[], rnd: (() => number) | number, lo = -1, hi = 1): Tensor {
  const r = typeof rnd === 'number' ? lcg(rnd) : rnd;
  return Tensor.fromArray('float32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * r()));
}

/** Random data of any dtype: floats in [-range, range), integers over a small range that still exercises wrapping. */
export function randomTensorOf(dtype: DType, shape: number[], rand: () => number, range = 4): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const vals = Array.from({ length: n }, () => {
    const u = rand() * 2 * range - range;
    if (dtype === 'float32' || dtype === 'float64') return u;
    if (dtype === 'bool') return rand() < 0.5 ? 1 : 0;
    if (dtype === 'uint8') return Math.floor(rand() * 256);
    if (dtype === 'int8') return Math.floor(rand() * 256) - 128;
    return Math.round(u * 10);
  });
  return Tensor.fromArray(dtype, shape, vals);
}

/** Max |a - b| after checking shapes and dtypes agree (NaN on both sides counts as equal). */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  if (a.dtype !== b.dtype) throw new Error(`dtype ${a.dtype} != ${b.dtype}`);
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`shape [${a.shape}] != [${b.shape}]`);
  }
  let m = 0;
  for (let i = 0; i < a.size; i++) {
    const x = a.data[i], y = b.data[i];
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x === y) continue;
    m = Math.max(m, Math.abs(x - y));
  }
  return m;
}

/** Largest |a - b| over every output of two runs (by output name). */
export function maxDiff(a: Record<string, Tensor>, b: Record<string, Tensor>): number {
  let m = 0;
  for (const [k, t] of Object.entries(a)) {
    const o = b[k];
    if (!o || o.shape.join() !== t.shape.join()) throw new Error(`output ${k} missing or reshaped`);
    for (let i = 0; i < t.size; i++) m = Math.max(m, Math.abs(t.data[i]! - o.data[i]!));
  }
  return m;
}
