// How far a float32 backend may honestly be from the reference interpreter, per output element: a running
// error analysis (Higham, "Accuracy and Stability of Numerical Algorithms", ch. 3) carried along the reference
// run. Each value v gets a bound E(v) >= |backend(v) - exact(v)| for any backend that computes every op in
// float32 with any summation order (u = 2^-24 is float32's unit roundoff):
//   inputs, constants            E = 0 (every backend reads the same float32 numbers)
//   Conv/ConvTranspose/Gemm/MatMul  E = op(E_x, |W|, E_b) + op(|x| + E_x, E_W) + (K + 3) u op(|x|, |W|, |b|)
//                                   (K = accumulation length: a sum of K products has error <= K u sum|a||b|;
//                                   +3 for the bias add, alpha/beta scaling, and a folded BatchNorm scale)
//                                   + a 3x3 stride-1 (or stride-2, by phases) Conv's Winograd rounding term (./winograd-bound.ts)
//   Add/Sub                      E = E_a + E_b + u|y|          Mul   E = (|a| + E_a) E_b + |b| E_a + u|y|
//   (a product of two computed factors keeps the second-order E_a E_b: when both are exactly 0 in the
//   reference, the first-order terms vanish but the backend's product of two roundings does not)
//   activation f (Lipschitz L)   E = L E_x + u|y| + T(1 + |y|) where T = 64u covers exp/tanh on a GPU
//                                   (WGSL allows exp a few ULP; tanh inherits sinh/cosh) and 0 for piecewise-linear f
//   BatchNormalization           E = s E_x + 4u (s|x| + s|mean| + |B| + |y|), s = |scale| / sqrt(var + eps)
//                                   (covers (x - mean) s + B and the folded x a + (B - mean a), which rounds
//                                   B - mean a and x a: near y = 0 these cancel, s|x - mean| alone is too small)
//   MaxPool / layout ops         the op applied to E (max and copies are 1-Lipschitz in the max norm; Split,
//                                   DepthToSpace, SpaceToDepth too)
//   the #19 ops (Gelu, Erf, Softplus, Mish, Sin, Cos, Layer/Instance/GroupNormalization, Resize, Sum, Mean,
//   ReduceL2, Einsum)             see error-bound-zoo.ts
//   AveragePool, GlobalAvgPool   avg(E) + (K + 1) u avg(|x|)
//   Softmax                      E_i = y_i (2 max_row E + (n + 34) u)   (|d y_i / d x_j| sums to <= 2 y_i)
//   LogSoftmax                   E_i = 2 max_row E + (n + 34) u (1 + |y_i|)
//   ai.layerc::Attention         its definition's steps: scores Z = s Q K^T + M as MatMul, Mul and Add (D = head dim),
//                                P = Softmax(Z) as above, Y = P V as MatMul (S = keys); an online softmax's rescales
//                                multiply the running sum and the accumulator by the same factor, so only their
//                                roundings remain, inside Softmax's (n + 34) u
// A backend passes when |backend - reference| <= SAFETY * E + TINY (the reference accumulates in float64 and
// rounds each op's output once, which the u|y| terms above already count). The bound is worst-case, so a
// real disagreement (a misread operand, a dropped bias) exceeds it by orders of magnitude while reordered
// sums never do. An op without a rule throws: the generator must not reach it unbounded.
import type { Graph, Node } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { getOp, findOp, resolveAttrs, type EvalContext } from '../../src/ir/registry.ts';
import { SMOOTH_ACTIVATIONS, zooBound } from './error-bound-zoo.ts';
import { winogradConvBound } from './winograd-bound.ts';

export const U = 2 ** -24;
export const SAFETY = 2;
export const TINY = 1e-30;
export const T_TRANSCENDENTAL = 64 * U;

