// fold-batchnorm: a per-channel affine map y = a[c] * x + s[c] next to a linear op is folded into that op's
// constants (float64 arithmetic, rounded to float32 once). The affine map is a chain of links, each a
// BatchNormalization (inference, constant parameters), a Mul/Div by a per-channel constant or an Add/Sub of a
// per-channel constant (what simplify-inference makes of a BN, or a plain bias/scale).
//   Output side (P -> chain), channel o of P's output:
//     Conv           W[o, ...] *= a[o]                 b[o] = b[o] * a[o] + s[o]
//     ConvTranspose  W[c, m, ...] *= a[o], o = (c div C/group) * M/group + m   (weight is [C, M/group, k...])
//     Gemm           column o of B *= a[o]             C' = a * beta * C + s, beta' = 1 (alpha unchanged)
//     MatMul (constant 2-D B)  column o of B *= a[o];  shift: 2-D output -> Gemm(A, B', s), else MatMul + Add(s)
//   Input side (chain -> Conv), input channel c:  W[o, c, ...] *= a[c],  b[o] += sum_{c,k} W[o, c, k] * s[c].
//     Exact only when the Conv reads no zero padding (pads all 0, auto_pad NOTSET/VALID): a padded tap reads 0,
//     not s[c]. A pure scale (s == 0) commutes with zero padding and folds regardless.
//   Input side (chain -> Gemm with transA 0, A's columns k are the channels): row k of B *= a[k],
//     C' = beta * C + alpha * (s B), beta' = 1. Always exact (no padding).
//   Input side (chain -> Gemm with transA 1, A is [K, M]): the same on A's rows (a Mul/Add shaped [K, 1]; a BN
//     maps A's columns, which are the output's rows, and stays).
//   Input side (chain -> MatMul with a constant 2-D weight [K, N], channels on A's last axis): row k of W *= a[k],
//     bias sW (exact: no padding); the bias joins the output-side chain, or gives Gemm (2-D) / MatMul + Add(sW).
//   Input side (pure scale a*x -> ConvTranspose, input channel c is weight axis 0): W[c, ...] *= a[c]. Exact
//     whatever the padding (scaling commutes with the sum); a shift is not folded (it reaches only some outputs).
// Sub and Div by a constant count as links: x - c = x + (-c), c - x = -x + c, x / c = x * (1/c) when no c is 0
// (and 1/c is a finite float32); c / x is not affine and stops the chain.
// Preconditions (a chain is left alone otherwise, and every BN left in the graph is reported with a reason):
// the producer's output and every link's output have exactly one user and are not graph outputs; weights,
// biases and BN parameters are float32 constants; the channel axis of the map is the op's channel axis.
// New constants are created (weights may be shared); the old ones are dropped when nothing uses them.
// The cases are rows of FOLD_RULES (bottom of this file), run by the pattern engine (./rewrite-engine.ts): each
// row's match finds the chain and checks the guards without changing anything, its apply does the fold below.
import type { Graph, Node, Value } from '../src/ir/graph.ts';
import { rowScaled, Tensor } from '../src/ir/tensor.ts';
import type { Pass } from './pass.ts';
import type { Rewriter } from './rewriter.ts';
import { decline, rewrite, rule, type Rule } from './rewrite-engine.ts';
import { batchNormBlocker } from './simplify-inference.ts';
import { chainAfter, chainBefore, isF32Const, nums, single, type Chain, type Site } from './affine-chain.ts';

/** The BN a node stands for (itself, or the BN simplify-inference made it from: Node.origin), for reports. */
const bnOf = (n: Node): { op: string; name: string } | undefined =>
  (n.op === 'BatchNormalization' && !n.domain ? n : n.origin?.op === 'BatchNormalization' ? n.origin : undefined);

