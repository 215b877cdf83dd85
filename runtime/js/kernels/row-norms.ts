// The per-sample normalizations as generated JS: LayerNormalization, InstanceNormalization and
// GroupNormalization all view the input as [rows, len], take each row's mean and variance in float64 (two
// passes, as the reference src/ops/group-norms.ts), then write (x - mean) * invStd * scale + bias. They differ
// in which scale/bias element an element gets: LayerNorm's run along the row (they must cover the whole
// normalized shape; other broadcasts fall back), Instance/GroupNorm's are per channel. Rows split across threads.
import type { Node } from '../../../src/ir/graph.ts';
import { prod, split, staticShape, lit, type KernelFactory } from '../kernel.ts';

interface RowNorm { rows: number; len: number; eps: number; perChannel: { C: number; S: number } | null }

function rowNorm(node: Node): RowNorm | null {
  const x = staticShape(node.inputs[0]);
  const eps = Number(node.attrs.epsilon ?? 1e-5);
  const [, scale, bias] = node.inputs;
  if (node.op === 'LayerNormalization') {
    const a0 = Number(node.attrs.axis ?? -1), axis = a0 < 0 ? a0 + x.length : a0;
    const len = prod(x.slice(axis));
    if (prod(staticShape(scale)) !== len || (bias && prod(staticShape(bias)) !== len)) return null;
    return { rows: prod(x.slice(0, axis)), len, eps, perChannel: null };
  }
  if (x.length < 2) return null;
  const [N, C] = x as [number, number], S = prod(x.slice(2));
  const groups = node.op === 'GroupNormalization' ? Number(node.attrs.num_groups) : C;
  if (!(C % groups === 0) || prod(staticShape(scale)) !== C || prod(staticShape(bias)) !== C) return null;
  return { rows: N * groups, len: (C / groups) * S, eps, perChannel: { C, S } };
}

export const rowNormKernel: KernelFactory = (node) => {
  if (node.domain || !['LayerNormalization', 'InstanceNormalization', 'GroupNormalization'].includes(node.op)) return null;
  if ([...node.inputs, ...node.outputs].some((v) => v && v.type.dtype !== 'float32')) return null;
  const p = rowNorm(node);
  if (!p || p.len === 0) return null;
  const [, scale, bias] = node.inputs;
  const [, meanOut, invOut] = node.outputs;
  const { rows, len } = p;
  return {
    kind: `${node.op} ${rows}x${len}`,
    emit: (ctx) => {
      const X = ctx.at(node.inputs[0]) / 4, Y = ctx.at(node.outputs[0]) / 4, Sc = ctx.at(scale) / 4;
      const B = bias ? ctx.at(bias) / 4 : -1;
      // Index of the scale/bias element of element i of row r.
      const k = p.perChannel ? `(((r * ${len} + i) / ${p.perChannel.S}) | 0) % ${p.perChannel.C}` : 'i';
      return { phases: [{ js: `${split(rows)}
    for (let r = lo; r < hi; r++) {
      const x0 = ${X} + r * ${len}, y0 = ${Y} + r * ${len};
      let s = 0;
      for (let i = 0; i < ${len}; i++) s += F[x0 + i];
      const m = s / ${len};
      let v = 0;
      for (let i = 0; i < ${len}; i++) { const d = F[x0 + i] - m; v += d * d; }
      const inv = 1 / Math.sqrt(v / ${len} + ${lit(p.eps)});
      ${meanOut ? `F[${ctx.at(meanOut) / 4} + r] = m;` : ''}${invOut ? `F[${ctx.at(invOut) / 4} + r] = inv;` : ''}
      for (let i = 0; i < ${len}; i++) { const c = ${k}; F[y0 + i] = (F[x0 + i] - m) * inv * F[${Sc} + c]${B >= 0 ? ` + F[${B} + c]` : ''}; }
    }` }] };
    },
  };
};
