// Scaled dot-product attention written the ways exporters write it, for the fuse-attention tests and the
// Attention kernel tests: where the scale sits (on Q, on K, sqrt on both, on the scores, none; Mul or Div,
// constant first or second), how K^T is made (Transpose of the last two axes, K given pre-transposed, torch's
// head Transpose [S, ...lead, D] -> [...lead, D, S]), and an optional mask Add of any broadcast shape.
import fc from 'fast-check';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { lcg } from '../helpers/random.ts';

export interface AttentionForm {
  lead: number[]; T: number; S: number; D: number; Dv: number;
  scaleOn: 'q' | 'k' | 'qk' | 'scores' | 'none'; div: boolean; constFirst: boolean;
  k: 'swap' | 'pre' | 'heads';
  /** torch's MultiheadAttention layout for Q and V ([T, ...lead, D] transposed to [...lead, T, D]) and the output
   *  (transposed back): head Transposes the pass absorbs into the node's layouts. */
  qvHeads: boolean; outHeads: boolean;
  /** Mask shape (broadcasts onto [...lead, T, S]), or null. */
  mask: number[] | null; maskFirst: boolean;
  /** Softmax axis written as -1 or as rank - 1. */
  positiveAxis: boolean;
  /** Input magnitude (large values test the softmax's max subtraction). */
  mag: number;
  seed: number;
}

/** The unfused graph and its feeds; `scale` is the product of the factors it applies (what the fused node gets). */
export function attentionGraph(f: AttentionForm): { g: Graph; feeds: Record<string, Tensor>; scale: number } {
  const g = new Graph('sdpa');
  const rnd = lcg(f.seed);
  const feeds: Record<string, Tensor> = {};
  const input = (name: string, shape: number[], mag = f.mag) => {
    feeds[name] = Tensor.fromArray('float32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => mag * (2 * rnd() - 1)));
    return g.addInput(name, { dtype: 'float32', shape });
  };
  const node = (op: string, ins: Value[], attrs: Record<string, unknown> = {}) => g.addNode(op, ins, attrs as never).outputs[0]!;
  const r = f.lead.length + 2;
  const c = 1 / Math.sqrt(f.D);
  const scaled = (x: Value, factor: number) => {
    const k = g.addConst(g.uniqueName('c'), Tensor.scalar('float32', f.div ? 1 / factor : factor));
    const ins = f.constFirst && !f.div ? [k, x] : [x, k];
    return node(f.div ? 'Div' : 'Mul', ins);
  };
  const L = f.lead.length, toHeads = [...f.lead.map((_, i) => i + 1), 0, r - 1], heads = f.qvHeads && L > 0;
  let q = heads ? node('Transpose', [input('q', [f.T, ...f.lead, f.D])], { perm: toHeads }) : input('q', [...f.lead, f.T, f.D]);
  const v = heads ? node('Transpose', [input('v', [f.S, ...f.lead, f.Dv], 1)], { perm: toHeads }) : input('v', [...f.lead, f.S, f.Dv], 1);
  const kScale = f.scaleOn === 'k' ? c : f.scaleOn === 'qk' ? Math.sqrt(c) : 1;
  if (f.scaleOn === 'q') q = scaled(q, c);
  if (f.scaleOn === 'qk') q = scaled(q, Math.sqrt(c));
  let kt: Value;
  if (f.k === 'pre') kt = input('kt', [...f.lead, f.D, f.S]);
  else if (f.k === 'swap') {
    const k = input('k', [...f.lead, f.S, f.D]);
    kt = node('Transpose', [f.scaleOn === 'k' ? scaled(k, kScale) : k], { perm: [...f.lead.map((_, i) => i), r - 1, r - 2] });
  } else {
    const k = input('k', [f.S, ...f.lead, f.D]);
    kt = node('Transpose', [f.scaleOn === 'k' ? scaled(k, kScale) : k], { perm: [...f.lead.map((_, i) => i + 1), r - 1, 0] });
  }
  if (f.scaleOn === 'qk' || (f.scaleOn === 'k' && f.k === 'pre')) kt = scaled(kt, kScale);
  let s = node('MatMul', [q, kt]);
  if (f.scaleOn === 'scores') s = scaled(s, c);
  if (f.mask) {
    const m = input('mask', f.mask, 4);
    s = node('Add', f.maskFirst ? [m, s] : [s, m]);
  }
  const p = node('Softmax', [s], { axis: f.positiveAxis ? r - 1 : -1 });
  const y = node('MatMul', [p, v]);
  g.outputs.push(f.outHeads && L > 0 ? node('Transpose', [y], { perm: [L, ...f.lead.map((_, i) => i), r - 1] }) : y);
  inferShapes(g);
  return { g, feeds, scale: f.scaleOn === 'none' ? 1 : c };
}

/** A mask shape broadcasting onto [...lead, T, S]: full, [T, S], [S], [B, 1, 1, S]-like (lead kept, T -> 1). */
export const maskShapeArb = (lead: number[], T: number, S: number): fc.Arbitrary<number[] | null> => fc.constantFrom(
  null, [...lead, T, S], [T, S], [S], [...lead, 1, S], [...lead.map((d, i) => (i === 0 ? d : 1)), 1, S], [1, S],
);

export const attentionFormArb: fc.Arbitrary<AttentionForm> = fc.record({
  lead: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 2 }),
  T: fc.integer({ min: 1, max: 6 }), S: fc.integer({ min: 1, max: 6 }), D: fc.integer({ min: 1, max: 7 }), Dv: fc.integer({ min: 1, max: 5 }),
  scaleOn: fc.constantFrom('q', 'k', 'qk', 'scores', 'none'), div: fc.boolean(), constFirst: fc.boolean(),
  k: fc.constantFrom('swap', 'pre', 'heads'), qvHeads: fc.boolean(), outHeads: fc.boolean(), maskFirst: fc.boolean(), positiveAxis: fc.boolean(),
  mag: fc.constantFrom(1, 3), seed: fc.integer({ min: 1, max: 2 ** 30 }),
}).chain((f) => maskShapeArb(f.lead, f.T, f.S).map((mask) => ({ ...f, mask, k: f.k === 'heads' && !f.lead.length ? 'swap' as const : f.k })));

