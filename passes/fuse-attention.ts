// fuse-attention: scaled dot-product attention as exporters write it becomes ONE ai.layerc::Attention node
// (src/ops/attention.ts), so a backend streams each query row through an online softmax instead of writing the
// [T, S] scores of every head to memory and reading them back for the scale, the mask, the softmax and the
// second product. One rule, rooted at the last MatMul:
//   MatMul(Q', K') -> [Mul | Div by a scalar]* -> [Add(mask)] -> Softmax(axis = last) -> MatMul(., V)
//     Q' = Q [* c | / c]*                           (torch's MultiheadAttention export scales Q by 1/sqrt(d))
//     K' = [Transpose(K0, perm)] with scalar links on either side (torch's SDPA export scales Q and K by
//          sqrt(scale) each; other exporters write K^T directly or scale the scores)
//   =>  Attention(Q, K, V, mask) { scale = the product of every scalar }, K = Transpose(K0, perm') where perm' is
//       perm with its last two entries swapped (no node when perm' is the identity; Transpose(K', swap last two)
//       when K' has no Transpose of its own).
// Layouts: a perm' that keeps the last axis last becomes the node's k_perm instead of a Transpose node, and so do
// the head Transposes around the block (torch's [T, B*H, D] -> [B*H, T, D] on Q and V: q_perm, v_perm; the
// Transpose back after the last MatMul: y_perm), each when its output has no other user: the kernels then read
// Q, K, V and write Y where they are (src/ops/attention.ts).
// Algebra: (aQ)(bK)^T c = abc QK^T; a scalar commutes with Transpose; a scalar AFTER the mask Add would scale
// the mask too, so the chain of scalars is only taken between the first MatMul and the Add.
// Guards (the pattern is left alone otherwise, and the reason reported): every intermediate has exactly one user
// and is not a graph output (scores or probabilities read elsewhere must exist); the Softmax is over the last axis
// (an opset < 13 Softmax arrives as Flatten -> Softmax -> Reshape: it matches when it flattens only the last axis, the
// one case where the two meanings are the same function); Q, K', V
// are float32 of one rank >= 2 with identical leading dims (MatMul's batch broadcasting is not fused); the mask is
// float32 and broadcasts onto the scores without growing them; every factor is a finite nonzero float32 scalar.
import type { Dim, Graph, Node, Value } from '../src/ir/graph.ts';
import { ATTENTION, keepsLastAxis } from '../src/ops/attention.ts';
import type { Pass } from './pass.ts';
import { decline, rulePass, rule, type Rule } from './rewrite-engine.ts';
import { isF32Const, nums, single } from './affine-chain.ts';

const std = (n: Node | null | undefined, op: string): n is Node => !!n && !n.domain && n.op === op;
const rankOf = (v: Value) => v.type.shape?.length ?? -1;

/** The factor of a scalar link `n` reading `x` (x*c, c*x, x/c), or null. */
function scalarFactor(n: Node, x: Value): number | null {
  if (!std(n, 'Mul') && !std(n, 'Div')) return null;
  const [a, b] = n.inputs;
  if (a === b) return null;
  const c = a === x ? b : n.op === 'Mul' ? a : null;
  if (!isF32Const(c) || c.const!.size !== 1 || rankOf(c) > rankOf(x) || x.type.dtype !== 'float32') return null;
  const f = n.op === 'Mul' ? nums(c)[0]! : 1 / nums(c)[0]!;
  return Number.isFinite(f) && f !== 0 ? f : null;
}

interface Scaled { v: Value; scale: number; links: Node[] }

/** Walks back from `v` through scalar links whose outputs have one user: the value they scale, the product of
 *  their factors, and the links (nearest first). */
function scaledBack(g: Graph, v: Value): Scaled {
  let scale = 1;
  const links: Node[] = [];
  for (;;) {
    const p = v.producer;
    if (!p || !single(g, v)) return { v, scale, links };
    const x = p.inputs.find((i) => i && !i.const) ?? null;
    const f = x && scalarFactor(p, x);
    if (!f) return { v, scale, links };
    scale *= f; links.push(p); v = x!;
  }
}

/** Whether `m` broadcasts onto `scores` without growing it (each dim 1 or equal). */
function maskFits(m: readonly Dim[], scores: readonly Dim[]): boolean {
  const off = scores.length - m.length;
  return off >= 0 && m.every((d, i) => d === 1 || d === scores[off + i]);
}

