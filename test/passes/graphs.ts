// Random graphs for the optimizer properties: a linear op (Conv with random groups/depthwise, kernel, stride,
// dilation, padding, bias or not; ConvTranspose with groups, optionally after a per-channel Mul/Div; Gemm with transA/transB/alpha/beta and every C
// broadcast; MatMul of rank 2 or 3 with a constant weight), optionally a BatchNormalization before a conv, Gemm or
// 2-D MatMul (a per-row Sub before a transA Gemm, Mul + Sub/Div on the last axis before a 3-D MatMul),
// then a random tail of BNs (random eps, tiny variances), activations, residual and bias Adds, per-channel
// Muls, Subs (x - c and c - x) and Divs (by constants away from 0), Identity/Dropout, and forks (an intermediate that is also a graph output). Structure comes from
// fast-check (so it shrinks), numbers from a seeded generator.
//
// Alongside the graph the builder tracks `errScale`, a bound used for the float32 tolerance: the largest
// sum of |terms| any value is computed from (fan-in x max|weight| x max|input| through every scale), times
// the Lipschitz constants of the ops after it. Folding re-associates float32 roundings, each <= u * errScale
// (u = 2^-24) at the point it happens, and later ops scale those errors by at most their Lipschitz constant.
import fc from 'fast-check';
import { expect } from 'vitest';
import { runGraph } from '../../src/ir/interpret.ts';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { verify } from '../../src/ir/verify.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { optimize } from '../../passes/index.ts';
import { formatReport, type PassReport } from '../../passes/pass.ts';
import '../../src/ops/index.ts';
import { lcg } from '../helpers/random.ts';

export const BASES = ['conv', 'convT', 'gemm', 'matmul'] as const;
export const STEPS = ['bn', 'bn', 'act', 'act', 'res', 'bias', 'mul', 'mulLast', 'scalar', 'sub', 'sub', 'div', 'div', 'fork', 'branch', 'identity', 'dropout'] as const;
export type Step = (typeof STEPS)[number];

export interface Case {
  base: (typeof BASES)[number];
  preBn: boolean;
  bn: boolean;
  tail: Step[];
  /** Weights (and BN parameters) given as graph inputs instead of constants now and then. */
  inputParams: boolean;
  symbolicBatch: boolean;
  seed: number;
}

export const caseArb: fc.Arbitrary<Case> = fc.record({
  base: fc.constantFrom(...BASES),
  preBn: fc.boolean(),
  bn: fc.constantFrom(true, true, true, false),
  tail: fc.array(fc.constantFrom(...STEPS), { maxLength: 5 }),
  inputParams: fc.constantFrom(false, false, false, true),
  symbolicBatch: fc.boolean(),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
});


export interface Built { graph: Graph; feeds: Record<string, Tensor>; errScale: number }

const ACTS: [string, number][] = [['Relu', 1], ['LeakyRelu', 1], ['Sigmoid', 1], ['Tanh', 1], ['HardSigmoid', 1], ['HardSwish', 1.5], ['Clip', 1], ['Relu6', 1]];

