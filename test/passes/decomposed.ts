// Random decomposed LayerNorm and GELU subgraphs for recompose-ops (test/passes/recompose-props.test.ts), in
// every form the exporters write, and the near misses that must NOT fuse. Structure (shape, axes, operand
// orders, variants) comes from fast-check so counterexamples shrink; numbers from a seeded generator.
//
// Each case also gives the per-element error bound of the float32 decomposition against the exact op (the
// reference interpreter computes LayerNormalization and Gelu in float64 and rounds once; the decomposed graph
// rounds after every op), u = 2^-24:
//   LayerNorm: d = x - mean carries u * 2 max|x| of the row, divided by std = sqrt(var + eps), then scaled:
//              |err| <= 16 u (2 max|x| / std + 1) |w| + 16 u (|y| + |b|)
//   GELU erf:  the rounding of x / sqrt 2 moves erf by at most 1.13 u |x|, times 0.5 |x|; the other ops round
//              values of size <= |x| + 1:   |err| <= 16 u (|x| + 1)^2
//   GELU tanh: the inner sum x + 0.044715 x^3 carries u (|x| + 0.044715 |x|^3) a few times, tanh' <= 1, times
//              0.5 |x|:   |err| <= 16 u (|x| + 1) (|x| + 0.044715 |x|^3 + 1)
// A wrong fusion (another epsilon, a lost bias, the wrong axes or GELU form) is off by far more.
import fc from 'fast-check';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import '../../src/ops/index.ts';
import { lcg } from '../helpers/random.ts';

const U = 2 ** -24;

export const LN_MISSES = ['nonTrailing', 'unbiased', 'secondConsumer', 'epsInput', 'mismatchedAxes', 'keepdims0'] as const;
export interface LnCase {
  dims: number[];
  /** How many trailing axes are normalized. */
  k: number;
  eps: number;
  square: 'pow' | 'mul';
  norm: 'div' | 'recip';
  scale: 'none' | 'full' | 'broadcast' | 'scalar';
  bias: 'none' | 'full' | 'broadcast' | 'scalar';
  /** Operand orders: eps first, scale first, bias first, Mul(recip, d). */
  swaps: [boolean, boolean, boolean, boolean];
  negativeAxes: boolean;
  /** A near miss that must not fuse, or null. */
  miss: (typeof LN_MISSES)[number] | null;
  offset: number;
  seed: number;
}

export const lnCaseArb = (misses: boolean): fc.Arbitrary<LnCase> => fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }).chain((dims) => fc.record({
  dims: fc.constant(dims),
  k: fc.integer({ min: 1, max: dims.length }),
  eps: fc.constantFrom(1e-5, 1e-6, 1e-12, 1e-3, 0.1),
  square: fc.constantFrom('pow' as const, 'mul' as const),
  norm: fc.constantFrom('div' as const, 'recip' as const),
  scale: fc.constantFrom('none' as const, 'full' as const, 'broadcast' as const, 'scalar' as const),
  bias: fc.constantFrom('none' as const, 'full' as const, 'broadcast' as const, 'scalar' as const),
  swaps: fc.tuple(fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean()),
  negativeAxes: fc.boolean(),
  miss: misses ? fc.constantFrom(...LN_MISSES) : fc.constant(null),
  offset: fc.constantFrom(0, 0, 3, -20),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
}));