/** Lipschitz constant L and the backend formula's own absolute error beyond L E + 4u|y| (see the header). */
type Activation = { L: number; extra: (x: number, y: number) => number };
const exact = (L: number): Activation => ({ L, extra: () => 0 });
const transcendental = (L: number): Activation => ({ L, extra: (_x, y) => T_TRANSCENDENTAL * (1 + Math.abs(y)) });
const ACTIVATION: Record<string, (attrs: Record<string, unknown>) => Activation> = {
  Relu: () => exact(1),
  LeakyRelu: (a) => exact(Math.max(1, Math.abs(Number(a.alpha ?? 0.01)))),
  Sigmoid: () => transcendental(0.25),
  Tanh: () => transcendental(1),
  Clip: () => exact(1),
  HardSigmoid: (a) => exact(Math.abs(Number(a.alpha ?? 0.2))),
  HardSwish: () => ({ L: 1.5, extra: (x) => 4 * U * Math.abs(x) }),
  ...SMOOTH_ACTIVATIONS,
};
const LAYOUT = new Set(['Identity', 'Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Transpose', 'Concat', 'MaxPool', 'Dropout', 'DepthToSpace', 'SpaceToDepth']);

export const f32 = (shape: readonly number[], data: ArrayLike<number>) => Tensor.fromArray('float32', shape, data);
export const abs = (t: Tensor) => f32(t.shape, Array.from(t.data as ArrayLike<number>, Math.abs));
const zerosLike = (t: Tensor) => Tensor.zeros('float32', t.shape);

/** The reference outputs and, for every value, its error bound (a float32 tensor of the value's shape). */
export function referenceWithBounds(graph: Graph, feeds: Record<string, Tensor>): { ref: Record<string, Tensor>; bounds: Map<string, Tensor> } {
  const values = new Map<string, Tensor>();
  for (const v of graph.initializers) if (v.const) values.set(v.name, v.const);
  for (const [k, t] of Object.entries(feeds)) values.set(k, t);
  const ref = runGraph(graph, feeds, { onValue: (name, t) => values.set(name, t) });
  const bounds = new Map<string, Tensor>();
  const E = (name: string) => bounds.get(name) ?? zerosLike(values.get(name)!);
  for (const node of graph.nodes) {
    const xs = node.inputs.map((v) => (v ? values.get(v.name)! : null));
    const es = node.inputs.map((v) => (v ? E(v.name) : null));
    const y = values.get(node.outputs[0]!.name)!;
    // Split's outputs are copies of slices: the same Split applied to the bound.
    if (node.op === 'Split') run(node, 'Split', [es[0]!, ...xs.slice(1)], undefined, true).forEach((e, k) => bounds.set(node.outputs[k]!.name, e));
    else bounds.set(node.outputs[0]!.name, nodeBound(node, xs, es, y));
  }
  return { ref, bounds };
}

export function run(node: Node, op: string, inputs: (Tensor | null)[], attrs?: Record<string, unknown>): Tensor;
export function run(node: Node, op: string, inputs: (Tensor | null)[], attrs: Record<string, unknown> | undefined, all: true): Tensor[];
export function run(node: Node, op: string, inputs: (Tensor | null)[], attrs?: Record<string, unknown>, all?: boolean): Tensor | Tensor[] {
  const def = findOp(op)!;
  const ctx: EvalContext = { node, attrs: (attrs ?? resolveAttrs(node, getOp(node))) as EvalContext['attrs'] };
  const out = def.evalRef(inputs, ctx);
  return all ? out as Tensor[] : out[0]!;
}

/** a + b elementwise (same shapes) with an optional extra term c * |y|. */
function combine(a: Tensor, b: Tensor | null, y: Tensor, c: number): Tensor {
  const out = new Float64Array(a.size);
  for (let i = 0; i < a.size; i++) out[i] = a.data[i]! + (b ? b.data[i]! : 0) + c * Math.abs(y.data[i]!);
  return f32(a.shape, out);
}

function contractionLength(node: Node, xs: (Tensor | null)[], attrs: Record<string, unknown>): number {
  const [x, w] = xs as [Tensor, Tensor];
  const kernel = w.shape.slice(2).reduce((a, b) => a * b, 1);
  switch (node.op) {
    case 'Conv': return w.shape[1]! * kernel;
    case 'ConvTranspose': return x.shape[1]! * kernel;
    case 'Gemm': return attrs.transA ? x.shape[0]! : x.shape[1]!;
    default: return x.shape[x.rank - 1]!;
  }
}

