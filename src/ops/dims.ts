// Helpers for shape rules over (possibly symbolic) dimensions and for index arithmetic in reference ops.
// A symbolic product is kept as a number times a multiset of symbols, so [N, 3, 4] reshaped with [0, -1]
// resolves to [N, 12] exactly, while anything that cannot be resolved becomes a fresh symbol.
import type { Dim } from '../ir/graph.ts';
import type { InferContext } from '../ir/registry.ts';
import type { Tensor } from '../ir/tensor.ts';
import { stridesOf } from '../ir/tensor.ts';
import { lcError } from '../diagnostics.ts';

export interface SymProduct { num: number; syms: string[] }

export function symProduct(dims: readonly Dim[]): SymProduct {
  let num = 1;
  const syms: string[] = [];
  for (const d of dims) typeof d === 'number' ? (num *= d) : syms.push(d);
  return { num, syms: syms.sort() };
}

/** The product as one Dim when it is a plain number or a single symbol; else a fresh symbol. */
export function dimProduct(ctx: InferContext, dims: readonly Dim[], hint: string): Dim {
  const p = symProduct(dims);
  if (p.syms.length === 0) return p.num;
  if (p.syms.length === 1 && p.num === 1) return p.syms[0];
  return ctx.freshDim(hint);
}

/** Removes each symbol of `sub` from `from`; null when `sub` has a symbol `from` lacks. */
export function removeSyms(from: string[], sub: string[]): string[] | null {
  const rest = [...from];
  for (const s of sub) {
    const i = rest.indexOf(s);
    if (i < 0) return null;
    rest.splice(i, 1);
  }
  return rest;
}

/** Integer values of a constant 1-D (or scalar) input, or null when the input is absent or not constant. */
export function constInts(ctx: InferContext, i: number): number[] | null {
  const t = ctx.constInput(i);
  return t ? t.toNumbers() : null;
}

/** Calls `f(index, flat)` for every element of a row-major tensor of `shape` (index is reused: copy it to keep). */
export function forEachIndex(shape: readonly number[], f: (index: number[], flat: number) => void): void {
  const n = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    f(idx, flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

/** Flat offset of `index` in a tensor. */
export function offsetOf(t: Tensor, index: readonly number[]): number {
  const s = stridesOf(t.shape);
  let o = 0;
  for (let d = 0; d < index.length; d++) o += index[d] * s[d];
  return o;
}

/** Normalizes axes (negative allowed) against a rank; fails on out-of-range or repeated axes. */
export function normAxes(ctx: Pick<InferContext, 'fail'>, axes: readonly number[], rank: number, what = 'axes'): number[] {
  const out = axes.map((a) => (a < 0 ? a + rank : a));
  out.forEach((a, i) => {
    if (!Number.isInteger(a) || a < 0 || a >= rank) ctx.fail('LC030', [what, `axis ${axes[i]} is out of range for rank ${rank}`]);
  });
  if (new Set(out).size !== out.length) ctx.fail('LC030', [what, `repeated axis in [${axes.join(', ')}]`]);
  return out;
}

/** A `fail` for reference implementations, which have no InferContext (the interpreter adds node context). */
export const RAISE: Pick<InferContext, 'fail'> = {
  fail(code, args): never { throw lcError(code, args); },
};
