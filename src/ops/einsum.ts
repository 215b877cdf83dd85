// Einsum (opset 12): the general form. The equation names every axis of every operand with a letter;
// `...` stands for leading broadcast axes. Output letters come after `->`, or (implicit form) are the
// letters used exactly once, in alphabetical order, after the broadcast axes. The reference loops over
// every combination of every letter's values and adds the product of the operands into the output element:
// repeated letters in one operand read its diagonal, letters missing from the output are summed.
import type { Dim } from '../ir/graph.ts';
import { defineOp, type InferContext } from '../ir/registry.ts';
import { Tensor, stridesOf } from '../ir/tensor.ts';
import { RAISE, forEachIndex } from './dims.ts';

/** A parsed equation: per operand its labels (broadcast axes are labels '0', '1', ... counted from the left of the ellipsis), and the output labels. */
export interface Einsum { inputs: string[][]; output: string[] }

export function parseEinsum(fail: typeof RAISE, equation: string, ranks: number[]): Einsum {
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs] = eq.split('->') as [string, string | undefined];
  const terms = lhs.split(',');
  if (terms.length !== ranks.length) fail.fail('LC030', ['equation', `"${equation}" has ${terms.length} operands, the node has ${ranks.length} inputs`]);
  const bad = (why: string): never => fail.fail('LC030', ['equation', `"${equation}": ${why}`]);
  let ell = 0;
  const letters = (term: string) => {
    if (!/^[A-Za-z]*(\.\.\.)?[A-Za-z]*$/.test(term)) bad(`"${term}" is not letters with at most one "..."`);
    return term.replace('...', '').split('');
  };
  terms.forEach((t, k) => { if (t.includes('...')) ell = Math.max(ell, ranks[k] - letters(t).length); });
  const expand = (term: string, rank: number | null): string[] => {
    const ls = letters(term);
    if (!term.includes('...')) {
      if (rank !== null && ls.length !== rank) bad(`"${term}" names ${ls.length} axes of an operand of rank ${rank}`);
      return ls;
    }
    const k = rank === null ? ell : rank - ls.length;
    if (k < 0) bad(`"${term}" names more axes than its operand has (${rank})`);
    const [pre, post] = term.split('...');
    return [...pre.split('').filter(Boolean), ...Array.from({ length: k }, (_, i) => String(ell - k + i)), ...post.split('').filter(Boolean)];
  };
  const inputs = terms.map((t, k) => expand(t, ranks[k]));
  let output: string[];
  if (rhs !== undefined) {
    output = expand(rhs, null);
    const seen = new Set(inputs.flat());
    for (const l of output) if (!seen.has(l)) bad(`output letter "${l}" does not appear in an input`);
    if (new Set(output).size !== output.length) bad('an output letter repeats');
  } else {
    const count = new Map<string, number>();
    for (const l of inputs.flat()) count.set(l, (count.get(l) ?? 0) + 1);
    const broadcast = Array.from({ length: ell }, (_, i) => String(i));
    output = [...broadcast, ...[...count].filter(([l, c]) => c === 1 && /[A-Za-z]/.test(l)).map(([l]) => l).sort()];
  }
  return { inputs, output };
}

/** Each label's size (broadcast axes of size 1 stretch); fails on a mismatch. */
function labelSizes<D extends Dim>(fail: typeof RAISE, e: Einsum, shapes: (readonly D[])[], unknown: () => D): Map<string, D> {
  const size = new Map<string, D>();
  e.inputs.forEach((ls, k) => ls.forEach((l, d) => {
    const s = shapes[k][d], prev = size.get(l);
    if (prev === undefined || prev === 1) { size.set(l, s); return; }
    if (s === 1 && /^\d/.test(l)) return;
    if (typeof prev === 'number' && typeof s === 'number' && prev !== s) {
      fail.fail('LC032', [`Einsum: axis "${/^\d/.test(l) ? '...' : l}" has sizes ${prev} and ${s}`]);
    }
    if (typeof prev !== 'number' && typeof s === 'number') size.set(l, s);
  }));
  for (const l of e.output) if (!size.has(l)) size.set(l, unknown());
  return size;
}

defineOp({
  name: 'Einsum',
  onnxSince: 12,
  summary: 'Einstein summation over an equation (general: diagonals, sums, broadcasting)',
  attrs: { equation: { type: 'string', required: true } },
  inputs: [1, Infinity],
  outputs: [1, 1],
  inferType(ctx: InferContext) {
    const ins = ctx.inputs.map((t) => t!);
    const dtype = ins[0].dtype;
    for (const t of ins) if (t.dtype !== dtype) ctx.fail('LC033', [`Einsum inputs have different types ${dtype} and ${t.dtype}`]);
    if (ins.some((t) => !t.shape)) return [{ dtype, shape: null }];
    const e = parseEinsum(ctx, ctx.attrs.equation as string, ins.map((t) => t.shape!.length));
    const sizes = labelSizes<Dim>(ctx, e, ins.map((t) => t.shape!), () => ctx.freshDim('einsum'));
    return [{ dtype, shape: e.output.map((l) => sizes.get(l)!) }];
  },
  evalRef(xs, ctx) {
    const ts = xs as Tensor[];
    const e = parseEinsum(RAISE, ctx.attrs.equation as string, ts.map((t) => t.rank));
    const sizes = labelSizes<number>(RAISE, e, ts.map((t) => t.shape), () => 1);
    const all = [...e.output, ...[...sizes.keys()].filter((l) => !e.output.includes(l))];
    const pos = new Map(all.map((l, i) => [l, i]));
    // Per operand: stride of each loop variable (0 where the operand lacks it or broadcasts it).
    const loopStrides = ts.map((t, k) => {
      const st = stridesOf(t.shape), s = new Array<number>(all.length).fill(0);
      e.inputs[k].forEach((l, d) => { if (t.shape[d] !== 1 || sizes.get(l) === 1) s[pos.get(l)!] += st[d]; });
      return s;
    });
    const outShape = e.output.map((l) => sizes.get(l)!);
    const outStrides = stridesOf(outShape);
    const acc = new Float64Array(outShape.reduce((a, b) => a * b, 1));
    forEachIndex(all.map((l) => sizes.get(l)!), (idx) => {
      let o = 0;
      for (let d = 0; d < e.output.length; d++) o += idx[d] * outStrides[d];
      let p = 1;
      for (let k = 0; k < ts.length; k++) {
        let off = 0;
        const s = loopStrides[k];
        for (let d = 0; d < idx.length; d++) off += idx[d] * s[d];
        p *= ts[k].data[off];
      }
      acc[o] += p;
    });
    return [Tensor.fromArray(ts[0].dtype, outShape, acc)];
  },
});