export function buildCase(c: Case): Built {
  const rnd = lcg(c.seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const uni = (lo: number, hi: number) => lo + (hi - lo) * rnd();
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  const g = new Graph('prop');
  const feeds: Record<string, Tensor> = {};
  const N = int(1, 2);
  const tensor = (shape: number[], lo: number, hi: number) => Tensor.fromArray('float32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => uni(lo, hi)));
  /** A parameter: a constant, or (inputParams, sometimes) a graph input fed with the same numbers. */
  const param = (name: string, t: Tensor): Value => {
    if (c.inputParams && rnd() < 0.5) { const v = g.addInput(g.uniqueName(name), { dtype: 'float32', shape: [...t.shape] }); feeds[v.name] = t; return v; }
    return g.addConst(name, t);
  };
  let batch = 0; // the value of the symbolic dim 'N' (the first dim of the first input)
  const input = (name: string, shape: number[]): Value => {
    batch ||= shape[0]!;
    const v = g.addInput(g.uniqueName(name), { dtype: 'float32', shape: c.symbolicBatch ? ['N', ...shape.slice(1)] : shape });
    feeds[v.name] = tensor(shape, -1, 1);
    return v;
  };
  /** A graph input of exactly x's (possibly symbolic) shape. */
  const like = (name: string, x: Value): Value => {
    const v = g.addInput(g.uniqueName(name), { dtype: 'float32', shape: [...shapeOf(x)] });
    feeds[v.name] = tensor(shapeOf(x).map((d) => (typeof d === 'number' ? d : batch)), -1, 1);
    return v;
  };
  const node = (op: string, inputs: (Value | null)[], attrs: Record<string, unknown> = {}): Value => {
    const n = g.addNode(op, inputs, attrs as never);
    inferShapes(g);
    return n.outputs[0]!;
  };
  const shapeOf = (v: Value) => v.type.shape!;
  let mag = 1, errScale = 1;
  const after = (newMag: number, lipschitz = 1) => { mag = newMag; errScale = Math.max(errScale * lipschitz, newMag); };
  const bn = (x: Value): Value => {
    const C = shapeOf(x)[1] as number;
    const eps = pick([1e-5, 1e-3, 0.1]);
    const variance = Tensor.fromArray('float32', [C], Array.from({ length: C }, () => (rnd() < 0.3 ? uni(1e-8, 1e-5) : uni(0.1, 2))));
    const gamma = tensor([C], -2, 2), beta = tensor([C], -1, 1), mean = tensor([C], -1, 1);
    let maxA = 0, maxS = 0;
    for (let i = 0; i < C; i++) {
      const a = Math.abs(gamma.data[i]!) / Math.sqrt(variance.data[i]! + eps);
      maxA = Math.max(maxA, a); maxS = Math.max(maxS, Math.abs(beta.data[i]!) + a * Math.abs(mean.data[i]!));
    }
    const y = node('BatchNormalization', [x, param('gamma', gamma), param('beta', beta), param('mean', mean), param('var', variance)], { epsilon: eps });
    after(maxA * mag + maxS, maxA);
    return y;
  };
  /** Per-channel constant shape for the current value: conv [C,1,1] or [1,C,1,1]; gemm/matmul [N]. */
  const channelShape = (x: Value): number[] => {
    const s = shapeOf(x);
    if (c.base === 'conv' || c.base === 'convT') { const C = s[1] as number; return rnd() < 0.5 ? [C, 1, 1] : [1, C, 1, 1]; }
    return [s[s.length - 1] as number];
  };

  /** x - c or c - x (c in [-1, 1] of `shape`). */
  const sub = (x: Value, shape: number[]): Value => {
    const k = g.addConst('sb', tensor(shape, -1, 1));
    const y = node('Sub', rnd() < 0.7 ? [x, k] : [k, x]);
    after(mag + 1);
    return y;
  };
  /** x / c with 0.5 <= |c| <= 2. */
  const div = (x: Value, shape: number[]): Value => {
    const t = tensor(shape, 0.5, 2);
    for (let i = 0; i < t.size; i++) if (rnd() < 0.5) t.data[i] = -t.data[i]!;
    const y = node('Div', [x, g.addConst('dv', t)]);
    after(2 * mag, 2);
    return y;
  };

  let x: Value;
  if (c.base === 'conv' || c.base === 'convT') {
    const group = c.base === 'conv' ? pick([1, 1, 2, 0]) : pick([1, 2]); // 0: depthwise
    const C = group === 0 ? int(1, 4) : group * int(1, 3);
    const G = group === 0 ? C : group;
    const k = [int(1, 3), int(1, 3)], s = [int(1, 2), int(1, 2)], d = [int(1, 2), int(1, 2)];
    const zeroPad = c.preBn && rnd() < 0.6;
    const pads = zeroPad ? [0, 0, 0, 0] : [int(0, k[0]! - 1), int(0, k[1]! - 1), int(0, k[0]! - 1), int(0, k[1]! - 1)];
    const ext = k.map((kk, i) => (kk - 1) * d[i]! + 1);
    x = input('x', [N, C, int(ext[0]!, ext[0]! + 3), int(ext[1]!, ext[1]! + 3)]);
    // before a ConvTranspose only a pure scale folds: half the time a per-channel Mul (sometimes then a Div)
    if (c.preBn && c.base === 'convT' && rnd() < 0.5) {
      x = node('Mul', [x, g.addConst('k', tensor(channelShape(x), -2, 2))]);
      after(2 * mag, 2);
      if (rnd() < 0.5) x = div(x, channelShape(x));
    } else if (c.preBn) x = bn(x);
    const Mg = int(1, 3), M = G * Mg;
    const wShape = c.base === 'conv' ? [M, C / G, ...k] : [C, Mg, ...k];
    const bias = rnd() < 0.5 ? param('b', tensor([M], -1, 1)) : null;
    const attrs: Record<string, unknown> = { group: G, kernel_shape: k, strides: s, dilations: d, pads };
    if (c.base === 'convT' && s[0]! > 1 && rnd() < 0.5) attrs.output_padding = [1, 0];
    x = node(c.base === 'conv' ? 'Conv' : 'ConvTranspose', [x, param('w', tensor(wShape, -1, 1)), bias], attrs);
    after((C / G) * k[0]! * k[1]! * mag + 1);
  } else if (c.base === 'gemm') {
    const M = int(1, 4), K = int(1, 6), Nn = int(1, 5);
    const transA = int(0, 1), transB = int(0, 1), alpha = pick([1, 0.5, -1.5]), beta = pick([1, 2, 0.5]);
    const cShape = pick([null, [Nn], [1, Nn], [M, Nn], [], [M, 1]]);
    let a = input('a', transA ? [K, M] : [M, K]);
    // channels of A are its columns when transA = 0 (foldable), rows otherwise (not); a per-row Sub ([K, 1]) folds either way
    if (c.preBn) a = transA && rnd() < 0.5 ? sub(a, [K, 1]) : bn(a);
    const b = param('B', tensor(transB ? [Nn, K] : [K, Nn], -1, 1));
    x = node('Gemm', [a, b, cShape ? param('C', tensor(cShape, -1, 1)) : null], { transA, transB, alpha, beta });
    after(Math.abs(alpha) * K * mag + Math.abs(beta));
  } else {
    const rank = pick([2, 3]), M = int(1, 4), K = int(1, 6), Nn = int(1, 5);
    let a = input('a', rank === 2 ? [M, K] : [N, M, K]);
    // A's last axis is the reduced one: a BN (axis 1) only lines up with it for 2-D A.
    if (c.preBn && rank === 2) a = bn(a);
    else if (c.preBn) {
      a = node('Mul', [a, g.addConst('k', tensor([K], -2, 2))]);
      after(2 * mag, 2);
      a = (rnd() < 0.5 ? div : sub)(a, [K]);
    }
    x = node('MatMul', [a, param('B', tensor([K, Nn], -1, 1))]);
    after(K * mag);
  }
  if (c.bn) x = bn(x);
  for (const step of c.tail) {
    switch (step) {
      case 'bn': x = bn(x); break;
      case 'act': {
        const [name, lip] = pick(ACTS);
        if (name === 'Clip' || name === 'Relu6') {
          const [lo, hi] = name === 'Relu6' ? [0, 6] : [uni(-1, 0), uni(0, 1)];
          x = node('Clip', [x, g.addConst('lo', Tensor.scalar('float32', lo)), g.addConst('hi', Tensor.scalar('float32', hi))]);
          after(Math.min(mag, Math.max(Math.abs(lo), Math.abs(hi))), 1);
        } else {
          const alpha = name === 'LeakyRelu' ? uni(0.01, 0.5) : name === 'HardSigmoid' ? uni(0.1, 0.5) : undefined;
          x = node(name, [x], alpha === undefined ? {} : { alpha });
          after(name === 'Sigmoid' || name === 'Tanh' || name === 'HardSigmoid' ? Math.min(1, mag) : Math.max(mag, 0.375), lip);
        }
        break;
      }
      case 'res': { x = node('Add', [x, like('r', x)]); after(mag + 1); break; }
      case 'bias': { x = node('Add', rnd() < 0.5 ? [x, g.addConst('bias', tensor(channelShape(x), -1, 1))] : [g.addConst('bias', tensor(channelShape(x), -1, 1)), x]); after(mag + 1); break; }
      case 'mul': { x = node('Mul', [x, g.addConst('k', tensor(channelShape(x), -2, 2))]); after(2 * mag, 2); break; }
      case 'mulLast': { // broadcasts on the LAST axis: per channel only for Gemm/MatMul
        const s = shapeOf(x);
        x = node('Mul', [x, g.addConst('kl', tensor([s[s.length - 1] as number], -2, 2))]); after(2 * mag, 2); break;
      }
      case 'scalar': x = node(rnd() < 0.5 ? 'Mul' : 'Add', [x, g.addConst('sc', tensor(rnd() < 0.5 ? [] : [1], -2, 2))]); after(2 * mag + 2, 2); break;
      case 'sub': x = sub(x, channelShape(x)); break;
      case 'div': x = div(x, channelShape(x)); break;
      case 'fork': g.outputs.push(x); break; // the value is also a graph output
      case 'branch': g.outputs.push(node('Sigmoid', [x])); break; // the value gets a second consumer
      case 'identity': x = node('Identity', [x]); break;
      case 'dropout': x = node('Dropout', [x, g.addConst('ratio', Tensor.scalar('float32', 0.3))]); break;
    }
  }
  if (!g.outputs.includes(x)) g.outputs.push(x);
  return { graph: g, feeds, errScale };
}

// ---- helpers for the before/expected tests ----

/** A small graph builder: inputs, seeded constants, nodes with shapes inferred as they are added. */
export function builder(seed = 1) {
  const g = new Graph('t');
  const rnd = lcg(seed);
  const feeds: Record<string, Tensor> = {};
  const rand = (shape: number[], lo = -1, hi = 1) => Tensor.fromArray('float32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * rnd()));
  return {
    g, feeds, rand,
    input(name: string, shape: (number | string)[], concrete?: number[]) {
      const v = g.addInput(name, { dtype: 'float32', shape });
      feeds[name] = rand(concrete ?? (shape as number[]));
      return v;
    },
    konst: (name: string, shape: number[], lo = -1, hi = 1) => g.addConst(name, rand(shape, lo, hi)),
    scalar: (name: string, x: number) => g.addConst(name, Tensor.scalar('float32', x)),
    /** BN parameters for C channels: gamma, beta, mean, var (var > 0). */
    bnParams(C: number, asInputs = false): Value[] {
      const ts = [rand([C], -2, 2), rand([C], -1, 1), rand([C], -1, 1), rand([C], 0.05, 2)];
      return ts.map((t, i) => {
        const name = g.uniqueName(['gamma', 'beta', 'mean', 'var'][i]!);
        if (!asInputs) return g.addConst(name, t);
        feeds[name] = t;
        return g.addInput(name, { dtype: 'float32', shape: [C] });
      });
    },
    node(op: string, inputs: (Value | null)[], attrs: Record<string, unknown> = {}, opts: { name?: string; domain?: string } = {}): Value {
      const n = g.addNode(op, inputs, attrs as never, opts);
      inferShapes(g);
      return n.outputs[0]!;
    },
    out(...vs: Value[]) { g.outputs.push(...vs); return g; },
  };
}

/** Op names in graph order ('ai.layerc::Fused' for layerc ops). */
export const opList = (g: Graph): string[] => g.nodes.map((n) => (n.domain ? `${n.domain}::${n.op}` : n.op));


/** Runs `passes` on a copy of g (g is left as it was), verifies the result, returns it with the report text. */
export function optimizeCopy(g: Graph, passes: string[], options?: Record<string, Record<string, number | boolean | string>>): { after: Graph; reports: PassReport[]; report: string } {
  const after = cloneGraph(g);
  const { reports } = optimize(after, { passes, options });
  verify(after);
  return { after, reports, report: formatReport(reports) };
}

/** onnxruntime-node's outputs for a serialized model (graph optimizations off: ORT must not hide our mistakes). */
export async function runOrtBytes(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
  const res = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor('float32', t.data as Float32Array, [...t.shape])])));
  const out: Record<string, Tensor> = {};
  for (const name of session.outputNames) out[name] = Tensor.fromArray('float32', res[name]!.dims as number[], res[name]!.data as Float32Array);
  await session.release();
  return out;
}