export interface Built {
  g: Graph;
  feeds: Record<string, Tensor>;
  bound(i: number, ref: number): number;
  /** For a near-miss case: whether the miss applies to this shape (nonTrailing needs rank >= 2, ...). */
  missApplies: boolean;
}

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** The decomposed LayerNorm of case `c` as torch/TF write it (or its near miss). */
export function buildLayerNorm(c: LnCase): Built {
  const rnd = lcg(c.seed), g = new Graph('ln');
  const r = c.dims.length;
  const rand = (shape: number[], lo: number, hi: number) => Tensor.fromArray('float32', shape, Array.from({ length: prod(shape) }, () => lo + (hi - lo) * rnd()));
  const X = rand(c.dims, c.offset - 1, c.offset + 1);
  const x = g.addInput('x', { dtype: 'float32', shape: [...c.dims] });
  const feeds: Record<string, Tensor> = { x: X };
  const i64 = (name: string, v: number[]) => g.addConst(name, Tensor.fromArray('int64', [v.length], v));
  let axes = Array.from({ length: c.k }, (_, i) => r - c.k + i);
  if (c.miss === 'nonTrailing') axes = r >= 2 ? [0] : axes;
  const ax = (list: number[]) => i64('axes', c.negativeAxes ? list.map((a) => a - r) : list);
  const op = (o: string, ins: Value[], attrs = {}) => g.addNode(o, ins, attrs).outputs[0]!;
  const keep = c.miss === 'keepdims0' && c.k === r ? { keepdims: 0 } : {};
  const mean = op('ReduceMean', [x, ax(axes)], keep);
  const d = op('Sub', [x, mean]);
  const sq = c.square === 'pow' ? op('Pow', [d, g.addConst('two', Tensor.scalar('float32', 2))]) : op('Mul', [d, d]);
  const n = prod(axes.map((a) => c.dims[a]!));
  const variance = c.miss === 'unbiased'
    ? op('Div', [op('ReduceSum', [sq, ax(axes)]), g.addConst('n1', Tensor.scalar('float32', Math.max(1, n - 1)))])
    : op('ReduceMean', [sq, ax(c.miss === 'mismatchedAxes' && c.k >= 2 ? axes.slice(1) : axes)]);
  let eps: Value;
  if (c.miss === 'epsInput') { eps = g.addInput('eps', { dtype: 'float32', shape: [] }); feeds.eps = Tensor.scalar('float32', c.eps); } else eps = g.addConst('eps', Tensor.scalar('float32', c.eps));
  const std = op('Sqrt', [op('Add', c.swaps[0] ? [eps, variance] : [variance, eps])]);
  let y = c.norm === 'div' ? op('Div', [d, std]) : ((rc) => op('Mul', c.swaps[3] ? [rc, d] : [d, rc]))(op('Reciprocal', [std]));
  const norm = c.dims.slice(r - c.k);
  const paramShape = (kind: string) => (kind === 'full' ? norm : kind === 'broadcast' ? [...(c.k < r ? [1] : []), ...norm.map((v, i) => (i === norm.length - 1 ? v : 1))] : [1]);
  let wMax = 1, bMax = 0;
  if (c.scale !== 'none') {
    const w = rand(paramShape(c.scale), -2, 2);
    wMax = Math.max(...Array.from(w.data, Math.abs));
    const wv = g.addConst('w', w);
    y = op('Mul', c.swaps[1] ? [wv, y] : [y, wv]);
  }
  if (c.bias !== 'none') {
    const b = rand(paramShape(c.bias), -1, 1);
    bMax = Math.max(...Array.from(b.data, Math.abs));
    const bv = g.addConst('b', b);
    y = op('Add', c.swaps[2] ? [bv, y] : [y, bv]);
  }
  g.outputs = [y];
  if (c.miss === 'secondConsumer') g.outputs.push([mean, d, std][c.seed % 3]!);
  inferShapes(g);
  // Per-row 2 max|x| / std for the bound (rows: the trailing k axes, contiguous).
  const len = prod(norm), rows = X.size / len, ratio = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    let s = 0, m = 0, v = 0;
    for (let i = 0; i < len; i++) { const xi = X.data[row * len + i]!; s += xi; m = Math.max(m, Math.abs(xi)); }
    const mu = s / len;
    for (let i = 0; i < len; i++) v += (X.data[row * len + i]! - mu) ** 2;
    ratio[row] = (2 * m) / Math.sqrt(v / len + c.eps);
  }
  const missApplies = c.miss === 'nonTrailing' ? r >= 2 : c.miss === 'mismatchedAxes' ? c.k >= 2 : c.miss === 'keepdims0' ? c.k === r : c.miss !== null;
  return { g, feeds, missApplies, bound: (i, ref) => 16 * U * (ratio[Math.floor(i / len)]! + 1) * wMax + 16 * U * (Math.abs(ref) + bMax) };
}

