// ai.layerc::Attention (src/ops/attention.ts) as one WGSL kernel: one thread per query row (batch x queries)
// streams the keys with an online softmax, as the js kernel does: per key, x = scale * q.k + mask; a new running
// max m rescales the running sum l and the accumulator acc[Dv] (private memory) by exp(m_old - m); then
// p = exp(x - m), l += p, acc += p v. The row is acc / l; no score matrix exists anywhere. m starts at -f32 max
// (WGSL does not promise infinities), so a key masked with -inf contributes exp(-inf) = 0. Operands are read and
// the output written in their stored layouts (strides from src/ops/attention.ts attentionGeometry).
import type { AttentionGeometry } from '../../../src/ops/attention.ts';
import { declareBindings, dispatchSize, mainStart, type Binding } from '../shader.ts';

/** Largest value width kept in private memory per thread (acc[Dv]); wider heads run on the host. */
export const MAX_ATTENTION_DV = 512;

/** WGSL for an operand's element offset of batch row `b` over the leading dims (only axes it varies on). */
function batchOffset(batch: readonly number[], strides: readonly number[]): string {
  let inner = 1;
  const terms: string[] = [];
  for (let a = batch.length - 1; a >= 0; a--) {
    if (strides[a] && batch[a]! > 1) terms.push(`((b / ${inner}u) % ${batch[a]}u) * ${strides[a]}u`);
    inner *= batch[a]!;
  }
  return terms.join(' + ') || '0u';
}

export function emitAttention(geo: AttentionGeometry, scale: number): { code: string; wg: [number, number] } {
  const { B, T, S, D, Dv, batch, maskStrides: ms } = geo, L = batch.length;
  const [qT, kS, vS, yT] = [geo.q[L]!, geo.k[L]!, geo.v[L]!, geo.y[L]!];
  const masked = !!ms;
  const bindings: Binding[] = [...['q', 'k', 'v', ...(masked ? ['mask'] : [])].map((name): Binding => ({ name, access: 'read' })),
    { name: 'y', access: 'read_write' }];
  const mrow = ms ? `  let mrow = ${batchOffset(batch, ms.slice(0, -2))} + t * ${ms[ms.length - 2]}u;\n` : '';
  const code = `${declareBindings(bindings)}
${mainStart(B * T)}  let b = gid / ${T}u; let t = gid % ${T}u;
  let qr = ${batchOffset(batch, geo.q)} + t * ${qT}u; let kb = ${batchOffset(batch, geo.k)}; let vb = ${batchOffset(batch, geo.v)};
  let yr = ${batchOffset(batch, geo.y)} + t * ${yT}u;
${mrow}  var acc: array<f32, ${Dv}>;
  var m = -3.4028234663852886e38; var l = 0.0;
  for (var s = 0u; s < ${S}u + rt0; s++) {
    var dot = 0.0;
    for (var d = 0u; d < ${D}u + rt0; d++) { dot += q[qr + d] * k[kb + s * ${kS}u + d]; }
    let x = dot * ${Math.fround(scale).toPrecision(9)}${masked ? ` + mask[mrow + s * ${ms![ms!.length - 1]}u]` : ''};
    if (x > m) {
      let c = exp(m - x);
      l *= c;
      for (var e = 0u; e < ${Dv}u + rt0; e++) { acc[e] *= c; }
      m = x;
    }
    let p = exp(x - m);
    l += p;
    for (var e = 0u; e < ${Dv}u + rt0; e++) { acc[e] += p * v[vb + s * ${vS}u + e]; }
  }
  let inv = 1.0 / l;
  for (var e = 0u; e < ${Dv}u + rt0; e++) { y[yr + e] = acc[e] * inv; }
}
`;
  return { code, wg: dispatchSize(B * T) };
}
