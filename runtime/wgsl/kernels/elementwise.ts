// Elementwise kernels: the shared activation table's WGSL rows (params baked as literals; the pipeline
// cache is keyed by source), a few math unaries, broadcasting binary ops with strides baked into the
// source, and Clip with optional min/max operands (ONNX opset 11+ passes them as tensors).
import { ACTIVATIONS, activationParams, floatLiteral } from '../../../src/ops/activations.ts';
import { broadcastIndex, declareBindings, dispatchSize, mainStart } from '../shader.ts';

export interface EmittedKernel { code: string; wg: [number, number] }

const BINARY: Record<string, (a: string, b: string) => string> = {
  Add: (a, b) => `${a} + ${b}`, Sub: (a, b) => `${a} - ${b}`, Mul: (a, b) => `${a} * ${b}`, Div: (a, b) => `${a} / ${b}`,
  Max: (a, b) => `max(${a}, ${b})`, Min: (a, b) => `min(${a}, ${b})`, Pow: (a, b) => `pow_onnx(${a}, ${b})`,
};
/** Module-level helpers a BINARY row calls. WGSL's pow is exp2(b * log2(a)): NaN for a < 0, where ONNX defines
 *  integer powers (Pow(-2, 3) = -8), and a few ULP off near a = 1, which Adam's bias correction 1 - b2^t
 *  amplifies ~1000x. Integer exponents go by repeated squaring (exact to ~log2|b| roundings). */
const HELPERS: Record<string, string> = {
  Pow: `fn pow_onnx(a: f32, b: f32) -> f32 {
  if (b != round(b) || abs(b) > 16777216.0) { return pow(a, b); }
  var n = u32(abs(b));
  var base = a;
  var r = 1.0;
  loop {
    if (n == 0u) { break; }
    if ((n & 1u) == 1u) { r = r * base; }
    base = base * base;
    n = n >> 1u;
  }
  return select(r, 1.0 / r, b < 0.0);
}
`,
};
const MATH: Record<string, (v: string) => string> = {
  Exp: (v) => `exp(${v})`, Log: (v) => `log(${v})`, Sqrt: (v) => `sqrt(${v})`, Neg: (v) => `-${v}`,
  Abs: (v) => `abs(${v})`, Reciprocal: (v) => `1.0 / ${v}`,
  // #19: erf is Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7), as the js kernel; softplus is stable for large |v|.
  Erf: (v) => `erf_as(${v})`, Sin: (v) => `sin(${v})`, Cos: (v) => `cos(${v})`,
  Softplus: (v) => `softplus(${v})`, Mish: (v) => `(${v} * tanh(clamp(softplus(${v}), -20.0, 20.0)))`,
  Gelu: (v) => `(0.5 * ${v} * (1.0 + erf_as(${v} * 0.70710678118654752)))`,
  GeluTanh: (v) => `(0.5 * ${v} * (1.0 + tanh(clamp(0.79788456080286536 * (${v} + 0.044715 * ${v} * ${v} * ${v}), -20.0, 20.0))))`,
};
const UNARY_HELPERS = `fn erf_as(x: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * abs(x));
  let y = 1.0 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-x * x);
  return select(y, -y, x < 0.0);
}
fn softplus(x: f32) -> f32 { return select(log(1.0 + exp(x)), x + log(1.0 + exp(-x)), x > 0.0); }
`;

export const isBinary = (op: string) => op in BINARY;
export const isUnary = (op: string) => op in MATH || (op in ACTIVATIONS && op !== 'Clip');

export function emitUnary(op: string, attrs: Record<string, unknown>, total: number): EmittedKernel {
  let expr: string;
  if (op === 'Gelu' && attrs.approximate === 'tanh') expr = MATH.GeluTanh!('v');
  else if (op in MATH) expr = MATH[op]!('v');
  else {
    const a = ACTIVATIONS[op]!;
    const p = Object.fromEntries(Object.entries(activationParams(a, attrs)).map(([k, v]) => [k, floatLiteral(v)]));
    expr = a.wgsl('v', 'f32', p);
  }
  // The bound comes from the binding's length (the executor binds exact sizes): one pipeline per op and
  // parameters, whatever the tensor size (training graphs run dozens of same-op updates of different sizes).
  const code = `${declareBindings([{ name: 'x', access: 'read' }, { name: 'y', access: 'read_write' }])}\n${op in MATH ? UNARY_HELPERS : ''}${mainStart('arrayLength(&y)')}` +
    `  let v = x[gid];\n  y[gid] = ${expr};\n}\n`;
  return { code, wg: dispatchSize(total) };
}

export function emitBinary(op: string, a: readonly number[], b: readonly number[], out: readonly number[]): EmittedKernel {
  const total = out.reduce((x, y) => x * y, 1);
  // Same-shape or scalar operands: size-independent source (see emitUnary).
  const simple = (s: readonly number[]) => s.reduce((x, y) => x * y, 1) === 1 ? '0u' : s.join() === out.join() ? 'gid' : null;
  const ia = simple(a) ?? broadcastIndex('gid', out, a), ib = simple(b) ?? broadcastIndex('gid', out, b);
  const bound = simple(a) && simple(b) ? 'arrayLength(&y)' : total;
  const code = `${declareBindings([{ name: 'a', access: 'read' }, { name: 'b', access: 'read' }, { name: 'y', access: 'read_write' }])}\n` +
    `${HELPERS[op] ?? ''}${mainStart(bound)}  y[gid] = ${BINARY[op]!(`a[${ia}]`, `b[${ib}]`)};\n}\n`;
  return { code, wg: dispatchSize(total) };
}

/** Clip(x, min?, max?): `bounds` says which of min/max are bound (after x, in that order). */
export function emitClip(total: number, bounds: { min: boolean; max: boolean }): EmittedKernel {
  const binds = [{ name: 'x', access: 'read' as const }, ...(bounds.min ? [{ name: 'lo', access: 'read' as const }] : []),
    ...(bounds.max ? [{ name: 'hi', access: 'read' as const }] : []), { name: 'y', access: 'read_write' as const }];
  const code = `${declareBindings(binds)}\n${mainStart(total)}  var v = x[gid];\n` +
    `${bounds.min ? '  v = max(v, lo[0]);\n' : ''}${bounds.max ? '  v = min(v, hi[0]);\n' : ''}  y[gid] = v;\n}\n`;
  return { code, wg: dispatchSize(total) };
}
