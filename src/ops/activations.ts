// The activation table: ONE row per activation, shared by the reference ops, the fused epilogue and both
// backends (onnxruntime-web's fuse-utils idea). `ref` is the scalar math, `js` and `wgsl` emit the same
// math as source text. Parameters travel by name (alpha, beta, min, max) so a kernel can take them as
// uniforms. Each form has an oracle: test/ops/activations.test.ts checks `ref` against onnxruntime-node, and
// test/js/backend.test.ts (random graphs of test/js/graphs.ts), test/js/simd-act.test.ts and
// test/wgsl/elementwise.test.ts check the `js`, wasm and `wgsl` forms against `ref` (the reference interpreter).
import { defineOp } from '../ir/registry.ts';
import { mapUnary, sameAsInput } from './util.ts';

export interface ActivationParams { [name: string]: number }

export interface Activation {
  /** The ONNX op name. */
  name: string;
  /** Its oldest ONNX since-version that layerc implements (OpDef.onnxSince). */
  onnxSince: number;
  /** Parameter names with their ONNX defaults. */
  params: ActivationParams;
  ref(x: number, p: ActivationParams): number;
  /** A JS expression of `x` (an identifier); `p` holds the parameter expressions (literals or identifiers). */
  js(x: string, p: Record<string, string>): string;
  /** A WGSL expression of `v` of type `T` ('f32' or 'vec4<f32>'); parameters are f32 expressions. */
  wgsl(v: string, T: string, p: Record<string, string>): string;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export const ACTIVATIONS: Record<string, Activation> = {
  Relu: {
    name: 'Relu', onnxSince: 6, params: {},
    ref: (x) => (x > 0 ? x : 0),
    js: (x) => `(${x} > 0 ? ${x} : 0)`,
    wgsl: (v, T) => `max(${v}, ${T}(0.0))`,
  },
  LeakyRelu: {
    name: 'LeakyRelu', onnxSince: 6, params: { alpha: 0.01 },
    ref: (x, p) => (x >= 0 ? x : p.alpha * x),
    js: (x, p) => `(${x} >= 0 ? ${x} : ${p.alpha} * ${x})`,
    wgsl: (v, T, p) => `select(${T}(${p.alpha}) * ${v}, ${v}, ${v} >= ${T}(0.0))`,
  },
  Sigmoid: {
    name: 'Sigmoid', onnxSince: 6, params: {},
    ref: sigmoid,
    js: (x) => `(1 / (1 + Math.exp(-${x})))`,
    wgsl: (v, T) => `(${T}(1.0) / (${T}(1.0) + exp(-${v})))`,
  },
  Tanh: {
    name: 'Tanh', onnxSince: 6, params: {},
    ref: Math.tanh,
    js: (x) => `Math.tanh(${x})`,
    // WGSL tanh overflows to NaN for |v| > ~44 on some drivers: clamp first (tanh(±20) == ±1 in f32).
    wgsl: (v, T) => `tanh(clamp(${v}, ${T}(-20.0), ${T}(20.0)))`,
  },
  Clip: {
    name: 'Clip', onnxSince: 6, params: { min: -3.4028234663852886e38, max: 3.4028234663852886e38 },
    // The spec's order, min(max(x, min), max): with min > max every output is max (as in onnxruntime).
    ref: (x, p) => Math.min(Math.max(x, p.min), p.max),
    js: (x, p) => `Math.min(Math.max(${x}, ${p.min}), ${p.max})`,
    wgsl: (v, T, p) => `min(max(${v}, ${T}(${p.min})), ${T}(${p.max}))`, // not clamp: WGSL refuses literal bounds with low > high
  },
  HardSigmoid: {
    name: 'HardSigmoid', onnxSince: 6, params: { alpha: 0.2, beta: 0.5 },
    ref: (x, p) => Math.max(0, Math.min(1, p.alpha * x + p.beta)),
    js: (x, p) => `Math.max(0, Math.min(1, ${p.alpha} * ${x} + ${p.beta}))`,
    wgsl: (v, T, p) => `clamp(${T}(${p.alpha}) * ${v} + ${T}(${p.beta}), ${T}(0.0), ${T}(1.0))`,
  },
  HardSwish: {
    name: 'HardSwish', onnxSince: 14, params: {},
    ref: (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)),
    js: (x) => `(${x} * Math.max(0, Math.min(1, ${x} / 6 + 0.5)))`,
    wgsl: (v, T) => `(${v} * clamp(${v} / ${T}(6.0) + ${T}(0.5), ${T}(0.0), ${T}(1.0)))`,
  },
};

/** Formats a number as a literal both JS and WGSL accept for f32. */
export function floatLiteral(x: number): string {
  if (x === Infinity || x >= 3.4028234663852886e38) return '3.4028234663852886e38';
  if (x === -Infinity || x <= -3.4028234663852886e38) return '-3.4028234663852886e38';
  const s = String(Math.fround(x));
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

export function activationParams(a: Activation, attrs: Record<string, unknown>): ActivationParams {
  const p: ActivationParams = {};
  for (const [k, d] of Object.entries(a.params)) p[k] = typeof attrs[k] === 'number' ? (attrs[k] as number) : d;
  return p;
}

// The unary activations that are standard ONNX ops with float attributes (Clip takes inputs: ops/elementwise.ts).
for (const a of Object.values(ACTIVATIONS)) {
  if (a.name === 'Clip') continue;
  defineOp({
    name: a.name,
    onnxSince: a.onnxSince,
    traits: { elementwise: true },
    summary: `elementwise ${a.name}`,
    attrs: Object.fromEntries(Object.entries(a.params).map(([k, d]) => [k, { type: 'float' as const, default: d }])),
    inputs: [1, 1],
    outputs: [1, 1],
    inferType: sameAsInput,
    evalRef([x], ctx) {
      const p = activationParams(a, ctx.attrs);
      return [mapUnary(x!, (v) => a.ref(v, p))];
    },
  });
}