function nodeBound(node: Node, xs: (Tensor | null)[], es: (Tensor | null)[], y: Tensor): Tensor {
  const attrs = resolveAttrs(node, getOp(node)) as Record<string, unknown>;
  const op = node.domain ? `${node.domain}::${node.op}` : node.op;
  if (op === 'Conv' || op === 'ConvTranspose' || op === 'Gemm' || op === 'MatMul') {
    const a = op === 'Gemm' ? { ...attrs, alpha: Math.abs(Number(attrs.alpha ?? 1)), beta: Math.abs(Number(attrs.beta ?? 1)) } : attrs;
    const K = contractionLength(node, xs, attrs);
    const mag = run(node, node.op, xs.map((t) => (t ? abs(t) : null)), a);
    const prop = run(node, node.op, [es[0]!, abs(xs[1]!), ...es.slice(2)], a);
    // (|x| + E_x) carries the second-order term E_x E_W: both operands computed, both exactly 0, and the backend's product is nonzero.
    const weightErr = es[1]!.data.some((e) => e > 0) ? run(node, node.op, [plus(abs(xs[0]!), es[0]!), es[1]!, ...es.slice(2).map(() => null)], a) : null;
    const direct = combineScaled(prop, weightErr, mag, (K + 3) * U);
    // A 3x3 stride-1 or a stride-2 conv may run as Winograd on the js backend: its own rounding term on top (./winograd-bound.ts).
    const wino = op === 'Conv' ? winogradConvBound(attrs, xs[0]!, xs[1]!, y) : null;
    return wino ? combineScaled(direct, wino, direct, 0) : direct;
  }
  if (op === 'Add' || op === 'Sub') return combine(run(node, 'Add', [es[0]!, es[1]!], {}), null, y, U);
  if (op === 'Mul') {
    const t1 = run(node, 'Mul', [plus(abs(xs[0]!), es[0]!), es[1]!], {}), t2 = run(node, 'Mul', [es[0]!, abs(xs[1]!)], {});
    return combine(run(node, 'Add', [t1, t2], {}), null, y, U);
  }
  const act = ACTIVATION[op];
  if (act) {
    const { L, extra } = act(attrs);
    const x = xs[0]!, e = es[0]!;
    const out = new Float64Array(y.size);
    for (let i = 0; i < y.size; i++) out[i] = L * e.data[i]! + 4 * U * Math.abs(y.data[i]!) + extra(x.data[i]!, y.data[i]!);
    return f32(y.shape, out);
  }
  if (op === 'BatchNormalization') {
    const [x, scale, bias, mean, variance] = xs as Tensor[];
    const eps = Number(attrs.epsilon ?? 1e-5);
    const C = x.shape[1]!, inner = x.shape.slice(2).reduce((a, b) => a * b, 1);
    const out = new Float64Array(y.size);
    for (let i = 0; i < y.size; i++) {
      const c = Math.floor(i / inner) % C;
      const s = Math.abs(scale.data[c]!) / Math.sqrt(variance.data[c]! + eps);
      out[i] = s * es[0]!.data[i]! + 4 * U * (s * (Math.abs(x.data[i]!) + Math.abs(mean.data[c]!)) + Math.abs(bias.data[c]!) + Math.abs(y.data[i]!));
    }
    return f32(y.shape, out);
  }
  if (op === 'AveragePool' || op === 'GlobalAveragePool') {
    const x = xs[0]!;
    const K = op === 'GlobalAveragePool' ? x.shape.slice(2).reduce((a, b) => a * b, 1) : (attrs.kernel_shape as number[]).reduce((a, b) => a * b, 1);
    return combineScaled(run(node, node.op, [es[0]!]), null, run(node, node.op, [abs(x)]), (K + 1) * U);
  }
  if (op === 'Softmax' || op === 'LogSoftmax') return softmaxBound(op, xs[0]!, es[0]!, y, Number(attrs.axis ?? -1));
  if (op === 'ai.layerc::Attention') return attentionBound(node, xs, es, Number(attrs.scale ?? 1));
  const zoo = zooBound(node, op, attrs, xs, es, y);
  if (zoo) return zoo;
  if (LAYOUT.has(op)) return run(node, node.op, es.map((e, i) => (i === 0 || node.op === 'Concat' ? e : xs[i]!)));
  throw new Error(`error-bound: no rule for ${op} (node ${node.name})`);
}