/** The channel axis of p's output (its site), or why there is none. */
function outputSite(p: Node): Site | string {
  const w = p.inputs[1], out = p.outputs[0]!;
  if (!isF32Const(w)) return `${p.op} weight is not a float32 constant`;
  if (out.type.dtype !== 'float32' || !out.type.shape) return `${p.op} output is not float32 of known rank`;
  const ws = w.const!.shape, rank = out.type.shape.length, group = Number(p.attrs.group ?? 1);
  switch (p.op) {
    case 'Conv': return { axis: 1, C: ws[0]!, rank };
    case 'ConvTranspose': return { axis: 1, C: ws[1]! * group, rank };
    case 'Gemm':
      if (p.inputs[2] && !isF32Const(p.inputs[2])) return 'Gemm C is not a float32 constant';
      return { axis: 1, C: Number(p.attrs.transB ?? 0) ? ws[0]! : ws[1]!, rank };
    default: // MatMul
      if (ws.length !== 2) return 'MatMul weight is not 2-D';
      return { axis: rank - 1, C: ws[1]!, rank };
  }
}

/** A float32 tensor with element i = f(i). A plain loop: Float32Array.from({ length }, fn) iterates an array-like
 *  generically and took seconds on ResNet-18's 11M weights (most of -O2's time). */
function f32(shape: number[], n: number, f: (i: number) => number): Tensor {
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = f(i);
  return new Tensor('float32', shape, d);
}

/** Rewires the chain's users to `out` and drops the chain and any constants left unused. */
function dropChain(rw: Rewriter, chain: Chain, out: Value, extra: (Value | null | undefined)[]): void {
  rw.replaceAllUses(chain.last, out);
  for (const n of chain.links) rw.remove(n);
  for (const v of extra) rw.dropIfUnused(v);
}

/** Folds `chain` (after p's output) into p's constants. */
function foldIntoProducer(rw: Rewriter, p: Node, chain: Chain): void {
  const g = rw.g;
  const { a, s } = chain;
  const C = a.length, w = p.inputs[1]!, W = w.const!, b = p.inputs[2] ?? null;
  const hasShift = s.some((x) => x !== 0) || !!b;
  const oldB = b;
  if (p.op === 'Conv' || p.op === 'ConvTranspose') {
    const group = Number(p.attrs.group ?? 1);
    const per = W.size / (W.shape[0]! * W.shape[1]!), Mg = W.shape[1]!, Cg = W.shape[0]! / group;
    let folded: Tensor;
    if (p.op === 'Conv') {
      // Output channel o owns one contiguous block of Cg * per weights: one scale per block. Computed when first
      // read: the js backend scales while it packs (rowScaled), so ResNet-18's 45 MB of folded weights are never written
      // (and W, when still in its file, is read only by the packer: src/ir/tensor.ts float32From).
      folded = rowScaled([...W.shape], W, Float64Array.from(a));
    } else {
      const src = W.data as Float32Array, wd = new Float32Array(W.size);
      // ConvTranspose: each run of `per` weights (one kernel window of row r = c * Mg + m) has one output channel.
      for (let r = 0, rows = W.shape[0]! * W.shape[1]!; r < rows; r++) {
        const k = a[Math.floor(Math.floor(r / Mg) / Cg) * Mg + (r % Mg)]!;
        for (let i = r * per, e = i + per; i < e; i++) wd[i] = src[i]! * k;
      }
      folded = new Tensor('float32', [...W.shape], wd);
    }
    rw.setInput(p, 1, g.addConst(`${w.name}_folded`, folded));
    if (hasShift) rw.setInput(p, 2, g.addConst(`${p.name}_bias_folded`, f32([C], C, (o) => (b ? nums(b)[o]! : 0) * a[o]! + s[o]!)));
    dropChain(rw, chain, p.outputs[0]!, [w, oldB]);
    return;
  }
  if (p.op === 'Gemm') {
    const transB = Number(p.attrs.transB ?? 0), beta = Number(p.attrs.beta ?? 1);
    const col = transB ? (i: number) => Math.floor(i / W.shape[1]!) : (i: number) => i % C;
    rw.setInput(p, 1, g.addConst(`${w.name}_folded`, f32([...W.shape], W.size, (i) => W.data[i]! * a[col(i)]!)));
    if (hasShift) {
      // C broadcasts onto [M, N]: keep its row count (1 or M), widen its columns to N.
      const cs = b ? [1, 1, ...b.const!.shape].slice(-2) : [1, 1];
      const rows = cs[0]!, cc = cs[1]!;
      const at = (r: number, o: number) => (b ? nums(b)[r * cc + (cc === 1 ? 0 : o)]! : 0);
      const t = f32(rows === 1 ? [C] : [rows, C], rows * C, (i) => a[i % C]! * beta * at(Math.floor(i / C), i % C) + s[i % C]!);
      rw.setInput(p, 2, g.addConst(`${p.name}_c_folded`, t));
      p.attrs = { ...p.attrs, beta: 1 };
    }
    dropChain(rw, chain, p.outputs[0]!, [w, oldB]);
    return;
  }
  // MatMul with a constant 2-D weight [K, N]: scale the columns; a shift needs a bias somewhere.
  const rank = p.outputs[0]!.type.shape!.length;
  const wf = g.addConst(`${w.name}_folded`, f32([...W.shape], W.size, (i) => W.data[i]! * a[i % C]!));
  const shift = hasShift ? g.addConst(`${p.name}_bias_folded`, f32([C], C, (o) => s[o]!)) : null;
  if (shift && rank === 2) {
    const gemm = rw.addNode('Gemm', [p.inputs[0]!, wf, shift], {}, { name: `${p.name}_gemm`, span: p.span }, p, chain.last);
    dropChain(rw, chain, gemm.outputs[0]!, []);
    rw.remove(p);
    return;
  }
  rw.setInput(p, 1, wf);
  const out = shift ? rw.addNode('Add', [p.outputs[0]!, shift], {}, { name: `${p.name}_bias`, span: p.span }, chain.links[0]!, chain.last).outputs[0]! : p.outputs[0]!;
  dropChain(rw, chain, out, [w]);
}