/**
 * A stated tolerance for the fused node against the unfused chain (both on the reference interpreter), per
 * output element: 8u (D + S + 40)(1 + max|scores|) max|V|, u = 2^-24. The unfused chain rounds each step to
 * float32: the scores carry (D + 3)u relative error from the first MatMul plus the scale and mask roundings;
 * Softmax turns an absolute score error e into a relative probability error <= 2e plus its own (S + 34)u; the
 * second MatMul adds (S + 3)u relative to sum p|v| <= max|V|. The fused reference rounds once. Factor 8 is margin;
 * a wrong scale, a dropped mask or a misread axis is off by O(max|V|).
 */
export function attentionTolerance(f: AttentionForm, feeds: Record<string, Tensor>): number {
  const maxAbs = (t?: Tensor) => (t ? Math.max(0, ...Array.from(t.data as Float32Array, Math.abs)) : 0);
  const kmax = maxAbs(feeds.k ?? feeds.kt), qmax = maxAbs(feeds.q);
  const scores = qmax * kmax * f.D * (f.scaleOn === 'none' ? 1 : 1 / Math.sqrt(f.D)) + maxAbs(feeds.mask);
  return 8 * 2 ** -24 * (f.D + f.S + 40) * (1 + scores) * Math.max(maxAbs(feeds.v), 1e-30);
}

/** One ai.layerc::Attention node's inputs (for kernel tests): Q, K, V and an optional mask, with its scale. */
export interface KernelCase {
  lead: number[]; T: number; S: number; D: number; Dv: number; mask: number[] | null; scale: number; mag: number; seed: number;
  /** Q, K, V and Y in stored layouts: a seeded permutation of the leading axes for each (the last axis stays last). */
  laid?: boolean;
}

/** A seeded permutation of the first r - 1 axes, the last axis kept last. */
function keepLastPerm(r: number, rnd: () => number): number[] {
  const p = Array.from({ length: r - 1 }, (_, i) => i);
  for (let i = p.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [p[i], p[j]] = [p[j]!, p[i]!]; }
  return [...p, r - 1];
}

export const kernelCaseArb: fc.Arbitrary<KernelCase> = fc.record({
  lead: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 2 }),
  T: fc.integer({ min: 1, max: 9 }), S: fc.integer({ min: 1, max: 9 }), D: fc.integer({ min: 1, max: 9 }), Dv: fc.integer({ min: 1, max: 7 }),
  scale: fc.constantFrom(1, 0.125, 1 / Math.sqrt(5), -0.5), mag: fc.constantFrom(1, 2, 8), seed: fc.integer({ min: 1, max: 2 ** 30 }), laid: fc.boolean(),
}).chain((c) => maskShapeArb(c.lead, c.T, c.S).map((mask) => ({ ...c, mask })));

