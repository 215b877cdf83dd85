// ai.layerc::Attention (src/ops/attention.ts) as generated JS: one query row at a time, with an online
// (streaming) softmax over blocks of BLOCK keys, so no score matrix is ever held (a row's scratch is one block):
// per block, scores x_j = (scale q) . k_j + mask (four keys per pass over q: each q element loaded once for four
// products); when the block's max raises the running max m, the running sum l and the float64 accumulator acc[Dv]
// are rescaled by exp(m_old - m); then p_j = exp(x_j - m), l += p_j, acc += sum_j p_j v_j (each acc element loaded
// and stored once per block). The row is acc / l. A key scoring -Infinity (masked) contributes nothing; a row with
// every key masked gives 0/0 = NaN, as Softmax does. Rows (batch x queries) split across threads. Operands are read
// and the output written in their stored layouts (src/ops/attention.ts: the perms keep head rows contiguous).
import { ATTENTION, attentionGeometry, layoutsOf } from '../../../src/ops/attention.ts';
import { lit, split, staticShape, type KernelFactory } from '../kernel.ts';

/** JS for an operand's element offset of batch row `b` over the leading dims (only axes it varies on). */
function batchOffsetJs(batch: readonly number[], strides: readonly number[]): string {
  let inner = 1;
  const terms: string[] = [];
  for (let a = batch.length - 1; a >= 0; a--) {
    if (strides[a] && batch[a]! > 1) terms.push(`((b / ${inner}) | 0) % ${batch[a]} * ${strides[a]}`);
    inner *= batch[a]!;
  }
  return terms.join(' + ') || '0';
}

/** Keys scored per step: one running-max update (and accumulator rescale) per block instead of per key. */
const BLOCK = 64;

export const attentionKernel: KernelFactory = (node) => {
  if (node.domain !== 'ai.layerc' || node.op !== ATTENTION) return null;
  if ([...node.inputs, ...node.outputs].some((v) => v && v.type.dtype !== 'float32')) return null;
  const [q, k, v, mask] = node.inputs;
  const geo = attentionGeometry(staticShape(q), staticShape(k), staticShape(v), mask ? staticShape(mask) : null, layoutsOf(node.attrs));
  const { B, T, S, D, Dv, batch, maskStrides: ms } = geo, L = batch.length;
  const [qT, kS, vS, yT] = [geo.q[L]!, geo.k[L]!, geo.v[L]!, geo.y[L]!];
  const scale = lit(Number(node.attrs.scale ?? 1));
  return {
    kind: `Attention ${B}x${T}x${S} d${D}/${Dv}${mask ? ' masked' : ''}`,
    emit: (ctx) => {
      const [Q, K, V, Y] = [q, k, v, node.outputs[0]].map((x) => ctx.at(x) / 4);
      const M = mask ? ctx.at(mask) / 4 : 0;
      const maskRow = ms ? `const mrow = ${M} + ${batchOffsetJs(batch, ms.slice(0, -2))} + t * ${ms[ms.length - 2]};` : '';
      const maskAt = (j: string) => (ms ? ` + F[mrow + (s0 + ${j}) * ${ms[ms.length - 1]}]` : '');
      return { phases: [{ js: `${split(B * T)}
    const qv = new Float64Array(${D}), acc = new Float64Array(${Dv}), sc = new Float64Array(${BLOCK});
    for (let r = lo; r < hi; r++) {
      const b = (r / ${T}) | 0, t = r - b * ${T}, qr = ${Q} + ${batchOffsetJs(batch, geo.q)} + t * ${qT};
      const kb = ${K} + ${batchOffsetJs(batch, geo.k)}, vb = ${V} + ${batchOffsetJs(batch, geo.v)};
      ${maskRow}
      for (let d = 0; d < ${D}; d++) qv[d] = F[qr + d] * ${scale};
      let m = -Infinity, l = 0;
      acc.fill(0);
      for (let s0 = 0; s0 < ${S}; s0 += ${BLOCK}) {
        const n = Math.min(${BLOCK}, ${S} - s0);
        let j = 0;
        for (; j < n - 3; j += 4) {
          const k0 = kb + (s0 + j) * ${kS}, k1 = k0 + ${kS}, k2 = k1 + ${kS}, k3 = k2 + ${kS};
          let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
          for (let d = 0; d < ${D}; d++) { const qd = qv[d]; a0 += qd * F[k0 + d]; a1 += qd * F[k1 + d]; a2 += qd * F[k2 + d]; a3 += qd * F[k3 + d]; }
          sc[j] = a0${maskAt('j')}; sc[j + 1] = a1${maskAt('j + 1')}; sc[j + 2] = a2${maskAt('j + 2')}; sc[j + 3] = a3${maskAt('j + 3')};
        }
        for (; j < n; j++) {
          const k0 = kb + (s0 + j) * ${kS};
          let a0 = 0;
          for (let d = 0; d < ${D}; d++) a0 += qv[d] * F[k0 + d];
          sc[j] = a0${maskAt('j')};
        }
        let bm = -Infinity;
        for (j = 0; j < n; j++) if (sc[j] > bm) bm = sc[j];
        if (bm > m) {
          const c = Math.exp(m - bm);
          l *= c;
          for (let e = 0; e < ${Dv}; e++) acc[e] *= c;
          m = bm;
        }
        for (j = 0; j < n; j++) { const x = sc[j], p = x === -Infinity ? 0 : Math.exp(x - m); sc[j] = p; l += p; }
        for (let e = 0; e < ${Dv}; e++) {
          let a = acc[e];
          for (let j = 0, vr = vb + s0 * ${vS} + e; j < n; j++, vr += ${vS}) a += sc[j] * F[vr];
          acc[e] = a;
        }
      }
      const inv = 1 / l, y = ${Y} + ${batchOffsetJs(batch, geo.y)} + t * ${yT};
      for (let e = 0; e < ${Dv}; e++) F[y + e] = acc[e] * inv;
    }` }] };
    },
  };
};