/** Why folding `chain` before `conv` would not be exact: a shift read through zero padding. */
function paddingBlocks(conv: Node, chain: Chain): string | null {
  const pads = (conv.attrs.pads as number[] | undefined) ?? [];
  const autoPad = String(conv.attrs.auto_pad ?? 'NOTSET');
  const padded = pads.some((p) => p !== 0) || !(autoPad === 'NOTSET' || autoPad === 'VALID');
  return padded && chain.s.some((x) => x !== 0) ? 'Conv zero-pads its input (a shift does not commute with padding)' : null;
}

/** Folds `chain` (before conv's input 0) into the conv's weights and bias (exact: paddingBlocks said so). */
function foldIntoConsumer(rw: Rewriter, conv: Node, chain: Chain): void {
  const g = rw.g;
  const { a, s } = chain;
  const w = conv.inputs[1]!, W = w.const!, b = conv.inputs[2] ?? null;
  const group = Number(conv.attrs.group ?? 1), M = W.shape[0]!, Cg = W.shape[1]!, Mg = M / group, per = W.size / (M * Cg);
  const bias = new Float64Array(M);
  const wd = new Float32Array(W.size);
  for (let i = 0; i < W.size; i++) {
    const m = Math.floor(i / (Cg * per)), c = Math.floor(m / Mg) * Cg + (Math.floor(i / per) % Cg);
    wd[i] = W.data[i]! * a[c]!;
    bias[m]! += W.data[i]! * s[c]!;
  }
  const hasShift = !!b || s.some((x) => x !== 0);
  rw.setInput(conv, 0, chain.first);
  rw.setInput(conv, 1, g.addConst(`${w.name}_folded`, new Tensor('float32', [...W.shape], wd)));
  if (hasShift) rw.setInput(conv, 2, g.addConst(`${conv.name}_bias_folded`, f32([M], M, (m) => (b ? nums(b)[m]! : 0) + bias[m]!)));
  for (const n of chain.links) rw.remove(n);
  rw.dropIfUnused(w);
  rw.dropIfUnused(b);
}

/** Folds a pure scale `chain` (before a ConvTranspose's input) into its weight [C, M/group, k...]: W[c] *= a[c]. */
function foldScaleIntoConvTranspose(rw: Rewriter, p: Node, chain: Chain): void {
  const w = p.inputs[1]!, W = w.const!, per = W.size / W.shape[0]!;
  rw.setInput(p, 0, chain.first);
  rw.setInput(p, 1, rw.g.addConst(`${w.name}_folded`, f32([...W.shape], W.size, (i) => W.data[i]! * chain.a[Math.floor(i / per)]!)));
  for (const n of chain.links) rw.remove(n);
  rw.dropIfUnused(w);
}

