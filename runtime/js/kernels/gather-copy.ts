// Data movement as strided copies (generated JS): Transpose (output order, input strides permuted), Slice with
// constant starts/ends/axes/steps (input strides times the steps, base at the starts) and Gather with constant
// indices (one strided copy per index). All reuse the elementwise kernel's merged-axis loops, so a transpose
// that keeps the innermost axes contiguous copies rows.
import type { Node } from '../../../src/ir/graph.ts';
import { stridesOf } from '../../../src/ir/tensor.ts';
import { sliceAxis, sliceParams } from '../../../src/ops/slice.ts';
import { RAISE } from '../../../src/ops/dims.ts';
import { prod, staticShape, type KernelBuild, type KernelFactory } from '../kernel.ts';
import { coalesce, loopsJs } from './elementwise.ts';

/** y[i...] = x[base + sum i_d * strides[d]] over `out`. */
function stridedCopy(node: Node, kind: string, out: number[], inStrides: number[], base: number): KernelBuild {
  const { dims, strides } = coalesce(out, [stridesOf(out), inStrides]);
  return {
    kind: `${kind} ${dims.join('x')}`,
    emit: (ctx) => ({ phases: [{ js: loopsJs(dims, strides, [ctx.at(node.outputs[0]) / 4, ctx.at(node.inputs[0]) / 4 + base], (x) => x[0]!) }] }),
  };
}

const f32 = (n: Node) => n.inputs[0]?.type.dtype === 'float32' && n.outputs[0]?.type.dtype === 'float32';
const ints = (n: Node, i: number) => (n.inputs[i] ? (n.inputs[i]!.const ? n.inputs[i]!.const!.toNumbers() : undefined) : null);

export const transposeKernel: KernelFactory = (node) => {
  if (node.domain || node.op !== 'Transpose' || !f32(node)) return null;
  const x = staticShape(node.inputs[0]);
  const perm = (node.attrs.perm as number[] | undefined) ?? x.map((_, i) => x.length - 1 - i);
  const xs = stridesOf(x);
  return stridedCopy(node, `Transpose [${perm.join(',')}]`, perm.map((p) => x[p]!), perm.map((p) => xs[p]!), 0);
};

export const sliceKernel: KernelFactory = (node) => {
  if (node.domain || node.op !== 'Slice' || !f32(node)) return null;
  const x = staticShape(node.inputs[0]);
  const [starts, ends, axes, steps] = [1, 2, 3, 4].map((i) => ints(node, i));
  if (!starts || !ends || axes === undefined || steps === undefined) return null;
  const p = sliceParams(RAISE, x.length, starts, ends, axes, steps);
  const xs = stridesOf(x), out = [...x], st = [...xs];
  let base = 0;
  p.axes.forEach((a, i) => {
    const { start, count } = sliceAxis(x[a]!, p.starts[i]!, p.ends[i]!, p.steps[i]!);
    out[a] = count;
    base += start * xs[a]!;
    st[a] = xs[a]! * p.steps[i]!;
  });
  if (prod(out) === 0) return null;
  return stridedCopy(node, 'Slice', out, st, base);
};

export const gatherKernel: KernelFactory = (node) => {
  if (node.domain || node.op !== 'Gather' || !f32(node) || !node.inputs[1]?.const) return null;
  const x = staticShape(node.inputs[0]);
  const idx = node.inputs[1].const.toNumbers();
  if (idx.length === 0 || idx.length > 256) return null;
  const axis = ((node.attrs.axis as number | undefined) ?? 0) < 0 ? (node.attrs.axis as number) + x.length : ((node.attrs.axis as number | undefined) ?? 0);
  const outer = prod(x.slice(0, axis)), inner = prod(x.slice(axis + 1)), L = x[axis]!;
  const rows = idx.map((i) => (i < 0 ? i + L : i));
  if (rows.some((i) => i < 0 || i >= L)) return null; // the reference reports the bad index
  // y[o, k, i] = x[o, rows[k], i]: one strided copy per index, each over [outer, inner].
  const out = [outer, inner];
  const { dims, strides } = coalesce(out, [[idx.length * inner, 1], [L * inner, 1]]);
  return {
    kind: `Gather ${idx.length} of ${L}`,
    emit: (ctx) => {
      const y = ctx.at(node.outputs[0]) / 4, xb = ctx.at(node.inputs[0]) / 4;
      return { phases: [{ js: rows.map((r, k) => `{ ${loopsJs(dims, strides, [y + k * inner, xb + r * inner], (v) => v[0]!)} }`).join('\n') }] };
    },
  };
};

// DepthToSpace / SpaceToDepth: the spec's reshape -> transpose -> reshape, i.e. a strided copy over the
// transposed 6-D view (the output, row-major, is exactly that view's order).
export const depthSpaceKernel: KernelFactory = (node) => {
  if (node.domain || (node.op !== 'DepthToSpace' && node.op !== 'SpaceToDepth') || !f32(node)) return null;
  const [N, C, H, W] = staticShape(node.inputs[0]) as [number, number, number, number];
  const b = Number(node.attrs.blocksize);
  let view: number[], perm: number[];
  if (node.op === 'SpaceToDepth') { view = [N, C, H / b, b, W / b, b]; perm = [0, 3, 5, 1, 2, 4]; }
  else if (node.attrs.mode === 'CRD') { view = [N, C / (b * b), b, b, H, W]; perm = [0, 1, 4, 2, 5, 3]; }
  else { view = [N, b, b, C / (b * b), H, W]; perm = [0, 3, 4, 1, 5, 2]; }
  const vs = stridesOf(view);
  return stridedCopy(node, node.op, perm.map((p) => view[p]!), perm.map((p) => vs[p]!), 0);
};

// Split: one strided copy per output, each a phase of its own.
export const splitKernel: KernelFactory = (node) => {
  if (node.domain || node.op !== 'Split' || node.inputs[0]?.type.dtype !== 'float32') return null;
  const x = staticShape(node.inputs[0]);
  const axis = Number(node.attrs.axis ?? 0) < 0 ? Number(node.attrs.axis) + x.length : Number(node.attrs.axis ?? 0);
  const xs = stridesOf(x);
  let start = 0;
  const parts = node.outputs.map((v) => {
    const out = staticShape(v), base = start * xs[axis]!;
    start += out[axis]!;
    return { v, base, ...coalesce(out, [stridesOf(out), xs]) };
  });
  return {
    kind: `Split ${parts.length} along ${axis}`,
    // An empty part (a zero-size split) has nothing to copy.
    emit: (ctx) => ({ phases: parts.filter((p) => prod(staticShape(p.v)) > 0)
      .map((p) => ({ js: loopsJs(p.dims, p.strides, [ctx.at(p.v) / 4, ctx.at(node.inputs[0]) / 4 + p.base], (v) => v[0]!) })) }),
  };
};