interface Match {
  root: Node; remove: Node[]; q: Value; v: Value; mask: Value | null; scale: number;
  /** K as the kernel reads it: `k` itself, or Transpose(k, perm) (a node when perm moves the last axis). */
  k: Value; perm: number[] | null;
  /** Layout perms absorbed from head Transposes (the node's q_perm, v_perm, y_perm), and the output Transpose. */
  qPerm: number[] | null; vPerm: number[] | null; yPerm: number[] | null; out: Value;
}

/** A Transpose producing `x` whose only user is the chain, with a perm keeping the last axis last: absorbed. */
function headTranspose(g: Graph, x: Value): { t: Node; perm: number[] } | null {
  const t = x.producer, r = rankOf(x), perm = t?.attrs.perm as number[] | undefined;
  return std(t, 'Transpose') && single(g, x) && perm?.length && keepsLastAxis(perm, r) ? { t, perm: [...perm] } : null;
}

const isIdentity = (p: readonly number[]) => p.every((a, i) => a === i);
const swapLast = (p: readonly number[]) => [...p.slice(0, -2), p[p.length - 1]!, p[p.length - 2]!];

/** The scores chain ending at the Softmax input `x`: [scalar links] <- MatMul, with an optional mask Add last. */
function scoresChain(g: Graph, x: Value): { qk: Node; scale: number; links: Node[]; mask: Value | null } | string {
  const add = x.producer;
  const fromMatMul = (s: Value) => {
    const sc = scaledBack(g, s);
    return std(sc.v.producer, 'MatMul') && single(g, sc.v) ? { qk: sc.v.producer, scale: sc.scale, links: sc.links } : null;
  };
  const direct = fromMatMul(x);
  if (direct) return { ...direct, mask: null };
  if (!std(add, 'Add') || !single(g, x)) return 'Softmax input is not a scaled MatMul (plus a mask)';
  for (const i of [0, 1]) {
    const s = add.inputs[i]!, m = add.inputs[1 - i]!;
    if (m === s) continue;
    const c = fromMatMul(s);
    if (c) return { ...c, links: [add, ...c.links], mask: m };
  }
  return 'Softmax input is not a scaled MatMul (plus a mask) with one user per step';
}

/**
 * The softmax over the last axis producing `p`: Softmax(x, axis = last), or what the importer makes of an opset < 13
 * Softmax (Flatten(x, axis) -> Softmax(axis 1) -> Reshape to x's shape), which is the same function exactly when the
 * Flatten axis is x's last. Returns its input x (or why it is not one) and its nodes; null when p is no Softmax.
 */
function softmaxOverLast(g: Graph, p: Value): { x: Value | string; nodes: Node[] } | null {
  const n = p.producer, r = rankOf(p);
  const last = (axis: unknown, rank: number) => { const a = Number(axis ?? -1); return (a < 0 ? a + rank : a) === rank - 1; };
  if (std(n, 'Softmax')) return { x: r >= 2 && last(n.attrs.axis, r) ? n.inputs[0]! : 'Softmax is not over the last axis of a rank >= 2 score tensor', nodes: [n] };
  const rs: Node | null = p.producer;
  const sm = std(rs, 'Reshape') ? rs.inputs[0]!.producer : null, fl = std(sm, 'Softmax') ? sm.inputs[0]!.producer : null;
  if (!rs || !std(sm, 'Softmax') || !std(fl, 'Flatten')) return null;
  const nodes = [rs, sm, fl], x = fl.inputs[0]!, xs = x.type.shape, ps = p.type.shape;
  const same = !!xs && !!ps && xs.length === ps.length && xs.every((d, i) => d === ps[i]);
  const ok = same && r >= 2 && last(fl.attrs.axis ?? 1, r) && last(sm.attrs.axis, 2) && single(g, sm.inputs[0]!) && single(g, rs.inputs[0]!);
  return { x: ok ? x : 'the flattened (opset < 13) Softmax is not over the last axis alone', nodes };
}