/** Folds `chain` (before input A of a Gemm with transA 0) into B and C. */
function foldIntoGemmInput(rw: Rewriter, gemm: Node, chain: Chain): void {
  const g = rw.g;
  const { a, s } = chain;
  const w = gemm.inputs[1]!, B = w.const!, c = gemm.inputs[2] ?? null;
  const transB = Number(gemm.attrs.transB ?? 0), alpha = Number(gemm.attrs.alpha ?? 1), beta = Number(gemm.attrs.beta ?? 1);
  const K = a.length, N = B.size / K;
  const kOf = transB ? (i: number) => i % K : (i: number) => Math.floor(i / N);
  const nOf = transB ? (i: number) => Math.floor(i / K) : (i: number) => i % N;
  const sB = new Float64Array(N);
  for (let i = 0; i < B.size; i++) sB[nOf(i)]! += s[kOf(i)]! * B.data[i]!;
  rw.setInput(gemm, 0, chain.first);
  rw.setInput(gemm, 1, g.addConst(`${w.name}_folded`, f32([...B.shape], B.size, (i) => B.data[i]! * a[kOf(i)]!)));
  if (c || s.some((x) => x !== 0)) {
    const cs = c ? [1, 1, ...c.const!.shape].slice(-2) : [1, 1];
    const rows = cs[0]!, cc = cs[1]!;
    const at = (r: number, n: number) => (c ? nums(c)[r * cc + (cc === 1 ? 0 : n)]! : 0);
    rw.setInput(gemm, 2, g.addConst(`${gemm.name}_c_folded`, f32(rows === 1 ? [N] : [rows, N], rows * N, (i) => beta * at(Math.floor(i / N), i % N) + alpha * sB[i % N]!)));
    gemm.attrs = { ...gemm.attrs, beta: 1 };
  }
  for (const n of chain.links) rw.remove(n);
  rw.dropIfUnused(w);
  rw.dropIfUnused(c);
}

/**
 * Folds `chain` (on the last axis of a MatMul's A, the reduced axis K) into the constant 2-D weight [K, N]:
 * (a*x + s) W = x (a W) + s W, so row k of W *= a[k] and the shift becomes a bias sW on the output's last axis.
 * That bias joins the output-side chain when there is one (s' = s_out + a_out * sW), else it becomes
 * Gemm(x, W', sW) for a 2-D output or MatMul + Add(sW). Returns the output-side chain it folded, null if none,
 * or false when there was no bias (p stays, its output side is handled as usual).
 */
function foldIntoMatMulInput(rw: Rewriter, p: Node, chain: Chain): Chain | null | false {
  const g = rw.g;
  const { a, s } = chain;
  const w = p.inputs[1]!, W = w.const!, K = W.shape[0]!, N = W.shape[1]!;
  const bias = new Float64Array(N);
  for (let i = 0; i < W.size; i++) bias[i % N]! += s[Math.floor(i / N)]! * W.data[i]!;
  const wf = g.addConst(`${w.name}_folded`, f32([K, N], W.size, (i) => W.data[i]! * a[Math.floor(i / N)]!));
  rw.setInput(p, 0, chain.first);
  rw.setInput(p, 1, wf);
  for (const n of chain.links) rw.remove(n);
  rw.dropIfUnused(w);
  if (!bias.some((v) => v !== 0)) return false;
  const out = p.outputs[0]!, rank = out.type.shape!.length;
  const after = single(g, out) ? chainAfter(g, out, { axis: rank - 1, C: N, rank }) : null;
  if (after) {
    for (let n = 0; n < N; n++) after.s[n]! += after.a[n]! * bias[n]!;
    after.scales = true; // the bias must land even when the chain after is a pure shift
    foldIntoProducer(rw, p, after);
    return after;
  }
  const b = g.addConst(`${p.name}_bias_folded`, f32([N], N, (n) => bias[n]!));
  const opts = { name: `${p.name}_folded`, span: p.span };
  const y = rank === 2 ? rw.addNode('Gemm', [chain.first, wf, b], {}, opts, p, out).outputs[0]!
    : rw.addNode('Add', [rw.addNode('MatMul', [chain.first, wf], {}, opts, p, out).outputs[0]!, b], {}, { name: `${p.name}_bias`, span: p.span }, p, out).outputs[0]!;
  rw.replaceAllUses(out, y);
  rw.remove(p);
  return null;
}