/** ai.layerc::Attention as its MatMul -> Mul -> Add -> Softmax -> MatMul steps (header). */
function attentionBound(node: Node, xs: (Tensor | null)[], es: (Tensor | null)[], scale: number): Tensor {
  // Layout perms (q_perm, k_perm, v_perm: logical = Transpose(input, p); y_perm: output = Transpose(logical, p)) move values only.
  const perms = ['q_perm', 'k_perm', 'v_perm'].map((a) => node.attrs[a] as number[] | undefined), yPerm = node.attrs.y_perm as number[] | undefined;
  const laid = (x: Tensor | null, i: number) => (x && perms[i]?.length ? run(node, 'Transpose', [x], { perm: perms[i] }) : x);
  const [q, k, v, m] = xs.map(laid) as [Tensor, Tensor, Tensor, Tensor | null];
  const [eq, ek, ev, em] = es.map(laid) as [Tensor, Tensor, Tensor, Tensor | null];
  const r = q.rank, D = q.shape[r - 1]!, S = k.shape[r - 2]!;
  const perm = [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
  const t = (x: Tensor) => run(node, 'Transpose', [x], { perm });
  const mm = (a: Tensor, b: Tensor) => run(node, 'MatMul', [a, b], {});
  const times = (x: Tensor, c: number) => run(node, 'Mul', [x, Tensor.scalar('float32', c)], {});
  const add = (a: Tensor, b: Tensor | null) => (b ? run(node, 'Add', [a, b], {}) : a);
  const sc = Math.abs(scale), qa = abs(q), kta = abs(t(k));
  const z = add(times(mm(q, t(k)), scale), m);
  const ez = add(combineScaled(times(add(mm(eq, kta), mm(plus(qa, eq), abs(t(ek)))), sc), null, times(mm(qa, kta), sc), (D + 3) * U), em && m ? add(em, times(abs(m), U)) : null);
  const p = run(node, 'Softmax', [z], { axis: -1 });
  const ep = softmaxBound('Softmax', z, combine(ez, null, z, U), p, -1);
  const ey = combineScaled(add(mm(ep, abs(v)), mm(plus(p, ep), ev)), null, mm(p, abs(v)), (S + 3) * U);
  return yPerm?.length ? run(node, 'Transpose', [ey], { perm: yPerm }) : ey;
}

/** |x| + E elementwise: a factor's largest magnitude on a backend, for the second-order term of a product. */
export const plus = (a: Tensor, e: Tensor) => f32(a.shape, Array.from(a.data as ArrayLike<number>, (v, i) => v + e.data[i]!));

/** a + b + c * m elementwise. */
function combineScaled(a: Tensor, b: Tensor | null, m: Tensor, c: number): Tensor {
  const out = new Float64Array(a.size);
  for (let i = 0; i < a.size; i++) out[i] = a.data[i]! + (b ? b.data[i]! : 0) + c * m.data[i]!;
  return f32(a.shape, out);
}

function softmaxBound(op: string, x: Tensor, e: Tensor, y: Tensor, axis: number): Tensor {
  const ax = axis < 0 ? axis + x.rank : axis;
  const n = x.shape[ax]!, inner = x.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const outer = x.size / (n * inner);
  const out = new Float64Array(y.size);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const at = (i: number) => (o * n + i) * inner + j;
      let m = 0;
      for (let i = 0; i < n; i++) m = Math.max(m, e.data[at(i)]!);
      for (let i = 0; i < n; i++) {
        const yi = y.data[at(i)]!, own = (n + 34) * U;
        out[at(i)] = op === 'Softmax' ? Math.abs(yi) * (2 * m + own) : 2 * m + own * (1 + Math.abs(yi));
      }
    }
  }
  return f32(y.shape, out);
}
