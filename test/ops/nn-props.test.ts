// Algebraic properties of the network ops' reference semantics (fast-check, seeded). Each property checks
// one op against a DIFFERENT computation of the same thing: grouped conv as per-group convs, dilation as a
// zero-stuffed kernel, ConvTranspose as Conv's adjoint, BatchNormalization against its formula written out,
// MatMul against Gemm, padded pools against Pad + an unpadded pool.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Tensor } from '../../src/index.ts';
import type { AttrValue } from '../../src/ir/graph.ts';
import { batchNormAffine } from '../../src/ops/normalization.ts';
import { runRef, type NodeCase } from '../helpers/single-node.ts';
import { randomTensorOf, rng } from '../helpers/random.ts';

const PARAMS = { seed: 7, numRuns: 40 };
const run = (c: NodeCase) => runRef(c).outputs[0];

function expectClose(a: Tensor, b: Tensor, tol = 1e-5): void {
  expect(a.shape).toEqual(b.shape);
  for (let i = 0; i < a.size; i++) {
    if (a.data[i] === b.data[i]) continue; // includes equal infinities (windows that only cover padding)
    if (!(Math.abs(a.data[i] - b.data[i]) <= tol * (1 + Math.abs(b.data[i])))) {
      throw new Error(`element ${i}: ${a.data[i]} vs ${b.data[i]}`);
    }
  }
}

/** Channels [start, start + count) of an [N, C, ...] tensor (or rows of W). */
function sliceAxis1(t: Tensor, start: number, count: number): Tensor {
  const [N, C] = t.shape, inner = t.size / (N * C);
  const out = Tensor.zeros(t.dtype, [N, count, ...t.shape.slice(2)]);
  for (let n = 0; n < N; n++) out.data.set(t.data.subarray((n * C + start) * inner, (n * C + start + count) * inner), n * count * inner);
  return out;
}
const sliceAxis0 = (t: Tensor, start: number, count: number) => sliceAxis1(t.reshape([1, ...t.shape]), start, count).reshape([count, ...t.shape.slice(1)]);

function concatAxis1(ts: Tensor[]): Tensor {
  const [N] = ts[0].shape, inner = ts[0].size / (N * ts[0].shape[1]);
  const C = ts.reduce((s, t) => s + t.shape[1], 0);
  const out = Tensor.zeros(ts[0].dtype, [N, C, ...ts[0].shape.slice(2)]);
  let c0 = 0;
  for (const t of ts) {
    const Ct = t.shape[1];
    for (let n = 0; n < N; n++) out.data.set(t.data.subarray(n * Ct * inner, (n + 1) * Ct * inner), (n * C + c0) * inner);
    c0 += Ct;
  }
  return out;
}

function dot(a: Tensor, b: Tensor): number {
  let s = 0;
  for (let i = 0; i < a.size; i++) s += a.data[i] * b.data[i];
  return s;
}

/** 2-D window parameters and a conv whose window fits. */
const conv2dCase = fc.record({
  N: fc.integer({ min: 1, max: 2 }), group: fc.integer({ min: 1, max: 3 }),
  cg: fc.integer({ min: 1, max: 3 }), mg: fc.integer({ min: 1, max: 3 }),
  k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  d: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  pads: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
  hw: fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 })),
  seed: fc.integer(),
}).map((p) => ({ ...p, hw: p.hw.map((v, i) => Math.max(v, (p.k[i] - 1) * p.d[i] + 1)) }));