type Count = (what: string, n?: number) => void;

/** Counts each folded link in the user's terms, a BN (or the Mul/Add made from it) once. */
function countFolds(count: Count, links: Node[], into: string): void {
  const seen = new Set<string>();
  for (const n of links) {
    const bn = bnOf(n);
    if (!bn) count(`${n.op} folded into ${into}`);
    else if (!seen.has(bn.name)) { seen.add(bn.name); count(`BatchNormalization folded into ${into}`); }
  }
}

interface Fold { p: Node; chain: Chain }

const constParams = (p: Node) => isF32Const(p.inputs[1]) && (!p.inputs[2] || isF32Const(p.inputs[2]));
const rankOf = (v: Value | null | undefined) => v?.type.shape?.length ?? 0;

/**
 * An input-side row: the chain before `p`'s input 0 (an affine map on the channel axis `site` gives) folds into
 * p's constants. `guard` declines an inexact case; `fold` returns an output-side chain it also folded, if any.
 */
function inputSide(root: string, site: (p: Node) => Site | null, fold: (rw: Rewriter, p: Node, c: Chain, count: Count) => void,
  guard: (p: Node, c: Chain) => string | null = () => null): Rule {
  return rule<Fold>({
    name: `${root} input side`,
    root,
    match(p, g) {
      const at = site(p);
      const chain = at && chainBefore(g, p.inputs[0]!, at);
      if (!chain) return null;
      const why = guard(p, chain);
      return why ? decline(why, chain.links) : { p, chain };
    },
    apply: ({ p, chain }, rw, count) => fold(rw, p, chain, count),
  });
}

/** An output-side row: the chain after `root`'s output folds into its weights and bias. */
function outputSide(root: string): Rule {
  return rule<Fold>({
    name: `${root} output side`,
    root,
    match(p, g) {
      const out = p.outputs[0]!;
      if (out.users.length !== 1 || g.outputs.includes(out)) {
        return decline(g.outputs.includes(out) ? `${p.op} output is a graph output` : `${p.op} output has other consumers`, out.users);
      }
      const u = out.users[0]!;
      const at = outputSite(p);
      if (typeof at === 'string') return decline(at, [u]);
      if ((p.op === 'ConvTranspose' || p.op === 'Conv') && p.inputs[2] && !isF32Const(p.inputs[2])) return decline(`${p.op} bias is not a float32 constant`, [u]);
      const chain = chainAfter(g, out, at);
      if (!chain) return u.op === 'BatchNormalization' && batchNormBlocker(u) ? null : decline(`BatchNormalization channel axis 1 is not ${p.op}'s output channel axis`, [u]);
      if (p.op === 'MatMul' && !chain.scales && rankOf(out) !== 2) return null; // MatMul + Add(s) is already the best form
      return { p, chain };
    },
    apply({ p, chain }, rw, count) { foldIntoProducer(rw, p, chain); countFolds(count, chain.links, p.op); },
  });
}

/**
 * The rewrite table, one row per case (the algebra of each is in the header comment). Rows of one root run in
 * order on the same node: input side first (a chain before this op whose own producer could not take it), then
 * output side.
 */
