// Resize and Upsample as generated JS, computed the reference's way: one pass per resized axis, last axis
// first, each output line a weighted sum of the input taps src/ops/resize.ts computes at compile time
// (indices clamped to the edge, weights renormalized for exclude_outside, extrapolation for
// tf_crop_and_resize). Intermediate results live in two scratch buffers; threads split each pass's lines and
// meet at a barrier between passes. Scales and sizes must be constants (they fix the output shape anyway).
import type { Node } from '../../../src/ir/graph.ts';
import { axisTaps, resolveResize, type ResizeAttrs } from '../../../src/ops/resize.ts';
import { RAISE, normAxes } from '../../../src/ops/dims.ts';
import { lit, prod, split, staticShape, type KernelFactory, type Phase } from '../kernel.ts';

const DEFAULTS: ResizeAttrs = {
  mode: 'nearest', coordinate_transformation_mode: 'half_pixel', nearest_mode: 'round_prefer_floor', cubic_coeff_a: -0.75,
  exclude_outside: 0, extrapolation_value: 0, antialias: 0, keep_aspect_ratio_policy: 'stretch',
};

/** The node's resize attributes and per-axis scales/sizes, or null when an input is not constant. */
function plan(node: Node, x: number[]): { a: ResizeAttrs; scales: number[]; sizes: number[]; roi: number[] | null } | null {
  const constOf = (i: number) => (node.inputs[i] ? (node.inputs[i]!.const ? node.inputs[i]!.const!.toNumbers() : undefined) : null);
  if (node.op === 'Upsample') {
    const s = constOf(1);
    if (!s) return null;
    const a = { ...DEFAULTS, mode: String(node.attrs.mode ?? 'nearest'), coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' };
    return { a, ...resolveResize(RAISE, x, a, s, null), roi: null };
  }
  const [roi, scales, sizes] = [1, 2, 3].map(constOf);
  if (roi === undefined || scales === undefined || sizes === undefined) return null;
  const a = { ...DEFAULTS, ...(node.attrs as Partial<ResizeAttrs>) } as ResizeAttrs;
  return { a, ...resolveResize(RAISE, x, a, scales, sizes), roi };
}

export const resizeKernel: KernelFactory = (node) => {
  if (node.domain || (node.op !== 'Resize' && node.op !== 'Upsample')) return null;
  if (node.inputs[0]?.type.dtype !== 'float32' || node.outputs[0]?.type.dtype !== 'float32') return null;
  const x = staticShape(node.inputs[0]);
  const p = plan(node, x);
  if (!p || prod(p.sizes) === 0) return null;
  const r = x.length, crop = p.a.coordinate_transformation_mode === 'tf_crop_and_resize';
  const roiAxes = p.a.axes ? normAxes(RAISE, p.a.axes, r) : x.map((_, i) => i);
  const roiStart = x.map(() => 0), roiEnd = x.map(() => 1);
  if (crop && p.roi && p.roi.length) roiAxes.forEach((ax, i) => { roiStart[ax] = p.roi![i]!; roiEnd[ax] = p.roi![roiAxes.length + i]!; });
  // The passes, last axis first, each resizing one axis of the current shape.
  const passes: { axis: number; shape: number[]; lenOut: number }[] = [];
  let cur = [...x];
  for (let ax = r - 1; ax >= 0; ax--) {
    if (p.sizes[ax] === x[ax] && p.scales[ax] === 1 && !crop) continue;
    passes.push({ axis: ax, shape: cur, lenOut: p.sizes[ax]! });
    cur = cur.map((d, i) => (i === ax ? p.sizes[ax]! : d));
  }
  const inter = passes.slice(0, -1).map((q) => prod(q.shape.map((d, i) => (i === q.axis ? q.lenOut : d))));
  const half = Math.max(0, ...inter);
  return {
    kind: `${node.op} ${p.a.mode} ${x.join('x')}->${p.sizes.join('x')}`,
    scratchBytes: half * 8,
    scratchShared: true,
    emit: (ctx) => {
      const X = ctx.at(node.inputs[0]) / 4, Y = ctx.at(node.outputs[0]) / 4, S = ctx.scratch / 4;
      if (passes.length === 0) return { phases: [{ js: `${split(prod(x))}\n    for (let i = lo; i < hi; i++) F[${Y} + i] = F[${X} + i];` }] };
      const phases: Phase[] = passes.map((q, k) => {
        const src = k === 0 ? X : S + ((k - 1) % 2) * half, dst = k === passes.length - 1 ? Y : S + (k % 2) * half;
        const lenIn = q.shape[q.axis]!, inner = prod(q.shape.slice(q.axis + 1)), outer = prod(q.shape.slice(0, q.axis));
        const taps = axisTaps(p.a, lenIn, q.lenOut, p.scales[q.axis]!, roiStart[q.axis]!, roiEnd[q.axis]!);
        // Per output index j: the nonzero taps as (index, weight) pairs; an extrapolated j has none and a flag.
        const TI: number[] = [], TW: number[] = [], T0: number[] = [];
        taps.index.forEach((ids, j) => {
          T0.push(TI.length);
          ids.forEach((i, t) => { if (taps.weight[j]![t] !== 0) { TI.push(i); TW.push(taps.weight[j]![t]!); } });
        });
        T0.push(TI.length);
        const OUT = taps.outside.map((o) => (o ? 1 : 0));
        return { js: `const TI = [${TI.join(',')}], TW = [${TW.map((w) => lit(w)).join(',')}], T0 = [${T0.join(',')}], OUT = [${OUT.join(',')}];
    ${split(outer * q.lenOut)}
    for (let line = lo; line < hi; line++) {
      const o = (line / ${q.lenOut}) | 0, j = line - o * ${q.lenOut}, d0 = ${dst} + line * ${inner}, s0 = ${src} + o * ${lenIn * inner};
      if (OUT[j]) { for (let i = 0; i < ${inner}; i++) F[d0 + i] = ${lit(p.a.extrapolation_value)}; continue; }
      const t0 = T0[j], t1 = T0[j + 1];
      for (let i = 0; i < ${inner}; i++) {
        let s = 0;
        for (let t = t0; t < t1; t++) s += TW[t] * F[s0 + TI[t] * ${inner} + i];
        F[d0 + i] = s;
      }
    }` };
      });
      return { phases };
    },
  };
};