describe('Conv properties', () => {
  it('a grouped Conv equals per-group Convs concatenated along channels', () => {
    fc.assert(fc.property(conv2dCase, fc.boolean(), (p, bias) => {
      const r = rng(p.seed);
      const C = p.cg * p.group, M = p.mg * p.group;
      const x = randomTensorOf('float32', [p.N, C, ...p.hw], r);
      const w = randomTensorOf('float32', [M, p.cg, ...p.k], r);
      const b = bias ? randomTensorOf('float32', [M], r) : null;
      const attrs = { strides: p.s, dilations: p.d, pads: p.pads };
      const whole = run({ op: 'Conv', inputs: b ? [x, w, b] : [x, w], attrs: { ...attrs, group: p.group } });
      const parts = Array.from({ length: p.group }, (_, g) => {
        const wg = sliceAxis0(w, g * p.mg, p.mg);
        const bg = b ? sliceAxis0(b, g * p.mg, p.mg) : null;
        return run({ op: 'Conv', inputs: bg ? [sliceAxis1(x, g * p.cg, p.cg), wg, bg] : [sliceAxis1(x, g * p.cg, p.cg), wg], attrs });
      });
      expectClose(whole, concatAxis1(parts));
    }), PARAMS);
  });

  it('a dilated Conv equals a Conv with the zero-stuffed kernel', () => {
    fc.assert(fc.property(conv2dCase, (p) => {
      const r = rng(p.seed);
      const C = p.cg * p.group, M = p.mg * p.group;
      const x = randomTensorOf('float32', [p.N, C, ...p.hw], r);
      const w = randomTensorOf('float32', [M, p.cg, ...p.k], r);
      const [kh, kw] = p.k, [dh, dw] = p.d;
      const eh = (kh - 1) * dh + 1, ew = (kw - 1) * dw + 1;
      const stuffed = Tensor.zeros('float32', [M, p.cg, eh, ew]);
      for (let o = 0; o < M * p.cg; o++) {
        for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) stuffed.data[(o * eh + i * dh) * ew + j * dw] = w.data[(o * kh + i) * kw + j];
      }
      const attrs = { strides: p.s, pads: p.pads, group: p.group };
      expectClose(run({ op: 'Conv', inputs: [x, w], attrs: { ...attrs, dilations: p.d } }), run({ op: 'Conv', inputs: [x, stuffed], attrs }));
    }), PARAMS);
  });

  it('ConvTranspose is the adjoint of Conv: <Conv(x), y> = <x, ConvTranspose(y)>', () => {
    fc.assert(fc.property(conv2dCase, (p) => {
      const r = rng(p.seed);
      const C = p.cg * p.group, M = p.mg * p.group;
      const x = randomTensorOf('float32', [p.N, C, ...p.hw], r);
      const w = randomTensorOf('float32', [M, p.cg, ...p.k], r);
      const attrs = { strides: p.s, dilations: p.d, pads: p.pads, group: p.group };
      const cx = run({ op: 'Conv', inputs: [x, w], attrs });
      const y = randomTensorOf('float32', [...cx.shape], r);
      // Cells the last Conv window never reaches come back as output_padding, so the shapes line up.
      const outputPadding = [0, 1].map((i) => (p.hw[i] + p.pads[i] + p.pads[i + 2] - ((p.k[i] - 1) * p.d[i] + 1)) % p.s[i]);
      const ty = run({ op: 'ConvTranspose', inputs: [y, w], attrs: { ...attrs, output_padding: outputPadding } });
      expect(ty.shape).toEqual(x.shape);
      const lhs = dot(cx, y), rhs = dot(x, ty);
      expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(lhs)));
    }), PARAMS);
  });
});