export const FOLD_RULES: readonly Rule[] = [
  // (a*x + s) -> Conv  =>  Conv(x, W*a[c], b + sum W*s[c]); exact without zero padding (a pure scale always)
  inputSide('Conv', (p) => (constParams(p) && p.inputs[0]!.type.shape
    ? { axis: 1, C: p.inputs[1]!.const!.shape[1]! * Number(p.attrs.group ?? 1), rank: rankOf(p.inputs[0]) } : null),
  (rw, p, c, count) => { foldIntoConsumer(rw, p, c); countFolds(count, c.links, 'Conv (input side)'); }, paddingBlocks),
  // (a*A + s) -> Gemm, transA 0 (A's columns are the channels)  =>  Gemm(A, B*a[k], beta*C + alpha*sB)
  inputSide('Gemm', (p) => (!Number(p.attrs.transA ?? 0) && constParams(p) && rankOf(p.inputs[0]) === 2
    ? { axis: 1, C: p.inputs[1]!.const!.shape[Number(p.attrs.transB ?? 0) ? 1 : 0]!, rank: 2 } : null),
  (rw, p, c, count) => { foldIntoGemmInput(rw, p, c); countFolds(count, c.links, 'Gemm (input side)'); }),
  // per-row (a*A + s) -> Gemm, transA 1 (A is [K, M]: its rows are the reduced axis; a BN maps columns and stays)
  inputSide('Gemm', (p) => (Number(p.attrs.transA ?? 0) && constParams(p) && rankOf(p.inputs[0]) === 2
    ? { axis: 0, C: p.inputs[1]!.const!.shape[Number(p.attrs.transB ?? 0) ? 1 : 0]!, rank: 2 } : null),
  (rw, p, c, count) => { foldIntoGemmInput(rw, p, c); countFolds(count, c.links, 'Gemm (input side)'); }),
  // (a*x + s) -> MatMul(·, W 2-D)  =>  MatMul(x, a*W) + sW (the bias joins the output-side chain, or Gemm / Add)
  inputSide('MatMul', (p) => (isF32Const(p.inputs[1]) && p.inputs[1]!.const!.shape.length === 2 && rankOf(p.inputs[0]) >= 2
    ? { axis: rankOf(p.inputs[0]) - 1, C: p.inputs[1]!.const!.shape[0]!, rank: rankOf(p.inputs[0]) } : null),
  (rw, p, c, count) => {
    countFolds(count, c.links, 'MatMul (input side)');
    const after = foldIntoMatMulInput(rw, p, c);
    if (after) countFolds(count, after.links, 'MatMul');
  }),
  // (a*x) -> ConvTranspose  =>  ConvTranspose(x, W[c]*a[c]); a shift is declined
  inputSide('ConvTranspose', (p) => (constParams(p) && p.inputs[0]!.type.shape ? { axis: 1, C: p.inputs[1]!.const!.shape[0]!, rank: rankOf(p.inputs[0]) } : null),
    (rw, p, c, count) => { foldScaleIntoConvTranspose(rw, p, c); countFolds(count, c.links, 'ConvTranspose (input side)'); },
    (_p, c) => (c.s.some((x) => x !== 0) ? 'a shift before a ConvTranspose reaches only some outputs' : null)),
  // P -> (a*y + s) for P in Conv, ConvTranspose, Gemm, MatMul  =>  P with W*a[o], b*a[o] + s[o]
  outputSide('Conv'),
  outputSide('ConvTranspose'),
  outputSide('Gemm'),
  outputSide('MatMul'),
];

export const foldBatchnorm: Pass = {
  name: 'fold-batchnorm',
  summary: 'fold BatchNormalization / per-channel scale and shift into the weights and bias of an adjacent Conv, ConvTranspose, Gemm or MatMul',
  run(g, ctx) {
    const r = rewrite(g, FOLD_RULES);
    for (const [what, n] of Object.entries(r.counts)) ctx.count(what, n);
    ctx.fired(r.fired);
    // Every BN left in the graph is reported once, with the first reason a rule gave about it.
    const why = new Map<string, string>();
    for (const d of r.declined) for (const n of d.nodes) { const bn = bnOf(n); if (bn && !why.has(bn.name)) why.set(bn.name, d.declined); }
    const left = new Map<string, Node>();
    for (const n of g.nodes) { const bn = bnOf(n); if (bn && !left.has(bn.name)) left.set(bn.name, n); }
    for (const [name, n] of left) {
      ctx.skip(why.get(name) ?? (n.op === 'BatchNormalization' ? batchNormBlocker(n) : null) ?? 'not next to a Conv, ConvTranspose, Gemm or MatMul');
    }
    return r.changed;
  },
};