// ---- the equivalence check shared by the properties and the regressions ----

const U = 2 ** -24;

/** The largest |opt - ref| / tolerance over every output (<= 1 passes; tolerance in test/passes/props.test.ts). */
export function worstRatio(ref: Record<string, Tensor>, opt: Record<string, Tensor>, errScale: number): number {
  let worst = 0;
  for (const [name, r] of Object.entries(ref)) {
    const o = opt[name];
    if (!o) throw new Error(`output ${name} missing after optimization (have ${Object.keys(opt)})`);
    if (o.shape.join() !== r.shape.join()) throw new Error(`output ${name}: shape [${o.shape}] != [${r.shape}]`);
    for (let i = 0; i < r.size; i++) {
      const d = Math.abs(o.data[i]! - r.data[i]!);
      if (Number.isNaN(d)) throw new Error(`output ${name}[${i}]: NaN (${o.data[i]} vs ${r.data[i]})`);
      worst = Math.max(worst, d / (8 * U * errScale + 8 * U * Math.abs(r.data[i]!)));
    }
  }
  return worst;
}

/** Every rewrite count seen by checkEquivalent in this test file (so a property cannot pass on untouched graphs). */
export const rewritesSeen: Record<string, number> = {};

/** Builds the case, optimizes a copy, checks verify(), output names and equivalence; returns the worst ratio. */
export function checkEquivalent(c: Case, passes: { passes?: string[]; level?: 0 | 1 | 2 }): { g: Graph; ratio: number } {
  const { graph, feeds, errScale } = buildCase(c);
  const ref = runGraph(graph, feeds);
  const names = graph.outputs.map((o) => o.name);
  const g = cloneGraph(graph);
  for (const r of optimize(g, passes).reports) for (const [k, n] of Object.entries(r.changes)) rewritesSeen[k] = (rewritesSeen[k] ?? 0) + n;
  verify(g);
  expect(g.outputs.map((o) => o.name)).toEqual(names);
  const ratio = worstRatio(ref, runGraph(g, feeds), errScale);
  expect(ratio).toBeLessThanOrEqual(1);
  return { g, ratio };
}