describe('BatchNormalization properties', () => {
  const bnCase = fc.record({
    shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 5 }),
    epsilon: fc.constantFrom(1e-5, 1e-3, 0.1), seed: fc.integer(),
  });
  const params = (C: number, r: () => number) => {
    const v = randomTensorOf('float32', [C], r, 2);
    for (let i = 0; i < C; i++) v.data[i] = Math.abs(v.data[i]) + 0.05;
    return [randomTensorOf('float32', [C], r), randomTensorOf('float32', [C], r), randomTensorOf('float32', [C], r), v];
  };

  it('inference equals scale * (x - mean) / sqrt(var + eps) + B per channel, and the affine helper agrees', () => {
    fc.assert(fc.property(bnCase, (p) => {
      const r = rng(p.seed);
      const C = p.shape[1];
      const x = randomTensorOf('float32', p.shape, r, 3);
      const [scale, bias, mean, vr] = params(C, r);
      const y = run({ op: 'BatchNormalization', inputs: [x, scale, bias, mean, vr], attrs: { epsilon: p.epsilon } });
      const inner = p.shape.slice(2).reduce((a, b) => a * b, 1);
      const { a, b } = batchNormAffine(scale.data, bias.data, mean.data, vr.data, p.epsilon);
      for (let i = 0; i < x.size; i++) {
        const c = Math.floor(i / inner) % C;
        const expected = (scale.data[c] * (x.data[i] - mean.data[c])) / Math.sqrt(vr.data[c] + p.epsilon) + bias.data[c];
        expect(Math.abs(y.data[i] - expected)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(expected)));
        expect(Math.abs(a[c] * x.data[i] + b[c] - expected)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(expected)));
      }
    }), PARAMS);
  });

  it('training mode equals inference mode fed the batch statistics (population variance)', () => {
    fc.assert(fc.property(bnCase, fc.constantFrom(0.9, 0.1), (p, momentum) => {
      const r = rng(p.seed);
      const C = p.shape[1];
      const x = randomTensorOf('float32', p.shape, r, 3);
      const [scale, bias, mean, vr] = params(C, r);
      const [y, rm, rv] = runRef({ op: 'BatchNormalization', inputs: [x, scale, bias, mean, vr], attrs: { epsilon: p.epsilon, momentum, training_mode: 1 }, numOutputs: 3 }).outputs;
      // Batch statistics by a one-pass sum / sum of squares per channel.
      const inner = p.shape.slice(2).reduce((a, b) => a * b, 1), count = x.size / C;
      const s1 = new Float64Array(C), s2 = new Float64Array(C);
      for (let i = 0; i < x.size; i++) { const c = Math.floor(i / inner) % C; s1[c] += x.data[i]; s2[c] += x.data[i] ** 2; }
      const bm = Tensor.fromArray('float32', [C], Array.from(s1, (s) => s / count));
      const bv = Tensor.fromArray('float32', [C], Array.from(s2, (s, c) => Math.max(0, s / count - (s1[c] / count) ** 2)));
      const yInf = run({ op: 'BatchNormalization', inputs: [x, scale, bias, bm, bv], attrs: { epsilon: p.epsilon } });
      expectClose(y, yInf, 2e-3);
      for (let c = 0; c < C; c++) {
        expect(rm.data[c]).toBeCloseTo(mean.data[c] * momentum + bm.data[c] * (1 - momentum), 4);
        expect(rv.data[c]).toBeCloseTo(vr.data[c] * momentum + bv.data[c] * (1 - momentum), 4);
      }
    }), PARAMS);
  });
});

