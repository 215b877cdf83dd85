// ai.layerc::Attention: scaled dot-product attention as one node, made by passes/fuse-attention.ts from the
// pattern every exporter writes (MatMul(Q, K^T) -> scale -> optional mask Add -> Softmax(-1) -> MatMul(., V)):
//   Y[b, t, :] = sum_s P[b, t, s] V[b, s, :],   P[b, t, :] = softmax_s(scale * Q[b, t, :] . K[b, s, :] + M[b, t, s])
// Q [..., T, D], K [..., S, D], V [..., S, Dv] share their leading (batch, head) dims b; the optional mask M
// broadcasts numpy-style onto the scores [..., T, S] without growing them. Output [..., T, Dv]. K is NOT
// transposed (the pass absorbs the exporter's K^T Transpose), so a kernel reads keys as rows.
// The reference below computes one score row at a time in float64 (max-subtracted softmax, like Softmax's);
// the kernels (runtime/js/kernels/attention.ts, runtime/wgsl/kernels/attention.ts) stream each query row with
// an online softmax and never hold a score matrix. Export writes the standard ops back (src/export/attention.ts).
import type { Dim } from '../ir/graph.ts';
import { defineOp } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';
import { broadcastShapes, broadcastStrides } from './util.ts';

export const ATTENTION = 'Attention';

/** The sizes a kernel needs: B rows of leading dims, T queries, S keys, head dims D (Q, K) and Dv (V), and
 *  the mask's element strides over [B..., T, S] (batch axes kept separate: a mask may broadcast on any). */
export interface AttentionGeometry {
  batch: number[]; B: number; T: number; S: number; D: number; Dv: number;
  /** Mask strides over the scores' axes [...batch, T, S] (0 on broadcast axes), or null without a mask. */
  maskStrides: number[] | null;
}

export function attentionGeometry(q: readonly number[], k: readonly number[], v: readonly number[], mask: readonly number[] | null): AttentionGeometry {
  const batch = q.slice(0, -2), T = q[q.length - 2]!, D = q[q.length - 1]!, S = k[k.length - 2]!, Dv = v[v.length - 1]!;
  const scores = [...batch, T, S];
  return { batch, B: batch.reduce((a, b) => a * b, 1), T, S, D, Dv, maskStrides: mask ? broadcastStrides(mask, scores) : null };
}

/** Offset of batch row b (flat over `batch`) in an operand with element strides `strides` over those axes. */
export function batchOffset(b: number, batch: readonly number[], strides: readonly number[]): number {
  let off = 0;
  for (let a = batch.length - 1; a >= 0; a--) { off += (b % batch[a]!) * strides[a]!; b = Math.floor(b / batch[a]!); }
  return off;
}

const same = (a: readonly Dim[], b: readonly Dim[]) => a.length === b.length && a.every((d, i) => d === b[i]);

defineOp({
  name: ATTENTION,
  domain: 'ai.layerc',
  summary: 'scaled dot-product attention softmax(scale Q K^T + mask) V over the last two axes (made by fuse-attention)',
  attrs: { scale: { type: 'float', default: 1 } },
  inputs: [3, 4],
  outputs: [1, 1],
  inferType(ctx) {
    const [q, k, v, m] = ctx.inputs;
    for (const t of [q, k, v, m]) if (t && t.dtype !== 'float32') ctx.fail('LC033', [`Attention takes float32, got ${t.dtype}`]);
    if (!q!.shape || !k!.shape || !v!.shape) return [{ dtype: 'float32', shape: null }];
    const [qs, ks, vs] = [q!.shape, k!.shape, v!.shape];
    if (qs.length < 2 || ks.length !== qs.length || vs.length !== qs.length) ctx.fail('LC032', [`Attention needs Q, K, V of one rank >= 2, got [${qs}], [${ks}], [${vs}]`]);
    const lead = qs.slice(0, -2);
    if (!same(ks.slice(0, -2), lead) || !same(vs.slice(0, -2), lead)) ctx.fail('LC032', [`Attention: Q, K, V leading dims differ: [${qs}], [${ks}], [${vs}]`]);
    const [T, D] = qs.slice(-2), [S, Dk] = ks.slice(-2);
    if (typeof D === 'number' && typeof Dk === 'number' && D !== Dk) ctx.fail('LC032', [`Attention: Q head dim ${D} != K head dim ${Dk}`]);
    if (typeof S === 'number' && typeof vs[vs.length - 2] === 'number' && S !== vs[vs.length - 2]) ctx.fail('LC032', [`Attention: ${S} keys but ${vs[vs.length - 2]} values`]);
    const scores = [...lead, T!, S!];
    if (m?.shape) {
      const b = broadcastShapes(scores, m.shape);
      if (!b || !same(b, scores)) ctx.fail('LC032', [`Attention mask [${m.shape}] does not broadcast to the scores [${scores}]`]);
    }
    return [{ dtype: 'float32', shape: [...lead, T!, vs[vs.length - 1]!] }];
  },
  evalRef([q, k, v, m], { attrs }) {
    const scale = Number(attrs.scale);
    const g = attentionGeometry(q!.shape, k!.shape, v!.shape, m ? m.shape : null);
    const { B, T, S, D, Dv, batch } = g;
    const y = Tensor.zeros('float32', [...batch, T, Dv]);
    const [Q, K, V, Y] = [q!.data, k!.data, v!.data, y.data] as Float32Array[];
    const ms = g.maskStrides, mb = ms?.slice(0, -2) ?? [];
    const p = new Float64Array(S);
    for (let b = 0; b < B; b++) {
      const mOff = ms ? batchOffset(b, batch, mb) : 0;
      for (let t = 0; t < T; t++) {
        let max = -Infinity;
        for (let s = 0; s < S; s++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += Q[(b * T + t) * D + d]! * K[(b * S + s) * D + d]!;
          p[s] = scale * dot + (ms ? m!.data[mOff + t * ms[ms.length - 2]! + s * ms[ms.length - 1]!] as number : 0);
          if (p[s]! > max) max = p[s]!;
        }
        let sum = 0;
        for (let s = 0; s < S; s++) { p[s] = Math.exp(p[s]! - max); sum += p[s]!; }
        for (let e = 0; e < Dv; e++) {
          let acc = 0;
          for (let s = 0; s < S; s++) acc += p[s]! * V[(b * S + s) * Dv + e]!;
          Y[(b * T + t) * Dv + e] = acc / sum;
        }
      }
    }
    return [y];
  },
});