/** Every case as one node of one graph (one compile serves them all); inputs fed, outputs y0, y1, ... */
export function attentionNodesGraph(cases: readonly KernelCase[]): { g: Graph; feeds: Record<string, Tensor> } {
  const g = new Graph('attention-kernels');
  const feeds: Record<string, Tensor> = {};
  cases.forEach((c, j) => {
    const rnd = lcg(c.seed);
    const input = (name: string, shape: number[], mag: number) => {
      feeds[name] = Tensor.fromArray('float32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => mag * (2 * rnd() - 1)));
      return g.addInput(name, { dtype: 'float32', shape });
    };
    const r = c.lead.length + 2;
    const perms = ['q_perm', 'k_perm', 'v_perm', 'y_perm'].map((a) => [a, c.laid ? keepLastPerm(r, rnd) : []] as const);
    // Stored so that Transpose(stored, p) is the logical operand: stored[p[i]] = logical[i].
    const stored = (logical: number[], p: readonly number[]) => { if (!p.length) return logical; const s = [...logical]; p.forEach((a, i) => { s[a] = logical[i]!; }); return s; };
    const ins = [input(`q${j}`, stored([...c.lead, c.T, c.D], perms[0]![1]), c.mag), input(`k${j}`, stored([...c.lead, c.S, c.D], perms[1]![1]), c.mag),
      input(`v${j}`, stored([...c.lead, c.S, c.Dv], perms[2]![1]), 1)];
    if (c.mask) ins.push(input(`m${j}`, c.mask, 4 * c.mag));
    const attrs = { scale: c.scale, ...Object.fromEntries(perms.filter(([, p]) => p.length)) };
    g.outputs.push(g.addNode('Attention', ins, attrs, { domain: 'ai.layerc', name: `att${j}`, outputNames: [`y${j}`] }).outputs[0]!);
  });
  inferShapes(g);
  return { g, feeds };
}

/** The cases the kernels must get right whatever the generator draws: T = 1, odd T, D % 4 != 0, every mask
 *  broadcast, batch 1 and > 1, scores in the hundreds (softmax without the max subtraction overflows exp), more keys
 *  than one block of the js kernel (the running max rises from block to block). */
export const KERNEL_EDGE_CASES: readonly KernelCase[] = [
  { lead: [1, 2], T: 1, S: 5, D: 3, Dv: 2, mask: null, scale: 0.5, mag: 1, seed: 1 },
  { lead: [2, 3], T: 7, S: 7, D: 5, Dv: 6, mask: [2, 1, 1, 7], scale: 1 / Math.sqrt(5), mag: 1, seed: 2 },
  { lead: [2, 3], T: 7, S: 5, D: 12, Dv: 12, mask: [7, 5], scale: 1 / Math.sqrt(12), mag: 2, seed: 3 },
  { lead: [4], T: 3, S: 9, D: 6, Dv: 3, mask: [9], scale: 1, mag: 1, seed: 4 },
  { lead: [3], T: 5, S: 4, D: 7, Dv: 5, mask: [3, 5, 4], scale: 1, mag: 1, seed: 5 },
  { lead: [], T: 4, S: 6, D: 4, Dv: 4, mask: [4, 1], scale: 1, mag: 1, seed: 6 },
  { lead: [2], T: 6, S: 8, D: 9, Dv: 3, mask: null, scale: 1, mag: 8, seed: 7 },
  { lead: [1], T: 2, S: 3, D: 2, Dv: 2, mask: [1, 2, 3], scale: 1, mag: 30, seed: 8 },
  { lead: [2], T: 3, S: 150, D: 5, Dv: 3, mask: [3, 150], scale: 0.7, mag: 4, seed: 9 }, // keys in several blocks of the js kernel
  { lead: [2, 3], T: 5, S: 6, D: 7, Dv: 4, mask: [2, 1, 1, 6], scale: 0.4, mag: 2, seed: 10, laid: true }, // stored layouts
  { lead: [6], T: 17, S: 17, D: 12, Dv: 12, mask: null, scale: 1 / Math.sqrt(12), mag: 1, seed: 11, laid: true },
];