describe('MatMul, Gemm, pools, softmax properties', () => {
  it('Gemm(A, B, C; alpha, beta, transA, transB) = alpha * MatMul(op(A), op(B)) + beta * C', () => {
    const transpose = (t: Tensor) => {
      const [r, c] = t.shape;
      const out = Tensor.zeros(t.dtype, [c, r]);
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out.data[j * r + i] = t.data[i * c + j];
      return out;
    };
    const arb = fc.record({
      M: fc.integer({ min: 1, max: 6 }), K: fc.integer({ min: 1, max: 6 }), N: fc.integer({ min: 1, max: 6 }),
      tA: fc.boolean(), tB: fc.boolean(), alpha: fc.double({ min: -2, max: 2, noNaN: true }), beta: fc.double({ min: -2, max: 2, noNaN: true }), seed: fc.integer(),
    });
    fc.assert(fc.property(arb, (p) => {
      const r = rng(p.seed);
      const a = randomTensorOf('float32', [p.M, p.K], r), b = randomTensorOf('float32', [p.K, p.N], r), c = randomTensorOf('float32', [p.N], r);
      const g = run({ op: 'Gemm', inputs: [p.tA ? transpose(a) : a, p.tB ? transpose(b) : b, c], attrs: { transA: +p.tA, transB: +p.tB, alpha: p.alpha, beta: p.beta } });
      const m = run({ op: 'MatMul', inputs: [a, b] });
      const expected = Tensor.fromArray('float32', [p.M, p.N], Array.from(m.data, (v, i) => p.alpha * v + p.beta * c.data[i % p.N]));
      expectClose(g, expected, 1e-5);
    }), PARAMS);
  });

  it('a batched MatMul equals one MatMul per batch entry', () => {
    const arb = fc.record({ B: fc.integer({ min: 1, max: 4 }), M: fc.integer({ min: 1, max: 4 }), K: fc.integer({ min: 1, max: 4 }), N: fc.integer({ min: 1, max: 4 }), seed: fc.integer() });
    fc.assert(fc.property(arb, (p) => {
      const r = rng(p.seed);
      const a = randomTensorOf('float32', [p.B, p.M, p.K], r), b = randomTensorOf('float32', [p.K, p.N], r);
      const whole = run({ op: 'MatMul', inputs: [a, b] });
      for (let i = 0; i < p.B; i++) {
        const ai = new Tensor('float32', [p.M, p.K], a.data.slice(i * p.M * p.K, (i + 1) * p.M * p.K));
        const part = run({ op: 'MatMul', inputs: [ai, b] });
        expect(Array.from(whole.data.subarray(i * p.M * p.N, (i + 1) * p.M * p.N))).toEqual(Array.from(part.data));
      }
    }), PARAMS);
  });

  const padPoolCase = fc.record({
    k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    pads: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
    hw: fc.tuple(fc.integer({ min: 3, max: 7 }), fc.integer({ min: 3, max: 7 })), seed: fc.integer(),
  });
  const padInput = (x: Tensor, pads: number[], value: number) => run({
    op: 'Pad', inputs: [x, Tensor.fromArray('int64', [8], [0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]]), Tensor.scalar('float32', value)], constInputs: [1],
  });

  it('AveragePool with count_include_pad=1 equals Pad(0) + AveragePool without pads', () => {
    fc.assert(fc.property(padPoolCase, (p) => {
      const x = randomTensorOf('float32', [1, 2, ...p.hw], rng(p.seed));
      const attrs: Record<string, AttrValue> = { kernel_shape: p.k, strides: p.s };
      const padded = run({ op: 'AveragePool', inputs: [x], attrs: { ...attrs, pads: p.pads, count_include_pad: 1 } });
      expectClose(padded, run({ op: 'AveragePool', inputs: [padInput(x, p.pads, 0)], attrs }));
    }), PARAMS);
  });

  it('MaxPool with pads equals Pad(-inf) + MaxPool without pads', () => {
    fc.assert(fc.property(padPoolCase, (p) => {
      const x = randomTensorOf('float32', [1, 2, ...p.hw], rng(p.seed));
      const attrs: Record<string, AttrValue> = { kernel_shape: p.k, strides: p.s };
      const padded = run({ op: 'MaxPool', inputs: [x], attrs: { ...attrs, pads: p.pads } });
      expectClose(padded, run({ op: 'MaxPool', inputs: [padInput(x, p.pads, -Infinity)], attrs }));
    }), PARAMS);
  });

  it('Softmax sums to 1 along its axis and equals exp(LogSoftmax)', () => {
    const arb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }).chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: 0, max: s.length - 1 }), fc.integer()));
    fc.assert(fc.property(arb, ([shape, axis, seed]) => {
      const x = randomTensorOf('float32', shape, rng(seed), 30);
      const sm = run({ op: 'Softmax', inputs: [x], attrs: { axis } });
      const lsm = run({ op: 'LogSoftmax', inputs: [x], attrs: { axis } });
      expectClose(sm, Tensor.fromArray('float32', shape, Array.from(lsm.data, Math.exp)), 1e-5);
      const sums = run({ op: 'ReduceSum', inputs: [sm, Tensor.fromArray('int64', [1], [axis])], constInputs: [1] });
      for (const v of sums.data) expect(v).toBeCloseTo(1, 5);
    }), PARAMS);
  });
});
