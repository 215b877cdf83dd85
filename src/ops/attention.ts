// ai.layerc::Attention: scaled dot-product attention as one node, made by passes/fuse-attention.ts from the
// pattern every exporter writes (MatMul(Q, K^T) -> scale -> optional mask Add -> Softmax(-1) -> MatMul(., V)):
//   Y[b, t, :] = sum_s P[b, t, s] V[b, s, :],   P[b, t, :] = softmax_s(scale * Q[b, t, :] . K[b, s, :] + M[b, t, s])
// Q [..., T, D], K [..., S, D], V [..., S, Dv] share their leading (batch, head) dims b; the optional mask M
// broadcasts numpy-style onto the scores [..., T, S] without growing them. Output [..., T, Dv]. K is NOT
// transposed (the pass absorbs the exporter's K^T Transpose), so a kernel reads keys as rows.
// Layouts: the pass also absorbs the head Transposes around attention ([T, B*H, D] -> [B*H, T, D] and back), so a
// kernel reads Q, K, V and writes Y where they are: `q_perm`/`k_perm`/`v_perm` p mean the logical operand is
// Transpose(input, p), `y_perm` p means the output is Transpose(logical Y, p) (empty: identity). Every perm keeps
// the last axis last, so head rows stay contiguous; only the strides of the other axes change.
// The reference below computes one score row at a time in float64 (max-subtracted softmax, like Softmax's);
// the kernels (runtime/js/kernels/attention.ts, runtime/wgsl/kernels/attention.ts) stream each query row with
// an online softmax and never hold a score matrix. Export writes the standard ops back (src/export/attention.ts).
import type { Dim } from '../ir/graph.ts';
import { defineOp } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';
import { broadcastShapes, broadcastStrides } from './util.ts';

export const ATTENTION = 'Attention';

/** The sizes a kernel needs: B rows of leading dims, T queries, S keys, head dims D (Q, K) and Dv (V); per operand
 *  the element strides of the logical axes [...batch, row] in its storage (its last axis is contiguous); the mask's
 *  strides over [...batch, T, S] (0 on broadcast axes). */
export interface AttentionGeometry {
  batch: number[]; B: number; T: number; S: number; D: number; Dv: number;
  q: number[]; k: number[]; v: number[]; y: number[];
  /** Mask strides over the scores' axes [...batch, T, S], or null without a mask. */
  maskStrides: number[] | null;
  /** The output's stored shape. */
  yShape: number[];
}

export type Layouts = { q?: readonly number[]; k?: readonly number[]; v?: readonly number[]; y?: readonly number[] };

/** The node's layout perms (attributes q_perm, k_perm, v_perm, y_perm; empty = identity). */
export const layoutsOf = (attrs: Record<string, unknown>): Layouts =>
  ({ q: attrs.q_perm as number[], k: attrs.k_perm as number[], v: attrs.v_perm as number[], y: attrs.y_perm as number[] });

const rowMajor = (shape: readonly number[]) => { const st = shape.map(() => 1); for (let i = shape.length - 2; i >= 0; i--) st[i] = st[i + 1]! * shape[i + 1]!; return st; };
const ident = (p: readonly number[] | undefined, r: number) => (p?.length ? p : Array.from({ length: r }, (_, i) => i));

/** Logical shape and strides of an input stored as `stored`, logical = Transpose(stored, p). */
function logical(stored: readonly number[], p: readonly number[] | undefined): { shape: number[]; strides: number[] } {
  const q = ident(p, stored.length), st = rowMajor(stored);
  return { shape: q.map((a) => stored[a]!), strides: q.map((a) => st[a]!) };
}

export function attentionGeometry(qs: readonly number[], ks: readonly number[], vs: readonly number[], mask: readonly number[] | null, lay: Layouts = {}): AttentionGeometry {
  const [q, k, v] = [logical(qs, lay.q), logical(ks, lay.k), logical(vs, lay.v)];
  const r = qs.length, batch = q.shape.slice(0, -2), T = q.shape[r - 2]!, D = q.shape[r - 1]!, S = k.shape[r - 2]!, Dv = v.shape[r - 1]!;
  const yp = ident(lay.y, r), yLogical = [...batch, T, Dv], yShape = yp.map((a) => yLogical[a]!), yst = rowMajor(yShape);
  const y = yLogical.map((_, j) => yst[yp.indexOf(j)]!);
  const rows = (st: number[]) => st.slice(0, -1);
  return {
    batch, B: batch.reduce((a, b) => a * b, 1), T, S, D, Dv, q: rows(q.strides), k: rows(k.strides), v: rows(v.strides), y: rows(y), yShape,
    maskStrides: mask ? broadcastStrides(mask, [...batch, T, S]) : null,
  };
}

