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
//   Not folded: a chain before a ConvTranspose (a shift is exact only without padding/cropping, and then
//     reaches only some outputs; a pure scale would fold, left for later).
// Sub and Div by a constant count as links: x - c = x + (-c), c - x = -x + c, x / c = x * (1/c) when no c is 0
// (and 1/c is a finite float32); c / x is not affine and stops the chain.
// Preconditions (a chain is left alone otherwise, and every BN left in the graph is reported with a reason):
// the producer's output and every link's output have exactly one user and are not graph outputs; weights,
// biases and BN parameters are float32 constants; the channel axis of the map is the op's channel axis.
// New constants are created (weights may be shared); the old ones are dropped when nothing uses them.
import type { Graph, Node, Value } from '../src/ir/graph.ts';
import { Tensor } from '../src/ir/tensor.ts';
import type { Pass, PassContext } from './pass.ts';
import { Rewriter } from './rewriter.ts';
import { batchNormBlocker, batchNormScaleShift, fromBatchNorm } from './simplify-inference.ts';

interface Affine { a: Float64Array; s: Float64Array }
interface Chain extends Affine { links: Node[]; first: Value; last: Value; scales: boolean }
/** Where a chain can sit: the channel axis and count of the tensor it maps, and the tensor's rank. */
interface Site { axis: number; C: number; rank: number }

const BASES = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);
const isF32Const = (v: Value | null | undefined): v is Value => !!v?.const && v.const.dtype === 'float32';
const nums = (v: Value) => v.const!.data as ArrayLike<number>;

/** The BN (or BN-made Mul/Add) a node stands for, for reporting. */
const bnOf = (n: Node): Node | undefined => (n.op === 'BatchNormalization' && !n.domain ? n : fromBatchNorm(n));

/** The link `n` (reading `x`) as a per-channel affine map at `site`, or null. */
function linkAffine(n: Node, x: Value, site: Site): Affine | null {
  if (n.domain || n.outputs.length !== 1 || n.inputs[0] === null) return null;
  const { axis, C, rank } = site;
  if (n.op === 'BatchNormalization') {
    if (n.inputs[0] !== x || axis !== 1 || batchNormBlocker(n) || n.inputs[1]!.const!.size !== C) return null;
    return batchNormScaleShift(n);
  }
  if (!['Mul', 'Add', 'Sub', 'Div'].includes(n.op) || n.inputs.length !== 2) return null;
  const k = n.inputs[0] === x ? n.inputs[1] : n.inputs[1] === x ? n.inputs[0] : null;
  if (!isF32Const(k) || k === x || x.type.dtype !== 'float32') return null;
  // c / x is not affine in x; x / c is x * (1/c) only when every 1/c is a finite float32.
  if (n.op === 'Div' && (n.inputs[0] !== x || !Array.from(nums(k)).every((v) => v !== 0 && Number.isFinite(Math.fround(1 / v))))) return null;
  const ks = k.const!.shape;
  if (ks.length > rank) return null;
  const off = rank - ks.length;
  if (!ks.every((d, i) => d === 1 || (i + off === axis && d === C))) return null;
  const vals = nums(k), perChannel = k.const!.size === C && C > 1;
  const at = (c: number) => vals[perChannel ? c : 0]!;
  const a = new Float64Array(C).fill(1), s = new Float64Array(C);
  const reversed = n.inputs[0] !== x; // c - x = -x + c
  for (let c = 0; c < C; c++) {
    const v = at(c);
    if (n.op === 'Mul') a[c] = v;
    else if (n.op === 'Div') a[c] = 1 / v;
    else if (n.op === 'Add') s[c] = v;
    else if (reversed) { a[c] = -1; s[c] = v; } else s[c] = -v;
  }
  return { a, s };
}

const single = (g: Graph, v: Value): Node | null => (v.users.length === 1 && !g.outputs.includes(v) ? v.users[0]! : null);

/** Composes links (each reading the previous one's output, the first reading `first`): y = a * x + s. */
function compose(links: Node[], first: Value, site: Site): Chain | null {
  const a = new Float64Array(site.C).fill(1), s = new Float64Array(site.C);
  let cur = first, scales = false;
  for (const u of links) {
    const f = linkAffine(u, cur, site);
    if (!f) return null;
    for (let c = 0; c < site.C; c++) { a[c]! *= f.a[c]!; s[c] = s[c]! * f.a[c]! + f.s[c]!; }
    scales ||= !(u.op === 'Add' || (u.op === 'Sub' && u.inputs[0] === cur)); // a pure shift (x + c, x - c)
    cur = u.outputs[0]!;
  }
  return links.length ? { a, s, links, first, last: cur, scales } : null;
}

/** The longest chain of links starting at the sole user of `v`. */
function chainAfter(g: Graph, v: Value, site: Site): Chain | null {
  const links: Node[] = [];
  let cur = v;
  for (let u = single(g, cur); u && linkAffine(u, cur, site); u = single(g, cur)) {
    links.push(u);
    cur = u.outputs[0]!;
  }
  return compose(links, v, site);
}

