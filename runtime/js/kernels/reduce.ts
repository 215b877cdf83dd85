// Reductions as generated JS: ReduceSum / ReduceMean / ReduceL2 (sqrt of the sum of squares) / ReduceSumSquare /
// ReduceProd / ReduceMax / ReduceMin with constant axes, and the backward graph's ReduceSumLike (a broadcast
// gradient summed back to its operand's shape — the bias gradients of Gemm and Conv). The input's axes are
// split into kept and reduced ones; adjacent axes of one kind merge into one loop. Threads split the output
// elements; each output walks its reduced axes in row-major order, in a float64 accumulator, so the result is
// formed in the same order and with the same NaN rule as the reference (src/ops/reduce.ts REDUCERS).
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

/** How one reduction accumulates, as JS: `init`, the statement folding element `v` into `s`, the result. */
interface JsReducer { init: string; step: (v: string) => string; finish: (count: number) => string }
const SUM: JsReducer = { init: '0', step: (v) => `s += ${v};`, finish: () => 's' };
const JS_REDUCERS: Record<string, JsReducer> = {
  ReduceSum: SUM,
  ReduceSumLike: SUM,
  // ReduceMean divides the float64 sum by the count, as the reference does.
  ReduceMean: { ...SUM, finish: (n) => (n === 1 ? 's' : `s / ${lit(n)}`) },
  ReduceSumSquare: { ...SUM, step: (v) => `s += ${v} * ${v};` },
  ReduceL2: { ...SUM, step: (v) => `s += ${v} * ${v};`, finish: () => 'Math.sqrt(s)' },
  ReduceProd: { init: '1', step: (v) => `s *= ${v};`, finish: () => 's' },
  // A NaN wins and stays (the reference's `v > a || isNaN(v) ? v : a`).
  ReduceMax: { init: '-Infinity', step: (v) => `{ const v = ${v}; if (v > s || v !== v) s = v; }`, finish: () => 's' },
  ReduceMin: { init: 'Infinity', step: (v) => `{ const v = ${v}; if (v < s || v !== v) s = v; }`, finish: () => 's' },
};

/** JS body: for each output o, reduce X over the reduced runs at o's kept position with `r` (default: sum). */
export function reduceJs(shape: number[], kept: boolean[], X: number, Y: number, r: JsReducer = SUM): string {
  const rs = runs(shape, kept);
  const nOut = prod(rs.kept.map((k) => k.size)), count = prod(rs.reduced.map((k) => k.size));
  const base = rs.kept.slice().reverse().map((k, i) => (i === rs.kept.length - 1
    ? `b += q * ${k.stride};`
    : `{ const t = q % ${k.size}; b += t * ${k.stride}; q = (q - t) / ${k.size}; }`)).join(' ');
  let loops = '';
  rs.reduced.forEach((k, d) => { loops += `for (let a${d} = 0, i${d} = ${d ? `i${d - 1}` : 'b'}; a${d} < ${k.size}; a${d}++, i${d} += ${k.stride}) `; });
  const v = rs.reduced.length ? `F[i${rs.reduced.length - 1}]` : 'F[b]';
  return `${split(nOut)}
    for (let o = lo; o < hi; o++) {
      let q = o, b = ${X}; ${base}
      let s = ${r.init};
      ${loops}${r.step(v)}
      F[${Y} + o] = ${r.finish(count)};
    }`;
}

const f32 = (n: Node) => [n.inputs[0], n.outputs[0]].every((v) => v?.type.dtype === 'float32');

/** ReduceSum/Mean/L2/SumSquare/Prod/Max/Min(x, axes const) and ai.layerc::ReduceSumLike(dY, like). */
export const reduceKernel: KernelFactory = (node) => {
  if (!f32(node) || node.outputs.length !== 1) return null;
  const x = node.inputs[0]!, shape = staticShape(x);
  let kept: boolean[];
  if (node.domain === 'ai.layerc' && node.op === 'ReduceSumLike') {
    const like = staticShape(node.inputs[1]), off = shape.length - like.length;
    kept = shape.map((d, i) => i >= off && like[i - off] === d && d !== 1);
  } else if (!node.domain && node.op in JS_REDUCERS) {
    const a = node.inputs[1];
    if (a && !a.const) return null;
    const axes = a ? Array.from(a.const!.data as ArrayLike<number>, (v) => (v < 0 ? v + shape.length : v)) : [];
    if (!axes.length && node.attrs.noop_with_empty_axes) return null; // the identity: leave it to the fallback
    kept = shape.map((_, i) => axes.length > 0 && !axes.includes(i));
  } else return null;
  return {
    kind: `${node.op} ${shape.join('x')} -> ${staticShape(node.outputs[0]).join('x') || 'scalar'}`,
    emit: (ctx) => ({ phases: [{ js: reduceJs(shape, kept, ctx.at(x) / 4, ctx.at(node.outputs[0]) / 4, JS_REDUCERS[node.op]) }] }),
  };
};