/** Offset of batch row b (flat over `batch`) in an operand with element strides `strides` over those axes. */
export function batchOffset(b: number, batch: readonly number[], strides: readonly number[]): number {
  let off = 0;
  for (let a = batch.length - 1; a >= 0; a--) { off += (b % batch[a]!) * strides[a]!; b = Math.floor(b / batch[a]!); }
  return off;
}

/** Whether `p` is a permutation of rank `r` that keeps the last axis last (or empty: identity). */
export const keepsLastAxis = (p: readonly number[] | undefined, r: number): boolean =>
  !p?.length || (p.length === r && p[r - 1] === r - 1 && [...p].sort((a, b) => a - b).every((a, i) => a === i));

const same = (a: readonly Dim[], b: readonly Dim[]) => a.length === b.length && a.every((d, i) => d === b[i]);

const permute = <D>(shape: readonly D[], p: readonly number[] | undefined): D[] => (p?.length ? p.map((a) => shape[a]!) : [...shape]);

defineOp({
  name: ATTENTION,
  domain: 'ai.layerc',
  summary: 'scaled dot-product attention softmax(scale Q K^T + mask) V over the last two axes (made by fuse-attention)',
  attrs: {
    scale: { type: 'float', default: 1 },
    q_perm: { type: 'ints', default: [] }, k_perm: { type: 'ints', default: [] }, v_perm: { type: 'ints', default: [] }, y_perm: { type: 'ints', default: [] },
  },
  inputs: [3, 4],
  outputs: [1, 1],
  inferType(ctx) {
    const [q, k, v, m] = ctx.inputs;
    for (const t of [q, k, v, m]) if (t && t.dtype !== 'float32') ctx.fail('LC033', [`Attention takes float32, got ${t.dtype}`]);
    if (!q!.shape || !k!.shape || !v!.shape) return [{ dtype: 'float32', shape: null }];
    const r = q!.shape.length, lay = layoutsOf(ctx.attrs);
    for (const [name, p] of Object.entries(lay)) if (!keepsLastAxis(p, r)) ctx.fail('LC030', [`${name}_perm`, `[${p}] is not a permutation of rank ${r} keeping the last axis last`]);
    const [qs, ks, vs] = [permute(q!.shape, lay.q), permute(k!.shape, lay.k), permute(v!.shape, lay.v)];
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
    return [{ dtype: 'float32', shape: permute([...lead, T!, vs[vs.length - 1]!], lay.y) }];
  },
  evalRef([q, k, v, m], { attrs }) {
    const scale = Number(attrs.scale);
    const g = attentionGeometry(q!.shape, k!.shape, v!.shape, m ? m.shape : null, layoutsOf(attrs));
    const { B, T, S, D, Dv, batch } = g;
    const y = Tensor.zeros('float32', g.yShape);
    const [Q, K, V, Y] = [q!.data, k!.data, v!.data, y.data] as Float32Array[];
    const L = batch.length, ms = g.maskStrides, mb = ms?.slice(0, -2) ?? [];
    const p = new Float64Array(S);
    for (let b = 0; b < B; b++) {
      const [qb, kb, vb, yb] = [g.q, g.k, g.v, g.y].map((st) => batchOffset(b, batch, st));
      const mOff = ms ? batchOffset(b, batch, mb) : 0;
      for (let t = 0; t < T; t++) {
        const qr = qb! + t * g.q[L]!;
        let max = -Infinity;
        for (let s = 0; s < S; s++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += Q[qr + d]! * K[kb! + s * g.k[L]! + d]!;
          p[s] = scale * dot + (ms ? m!.data[mOff + t * ms[L]! + s * ms[L + 1]!] as number : 0);
          if (p[s]! > max) max = p[s]!;
        }
        let sum = 0;
        for (let s = 0; s < S; s++) { p[s] = Math.exp(p[s]! - max); sum += p[s]!; }
        for (let e = 0; e < Dv; e++) {
          let acc = 0;
          for (let s = 0; s < S; s++) acc += p[s]! * V[vb! + s * g.v[L]! + e]!;
          Y[yb! + t * g.y[L]! + e] = acc / sum;
        }
      }
    }
    return [y];
  },
});