/** The longest chain of links ending at `x`, each link's output used only by the next (x: by the consumer). */
function chainBefore(g: Graph, x: Value, site: Site): Chain | null {
  const links: Node[] = [];
  let cur = x;
  while (cur.producer && single(g, cur)) {
    const p = cur.producer;
    const data = p.inputs.find((v) => v && !v.const) ?? null;
    // The map must not broadcast its input up (x [3, 1] + c [1, 4]): the consumer would then read a smaller tensor.
    if (!data || JSON.stringify(data.type.shape) !== JSON.stringify(cur.type.shape) || !linkAffine(p, data, site)) break;
    links.unshift(p);
    cur = data;
  }
  return compose(links, cur, site);
}

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

/** Folds `chain` (after p's output) into p's constants. Returns false when there is nothing to fold. */
function foldIntoProducer(rw: Rewriter, p: Node, chain: Chain): boolean {
  const g = rw.g;
  const { a, s } = chain;
  const C = a.length, w = p.inputs[1]!, W = w.const!, b = p.inputs[2] ?? null;
  const hasShift = s.some((x) => x !== 0) || !!b;
  const oldB = b;
  if (p.op === 'Conv' || p.op === 'ConvTranspose') {
    const group = Number(p.attrs.group ?? 1);
    const per = W.size / (W.shape[0]! * W.shape[1]!), Mg = W.shape[1]!, Cg = W.shape[0]! / group;
    // Each run of `per` weights (one kernel window) belongs to one output channel: scale it in one loop.
    const chan = p.op === 'Conv' ? (r: number) => Math.floor(r / W.shape[1]!)
      : (r: number) => Math.floor(Math.floor(r / Mg) / Cg) * Mg + (r % Mg);
    const wd = new Float32Array(W.size), src = W.data;
    for (let r = 0, rows = W.shape[0]! * W.shape[1]!; r < rows; r++) {
      const k = a[chan(r)]!;
      for (let i = r * per, e = i + per; i < e; i++) wd[i] = src[i]! * k;
    }
    rw.setInput(p, 1, g.addConst(`${w.name}_folded`, new Tensor('float32', [...W.shape], wd)));
    if (hasShift) rw.setInput(p, 2, g.addConst(`${p.name}_bias_folded`, f32([C], C, (o) => (b ? nums(b)[o]! : 0) * a[o]! + s[o]!)));
    dropChain(rw, chain, p.outputs[0]!, [w, oldB]);
    return true;
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
    return true;
  }
  // MatMul with a constant 2-D weight [K, N]: scale the columns; a shift needs a bias somewhere.
  const rank = p.outputs[0]!.type.shape!.length;
  if (!chain.scales && rank !== 2) return false; // MatMul + Add(s) is already the best form
  const wf = g.addConst(`${w.name}_folded`, f32([...W.shape], W.size, (i) => W.data[i]! * a[i % C]!));
  const shift = hasShift ? g.addConst(`${p.name}_bias_folded`, f32([C], C, (o) => s[o]!)) : null;
  if (shift && rank === 2) {
    const gemm = rw.addNode('Gemm', [p.inputs[0]!, wf, shift], {}, { name: `${p.name}_gemm`, span: p.span }, p, chain.last);
    dropChain(rw, chain, gemm.outputs[0]!, []);
    rw.remove(p);
    return true;
  }
  rw.setInput(p, 1, wf);
  const out = shift ? rw.addNode('Add', [p.outputs[0]!, shift], {}, { name: `${p.name}_bias`, span: p.span }, chain.links[0]!, chain.last).outputs[0]! : p.outputs[0]!;
  dropChain(rw, chain, out, [w]);
  return true;
}

