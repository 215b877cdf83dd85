// Sum reductions as generated JS: ReduceSum / ReduceMean / ReduceL2 (sqrt of the sum of squares) with constant axes, and the backward graph's
// ReduceSumLike (a broadcast gradient summed back to its operand's shape — the bias gradients of Gemm and
// Conv). The input's axes are split into kept and reduced ones; adjacent axes of one kind merge into one
// loop. Threads split the output elements; each output walks its reduced axes in row-major order, in a
// float64 accumulator, so the sum is formed in the same order as the reference (src/ops/reduce.ts).
import type { Node } from '../../../src/ir/graph.ts';
import { lit, prod, split, staticShape, type KernelFactory } from '../kernel.ts';

interface Run { size: number; stride: number }

/** Merged runs of kept and of reduced axes (size-1 axes dropped), with their input strides. */
function runs(shape: number[], kept: boolean[]): { kept: Run[]; reduced: Run[] } {
  const out = { kept: [] as Run[], reduced: [] as Run[] };
  let stride = 1, last: boolean | null = null;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    if (d !== 1) {
      const list = kept[i] ? out.kept : out.reduced;
      if (last === kept[i]) list[0]!.size *= d;
      else list.unshift({ size: d, stride });
      last = kept[i]!;
    }
    stride *= d;
  }
  return out;
}

/** JS body: for each output o, sum X over the reduced runs at o's kept position, divided by `divisor`. */
export function reduceSumJs(shape: number[], kept: boolean[], X: number, Y: number, divisor = 1, l2 = false): string {
  const r = runs(shape, kept);
  const nOut = prod(r.kept.map((k) => k.size));
  const base = r.kept.slice().reverse().map((k, i) => (i === r.kept.length - 1
    ? `b += q * ${k.stride};`
    : `{ const t = q % ${k.size}; b += t * ${k.stride}; q = (q - t) / ${k.size}; }`)).join(' ');
  let loops = '';
  r.reduced.forEach((k, d) => { loops += `for (let a${d} = 0, i${d} = ${d ? `i${d - 1}` : 'b'}; a${d} < ${k.size}; a${d}++, i${d} += ${k.stride}) `; });
  const v = r.reduced.length ? `F[i${r.reduced.length - 1}]` : 'F[b]';
  const sum = r.reduced.length ? `${loops}s += ${l2 ? `${v} * ${v}` : v};` : `s = ${l2 ? `${v} * ${v}` : v};`;
  return `${split(nOut)}
    for (let o = lo; o < hi; o++) {
      let q = o, b = ${X}; ${base}
      let s = 0;
      ${sum}
      F[${Y} + o] = ${l2 ? 'Math.sqrt(s)' : divisor === 1 ? 's' : `s / ${lit(divisor)}`};
    }`;
}

const f32 = (n: Node) => [n.inputs[0], n.outputs[0]].every((v) => v?.type.dtype === 'float32');

/** ReduceSum/ReduceMean(x, axes const) and ai.layerc::ReduceSumLike(dY, like). */
export const reduceKernel: KernelFactory = (node) => {
  if (!f32(node) || node.outputs.length !== 1) return null;
  const x = node.inputs[0]!, shape = staticShape(x);
  let kept: boolean[];
  if (node.domain === 'ai.layerc' && node.op === 'ReduceSumLike') {
    const like = staticShape(node.inputs[1]), off = shape.length - like.length;
    kept = shape.map((d, i) => i >= off && like[i - off] === d && d !== 1);
  } else if (!node.domain && (node.op === 'ReduceSum' || node.op === 'ReduceMean' || node.op === 'ReduceL2')) {
    const a = node.inputs[1];
    if (a && !a.const) return null;
    const axes = a ? Array.from(a.const!.data as ArrayLike<number>, (v) => (v < 0 ? v + shape.length : v)) : [];
    if (!axes.length && node.attrs.noop_with_empty_axes) return null; // the identity: leave it to the fallback
    kept = shape.map((_, i) => axes.length > 0 && !axes.includes(i));
  } else return null;
  const count = prod(shape.filter((_, i) => !kept[i]));
  // ReduceMean divides the float64 sum by the count, as the reference does.
  const divisor = node.op === 'ReduceMean' ? count : 1;
  return {
    kind: `${node.op} ${shape.join('x')} -> ${staticShape(node.outputs[0]).join('x') || 'scalar'}`,
    emit: (ctx) => ({ phases: [{ js: reduceSumJs(shape, kept, ctx.at(x) / 4, ctx.at(node.outputs[0]) / 4, divisor, node.op === 'ReduceL2') }] }),
  };
};
