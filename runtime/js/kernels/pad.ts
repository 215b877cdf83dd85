// Pad (constant, edge, reflect, wrap; negative pads crop) with compile-time pads and axes, as generated JS.
// Each axis gets a map from output coordinate to input coordinate (or -1 for the fill), computed once at
// compile time with the reference's own rule (src/ops/pad.ts sourceIndex) and stored as constants, so the
// kernel is pure gathering and agrees with the interpreter exactly, for any dtype (a typed view, ./typed.ts). Output rows (all axes but the last)
// split across threads; a row whose outer coordinate is in the fill is written with the fill value alone.
import { fullPads, sourceIndex } from '../../../src/ops/pad.ts';
import { RAISE } from '../../../src/ops/dims.ts';
import { stridesOf } from '../../../src/ir/tensor.ts';
import { lit, prod, split, staticShape, type KernelFactory } from '../kernel.ts';
import { elementAt, viewDecl } from './typed.ts';

export const padKernel: KernelFactory = (node) => {
  if (node.domain || node.op !== 'Pad') return null;
  const [x, pads, cv, axes] = node.inputs;
  // Any dtype: values only move, through a view of the arena of x's dtype (./typed.ts); a fed x is never constant.
  const dtype = x?.type.dtype;
  if (!x || !pads?.const || (axes && !axes.const) || (dtype !== 'float32' && x.const)) return null;
  const xs = staticShape(x), ys = staticShape(node.outputs[0]);
  if (xs.length === 0) return null;
  const mode = String(node.attrs.mode ?? 'constant');
  const [begin] = fullPads(RAISE, pads.const.toNumbers(), axes?.const ? axes.const.toNumbers() : null, xs.length);
  const rank = xs.length, inner = ys[rank - 1]!, rows = prod(ys.slice(0, -1));
  const maps = ys.map((n, d) => Float32Array.from({ length: n }, (_, o) => sourceIndex(mode, o - begin[d]!, xs[d]!)));
  const strides = stridesOf(xs);
  const constFill = !cv || (cv.const && cv.const.size === 0) ? 0 : cv.const ? Number(cv.const.data[0]) : null;
  return {
    kind: `pad-${mode} ${dtype === 'float32' ? '' : `${dtype} `}${xs.join('x')}->${ys.join('x')}`,
    consts: maps.map((m) => (m.length ? m : new Float32Array(1))),
    emit(ctx) {
      const X = elementAt(ctx, x), Y = elementAt(ctx, node.outputs[0]!), M = ctx.consts.map((c) => c / 4);
      const fill = constFill === null ? `V[${elementAt(ctx, cv!)}]` : lit(constFill);
      // Outer coordinates, last-but-one axis first: j = map[o]; a negative j anywhere means the fill.
      const outer = ys.slice(0, -1).map((n, d) => rank - 2 - d).map((d) =>
        `{ const o = rem % ${ys[d]}; rem = (rem - o) / ${ys[d]}; const j = F[${M[d]} + o]; if (j < 0) fill = true; off += j * ${strides[d]}; }`).join('\n      ');
      return { phases: [{ js: `${viewDecl('V', dtype!)}
    ${split(rows)}
    const v = ${fill};
    for (let r = lo; r < hi; r++) {
      let rem = r, off = ${X}, fill = false;
      ${outer}
      const y = ${Y} + r * ${inner};
      if (fill) { for (let i = 0; i < ${inner}; i++) V[y + i] = v; continue; }
      for (let i = 0; i < ${inner}; i++) { const j = F[${M[rank - 1]} + i]; V[y + i] = j < 0 ? v : V[off + j]; }
    }` }] };
    },
  };
};