function matchAttention(root: Node, g: Graph): Match | ReturnType<typeof decline> | null {
  const sm = softmaxOverLast(g, root.inputs[0]!);
  if (!sm) return null;
  const v = root.inputs[1]!, p = root.inputs[0]!, r = rankOf(p);
  const no = (why: string) => decline(why, sm.nodes);
  if (typeof sm.x === 'string') return no(sm.x);
  if (!single(g, p)) return no('attention probabilities have other consumers or are a graph output');
  const sc = scoresChain(g, sm.x);
  if (typeof sc === 'string') return no(sc);
  const qs = scaledBack(g, sc.qk.inputs[0]!);
  let ks = scaledBack(g, sc.qk.inputs[1]!);
  const remove = [root, ...sm.nodes, ...sc.links, sc.qk, ...qs.links, ...ks.links];
  let k = ks.v, perm: number[] | null = k.type.shape ? swapLast(k.type.shape.map((_, i) => i)) : null;
  let scale = sc.scale * qs.scale * ks.scale;
  const t = k.producer;
  if (std(t, 'Transpose') && t.inputs[0]!.type.shape) {
    const tr = t.inputs[0]!.type.shape.length;
    perm = swapLast((t.attrs.perm as number[] | undefined)?.length ? t.attrs.perm as number[] : Array.from({ length: tr }, (_, i) => tr - 1 - i));
    if (single(g, k)) { remove.push(t); ks = scaledBack(g, t.inputs[0]!); remove.push(...ks.links); scale *= ks.scale; k = ks.v; } else k = t.inputs[0]!;
  }
  const [q, kt] = [qs.v, sc.qk.inputs[1]!];
  const shapes = [q, kt, v].map((x) => x.type.shape);
  if (![q, kt, v, k].every((x) => x.type.dtype === 'float32') || shapes.some((s) => !s || s.length !== r) || !k.type.shape) return no('Q, K, V are not float32 of one known rank');
  const lead = shapes[0]!.slice(0, -2);
  if (!shapes.every((s) => s!.slice(0, -2).every((d, i) => d === lead[i]))) return no('Q, K, V leading dims differ (MatMul batch broadcasting is not fused)');
  if (sc.mask && (sc.mask.type.dtype !== 'float32' || !sc.mask.type.shape || !maskFits(sc.mask.type.shape, p.type.shape!))) return no('the mask does not broadcast onto the scores as float32');
  if (!Number.isFinite(scale) || scale === 0) return no(`scale ${scale} is not finite and nonzero`);
  // The head Transposes around the block become layouts the kernels read and write directly.
  const [hq, hv] = [headTranspose(g, q), headTranspose(g, v)];
  const yt = single(g, root.outputs[0]!);
  const hy = std(yt, 'Transpose') && keepsLastAxis(yt.attrs.perm as number[] | undefined, r) && (yt.attrs.perm as number[] | undefined)?.length ? yt : null;
  for (const h of [hq?.t, hv?.t, hy]) if (h) remove.push(h);
  return {
    root, remove, q: hq ? hq.t.inputs[0]! : q, v: hv ? hv.t.inputs[0]! : v, k, perm: perm && !isIdentity(perm) ? perm : null, mask: sc.mask, scale,
    qPerm: hq?.perm ?? null, vPerm: hv?.perm ?? null, yPerm: hy ? [...hy.attrs.perm as number[]] : null, out: (hy ?? root).outputs[0]!,
  };
}

export const ATTENTION_RULES: readonly Rule[] = [
  // MatMul(softmax(c * MatMul(aQ, (bK)^T) + M), V)  =>  Attention(Q, K, V, M) { scale = abc }
  rule<Match>({
    name: 'scaled dot-product attention',
    root: 'MatMul',
    match: matchAttention,
    apply(m, rw, count) {
      const opts = { name: `${m.root.name}_attention`, span: m.root.span };
      let k = m.k;
      const kLaid = m.perm && keepsLastAxis(m.perm, m.perm.length);
      if (m.perm && !kLaid) {
        const tr = rw.addNode('Transpose', [k], { perm: m.perm }, { name: `${m.root.name}_keys`, span: m.root.span }, m.root);
        tr.outputs[0]!.type = { dtype: 'float32', shape: m.perm.map((i) => k.type.shape![i]!) };
        k = tr.outputs[0]!;
      }
      const layouts = Object.fromEntries(([['q_perm', m.qPerm], ['k_perm', kLaid ? m.perm : null], ['v_perm', m.vPerm], ['y_perm', m.yPerm]] as const)
        .filter(([, p]) => p).map(([a, p]) => [a, [...p!]]));
      const att = rw.addNode(ATTENTION, [m.q, k, m.v, ...(m.mask ? [m.mask] : [])], { scale: m.scale, ...layouts }, { ...opts, domain: 'ai.layerc' }, m.root, m.out);
      rw.replaceAllUses(m.out, att.outputs[0]!);
      for (const n of m.remove) rw.remove(n);
      count('attention blocks fused');
    },
  }),
];

export const fuseAttention: Pass = rulePass('fuse-attention',
  'MatMul -> scale -> mask Add -> Softmax -> MatMul (scaled dot-product attention) -> one ai.layerc::Attention node',
  ATTENTION_RULES);