export const GELU_MISSES = ['half04', 'sqrt2Wrong', 'kappaWrong', 'one2', 'secondConsumer', 'otherX'] as const;
export interface GeluCase {
  form: 'erf' | 'tanh';
  dims: number[];
  /** erf: x / sqrt2, x * (1/sqrt2), (1/sqrt2) * x. */
  scale: 'div' | 'mul' | 'mulRev';
  /** tanh: x^3 as x*(x*x), (x*x)*x, Pow(x, 3). */
  cube: 'x*xx' | 'xx*x' | 'pow';
  /** torch: (x*p)*0.5; half: (x*0.5)*p; cdf: x*(p*0.5). */
  outer: 'torch' | 'half' | 'cdf';
  /** Operand orders of: 1 + f, the inner Mul, the outer Mul, the constant Muls of the tanh form, Add(x, c3). */
  swaps: [boolean, boolean, boolean, boolean, boolean];
  miss: (typeof GELU_MISSES)[number] | null;
  seed: number;
}

export const geluCaseArb = (misses: boolean): fc.Arbitrary<GeluCase> => fc.record({
  form: fc.constantFrom('erf' as const, 'tanh' as const),
  dims: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
  scale: fc.constantFrom('div' as const, 'mul' as const, 'mulRev' as const),
  cube: fc.constantFrom('x*xx' as const, 'xx*x' as const, 'pow' as const),
  outer: fc.constantFrom('torch' as const, 'half' as const, 'cdf' as const),
  swaps: fc.tuple(fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean()),
  miss: misses ? fc.constantFrom(...GELU_MISSES) : fc.constant(null),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
});

/** The GELU of case `c` written out with Erf or Tanh (or its near miss). */
export function buildGelu(c: GeluCase): Built {
  const rnd = lcg(c.seed), g = new Graph('gelu');
  const X = Tensor.fromArray('float32', c.dims, Array.from({ length: prod(c.dims) }, () => 12 * rnd() - 6));
  const x = g.addInput('x', { dtype: 'float32', shape: [...c.dims] });
  const feeds: Record<string, Tensor> = { x: X };
  const k = (v: number) => g.addConst('k', Tensor.scalar('float32', v));
  const op = (o: string, ins: Value[]) => g.addNode(o, ins).outputs[0]!;
  const mul = (a: Value, b: Value, swap: boolean) => op('Mul', swap ? [b, a] : [a, b]);
  let f: Value;
  if (c.form === 'erf') {
    const s = c.miss === 'sqrt2Wrong' ? 1.5 : Math.SQRT2;
    const t = c.scale === 'div' ? op('Div', [x, k(s)]) : mul(x, k(1 / s), c.scale === 'mulRev');
    f = op('Erf', [t]);
  } else {
    const cube = c.cube === 'pow' ? op('Pow', [x, k(3)]) : c.cube === 'x*xx' ? op('Mul', [x, op('Mul', [x, x])]) : op('Mul', [op('Mul', [x, x]), x]);
    const c3 = mul(k(c.miss === 'kappaWrong' ? 0.05 : 0.044715), cube, c.swaps[3]);
    const sum = op('Add', c.swaps[4] ? [c3, x] : [x, c3]);
    f = op('Tanh', [mul(k(Math.sqrt(2 / Math.PI)), sum, c.swaps[3])]);
  }
  const p = op('Add', c.swaps[0] ? [k(c.miss === 'one2' ? 2 : 1), f] : [f, k(c.miss === 'one2' ? 2 : 1)]);
  const half = k(c.miss === 'half04' ? 0.4 : 0.5);
  let xo = x;
  if (c.miss === 'otherX') { xo = g.addInput('x2', { dtype: 'float32', shape: [...c.dims] }); feeds.x2 = Tensor.fromArray('float32', c.dims, Array.from(X.data, (v) => v + 1)); }
  const y = c.outer === 'torch' ? mul(mul(xo, p, c.swaps[1]), half, c.swaps[2])
    : c.outer === 'half' ? mul(mul(xo, half, c.swaps[1]), p, c.swaps[2])
      : mul(mul(p, half, c.swaps[1]), xo, c.swaps[2]);
  g.outputs = [y];
  if (c.miss === 'secondConsumer') g.outputs.push(c.seed % 2 ? f : p);
  inferShapes(g);
  const bound = (i: number) => {
    const a = Math.abs(X.data[i]!);
    return c.form === 'erf' ? 16 * U * (a + 1) ** 2 : 16 * U * (a + 1) * (a + 0.044715 * a ** 3 + 1);
  };
  return { g, feeds, bound, missApplies: c.miss === 'kappaWrong' ? c.form === 'tanh' : c.miss === 'sqrt2Wrong' ? c.form === 'erf' : c.miss !== null };
}