/** Folds `chain` (before conv's input 0) into the conv's weights and bias, when exact. */
function foldIntoConsumer(rw: Rewriter, conv: Node, chain: Chain): string | null {
  const g = rw.g;
  const { a, s } = chain;
  const pads = (conv.attrs.pads as number[] | undefined) ?? [];
  const autoPad = String(conv.attrs.auto_pad ?? 'NOTSET');
  const padded = pads.some((p) => p !== 0) || !(autoPad === 'NOTSET' || autoPad === 'VALID');
  if (padded && s.some((x) => x !== 0)) return 'Conv zero-pads its input (a shift does not commute with padding)';
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
  return null;
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

function countFolds(ctx: PassContext, links: Node[], into: string): void {
  const seen = new Set<Node>();
  for (const n of links) {
    const bn = bnOf(n);
    if (!bn) ctx.count(`${n.op} folded into ${into}`);
    else if (!seen.has(bn)) { seen.add(bn); ctx.count(`BatchNormalization folded into ${into}`); }
  }
}

export const foldBatchnorm: Pass = {
  name: 'fold-batchnorm',
  summary: 'fold BatchNormalization / per-channel scale and shift into the weights and bias of an adjacent Conv, ConvTranspose, Gemm or MatMul',
  run(g, ctx) {
    const why = new Map<Node, string>(); // BN -> why it was not folded
    const note = (n: Node | null | undefined, reason: string) => { const bn = n && bnOf(n); if (bn && !why.has(bn)) why.set(bn, reason); };
    const rw = new Rewriter(g);
    const alive = (n: Node) => n.outputs[0]!.producer === n && !rw.isRemoved(n);
    for (const p of [...g.nodes]) {
      if (p.domain || !BASES.has(p.op) || !alive(p)) continue;
      // Input side first (a chain before this Conv whose own producer could not take it), then output side.
      if (p.op === 'Conv' && isF32Const(p.inputs[1]) && p.inputs[0]!.type.shape && (!p.inputs[2] || isF32Const(p.inputs[2]))) {
        const x = p.inputs[0]!, W = p.inputs[1]!.const!;
        const chain = chainBefore(g, x, { axis: 1, C: W.shape[1]! * Number(p.attrs.group ?? 1), rank: x.type.shape!.length });
        if (chain) {
          const blocked = foldIntoConsumer(rw, p, chain);
          if (blocked) chain.links.forEach((n) => note(n, blocked));
          else countFolds(ctx, chain.links, `${p.op} (input side)`);
        }
      }
      if (p.op === 'Gemm' && !Number(p.attrs.transA ?? 0) && isF32Const(p.inputs[1]) && (!p.inputs[2] || isF32Const(p.inputs[2])) && p.inputs[0]!.type.shape?.length === 2) {
        const B = p.inputs[1]!.const!;
        const chain = chainBefore(g, p.inputs[0]!, { axis: 1, C: B.shape[Number(p.attrs.transB ?? 0) ? 1 : 0]!, rank: 2 });
        if (chain) { foldIntoGemmInput(rw, p, chain); countFolds(ctx, chain.links, 'Gemm (input side)'); }
      }
      // transA 1: A is [K, M], its rows are the reduced axis; a per-row Mul/Add ([K, 1]) folds the same way
      // (a BN's channels are A's columns, the output's rows, so a BN stays).
      if (p.op === 'Gemm' && Number(p.attrs.transA ?? 0) && isF32Const(p.inputs[1]) && (!p.inputs[2] || isF32Const(p.inputs[2])) && p.inputs[0]!.type.shape?.length === 2) {
        const B = p.inputs[1]!.const!;
        const chain = chainBefore(g, p.inputs[0]!, { axis: 0, C: B.shape[Number(p.attrs.transB ?? 0) ? 1 : 0]!, rank: 2 });
        if (chain) { foldIntoGemmInput(rw, p, chain); countFolds(ctx, chain.links, 'Gemm (input side)'); }
      }
      if (p.op === 'MatMul' && isF32Const(p.inputs[1]) && p.inputs[1]!.const!.shape.length === 2 && (p.inputs[0]!.type.shape?.length ?? 0) >= 2) {
        const rank = p.inputs[0]!.type.shape!.length;
        const chain = chainBefore(g, p.inputs[0]!, { axis: rank - 1, C: p.inputs[1]!.const!.shape[0]!, rank });
        if (chain) {
          countFolds(ctx, chain.links, 'MatMul (input side)');
          const after = foldIntoMatMulInput(rw, p, chain);
          if (after !== false) { if (after) countFolds(ctx, after.links, 'MatMul'); continue; }
        }
      }
      const out = p.outputs[0]!;
      const site = outputSite(p);
      if (out.users.length !== 1 || g.outputs.includes(out)) {
        const reason = g.outputs.includes(out) ? `${p.op} output is a graph output` : `${p.op} output has other consumers`;
        out.users.forEach((u) => note(u, reason));
        continue;
      }
      if (typeof site === 'string') { note(out.users[0], site); continue; }
      if (p.op === 'ConvTranspose' || p.op === 'Conv') {
        if (p.inputs[2] && !isF32Const(p.inputs[2])) { note(out.users[0], `${p.op} bias is not a float32 constant`); continue; }
      }
      const chain = chainAfter(g, out, site);
      if (!chain) {
        const u = out.users[0]!;
        if (!(u.op === 'BatchNormalization' && batchNormBlocker(u))) note(u, `BatchNormalization channel axis 1 is not ${p.op}'s output channel axis`);
        continue;
      }
      if (foldIntoProducer(rw, p, chain)) countFolds(ctx, chain.links, p.op);
    }
    rw.flush();
    const left = new Set<Node>();
    for (const n of g.nodes) { const bn = bnOf(n); if (bn) left.add(bn); }
    for (const bn of left) ctx.skip(why.get(bn) ?? (bn.op === 'BatchNormalization' && alive(bn) ? batchNormBlocker(bn) : null) ?? 'not next to a Conv, ConvTranspose, Gemm or MatMul');
  },
};
