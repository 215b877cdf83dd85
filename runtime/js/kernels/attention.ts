// ai.layerc::Attention (src/ops/attention.ts) as generated JS: one query row at a time, with an online
// (streaming) softmax, so no score matrix is ever held — per row: for each key s, x = scale * q.k_s + mask;
// when x raises the running max m, the running sum l and the float64 accumulator acc[Dv] are rescaled by
// exp(m_old - m); then p = exp(x - m), l += p, acc += p v_s. The row is acc / l. A key scoring -Infinity
// (a masked position) contributes nothing; a row with every key masked gives 0/0 = NaN, as Softmax does.
// Rows (batch x queries) split across threads.
import { ATTENTION, attentionGeometry } from '../../../src/ops/attention.ts';
import { lit, split, staticShape, type KernelFactory } from '../kernel.ts';

/** JS for the mask's element offset of batch row `b` over the leading dims (only axes the mask varies on). */
function batchOffsetJs(batch: readonly number[], strides: readonly number[]): string {
  let inner = 1;
  const terms: string[] = [];
  for (let a = batch.length - 1; a >= 0; a--) {
    if (strides[a] && batch[a]! > 1) terms.push(`((b / ${inner}) | 0) % ${batch[a]} * ${strides[a]}`);
    inner *= batch[a]!;
  }
  return terms.join(' + ') || '0';
}

export const attentionKernel: KernelFactory = (node) => {
  if (node.domain !== 'ai.layerc' || node.op !== ATTENTION) return null;
  if ([...node.inputs, ...node.outputs].some((v) => v && v.type.dtype !== 'float32')) return null;
  const [q, k, v, mask] = node.inputs;
  const geo = attentionGeometry(staticShape(q), staticShape(k), staticShape(v), mask ? staticShape(mask) : null);
  const { B, T, S, D, Dv, batch, maskStrides: ms } = geo;
  const scale = lit(Number(node.attrs.scale ?? 1));
  return {
    kind: `Attention ${B}x${T}x${S} d${D}/${Dv}${mask ? ' masked' : ''}`,
    emit: (ctx) => {
      const [Q, K, V, Y] = [q, k, v, node.outputs[0]].map((x) => ctx.at(x) / 4);
      const M = mask ? ctx.at(mask) / 4 : 0;
      const maskRow = ms ? `const mrow = ${M} + ${batchOffsetJs(batch, ms.slice(0, -2))} + t * ${ms[ms.length - 2]};` : '';
      const plusMask = ms ? ` + F[mrow + s * ${ms[ms.length - 1]}]` : '';
      return { phases: [{ js: `${split(B * T)}
    const acc = new Float64Array(${Dv});
    for (let r = lo; r < hi; r++) {
      const b = (r / ${T}) | 0, t = r - b * ${T}, qr = ${Q} + r * ${D}, kb = ${K} + b * ${S * D}, vb = ${V} + b * ${S * Dv};
      ${maskRow}
      let m = -Infinity, l = 0;
      acc.fill(0);
      for (let s = 0; s < ${S}; s++) {
        const kr = kb + s * ${D};
        let dot = 0;
        for (let d = 0; d < ${D}; d++) dot += F[qr + d] * F[kr + d];
        const x = dot * ${scale}${plusMask};
        if (x === -Infinity) continue;
        if (x > m) {
          const c = Math.exp(m - x);
          l *= c;
          for (let e = 0; e < ${Dv}; e++) acc[e] *= c;
          m = x;
        }
        const p = Math.exp(x - m), vr = vb + s * ${Dv};
        l += p;
        for (let e = 0; e < ${Dv}; e++) acc[e] += p * F[vr + e];
      }
      const inv = 1 / l, y = ${Y} + r * ${Dv};
      for (let e = 0; e < ${Dv}; e++) F[y + e] = acc[e] * inv;
    }` }] };
    },
  };
};
