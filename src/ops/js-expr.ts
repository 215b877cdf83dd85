// The JS expression of each elementwise op, one table: the js backend's elementwise kernels emit it per
// element, and the elementwise-chain lowering (passes/fuse-elementwise.ts) writes it into the body of an
// ai.layerc::JsElementwise node, whose reference implementation evaluates the same text. Keeping the table
// beside the ops (not in a backend) lets a pass build chain bodies without importing the runtime.
import type { Node } from '../ir/graph.ts';
import { ACTIVATIONS, activationParams } from './activations.ts';

/** Float literal for generated JS (exact for f32 values). */
export function lit(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  return String(x);
}

const MATH: Record<string, (x: string) => string> = {
  Neg: (x) => `-${x}`, Abs: (x) => `Math.abs(${x})`, Exp: (x) => `Math.exp(${x})`, Log: (x) => `Math.log(${x})`,
  Sqrt: (x) => `Math.sqrt(${x})`, Reciprocal: (x) => `1 / ${x}`, Floor: (x) => `Math.floor(${x})`, Ceil: (x) => `Math.ceil(${x})`,
  Identity: (x) => x,
  // #19's smooth ops; erf is Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7, float32 level), as the WGSL kernel.
  Erf: (x) => `${ERF_JS}(${x})`,
  Sin: (x) => `Math.sin(${x})`, Cos: (x) => `Math.cos(${x})`,
  Softplus: (x) => `((v) => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v))))(${x})`,
  Mish: (x) => `((v) => v * Math.tanh(v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v))))(${x})`,
};
const ERF_JS = '((v) => { const t = 1 / (1 + 0.3275911 * Math.abs(v)); const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-v * v); return v < 0 ? -y : y; })';
/** Gelu (opset 20) as a JS expression of x (also the fused epilogue's gelu step). */
export function geluJsExpr(x: string, approximate: string): string {
  return approximate === 'tanh'
    ? `((v) => 0.5 * v * (1 + Math.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))))(${x})`
    : `((v) => 0.5 * v * (1 + ${ERF_JS}(v * 0.7071067811865476)))(${x})`;
}
export const BINARY: Record<string, (a: string, b: string) => string> = {
  Add: (a, b) => `${a} + ${b}`, Sub: (a, b) => `${a} - ${b}`, Mul: (a, b) => `${a} * ${b}`, Div: (a, b) => `${a} / ${b}`,
  Max: (a, b) => `Math.max(${a}, ${b})`, Min: (a, b) => `Math.min(${a}, ${b})`, Pow: (a, b) => `Math.pow(${a}, ${b})`,
};
/** The backward graph's binary helpers (src/ops/grad-helpers.ts), domain ai.layerc. */
export const LAYERC_BINARY: Record<string, (a: string, b: string) => string> = {
  ReluGrad: (dy, y) => `(${y} > 0 ? ${dy} : 0)`,
};

/** Every op with a JS expression, as kernel-table keys (`ai.layerc::Op` for the layerc domain). */
export const JS_EXPR_OPS: readonly string[] = [...Object.keys(BINARY), ...Object.keys(MATH), ...Object.keys(ACTIVATIONS), 'Gelu', ...Object.keys(LAYERC_BINARY).map((k) => `ai.layerc::${k}`)];

/** The JS expression of binary op `n` on `a` and `b` (no broadcasting involved), or null. */
export function binaryExpr(n: Node, a: string, b: string): string | null {
  const f = n.domain === 'ai.layerc' ? LAYERC_BINARY[n.op] : n.domain ? undefined : BINARY[n.op];
  return f ? `(${f(a, b)})` : null;
}

/** The JS expression of unary op `n` applied to `x`, or null. */
export function unaryExpr(n: Node, x: string): string | null {
  if (n.domain) return null;
  const a = ACTIVATIONS[n.op];
  if (a && n.op !== 'Clip') {
    const p = activationParams(a, n.attrs as Record<string, unknown>);
    return a.js(x, Object.fromEntries(Object.entries(p).map(([k, v]) => [k, lit(Math.fround(v))])));
  }
  if (n.op === 'Clip') {
    const lo = n.inputs[1], hi = n.inputs[2];
    if ((lo && !lo.const) || (hi && !hi.const)) return null;
    const p = { min: lit(lo?.const ? Number(lo.const.data[0]) : -Infinity), max: lit(hi?.const ? Number(hi.const.data[0]) : Infinity) };
    return ACTIVATIONS.Clip!.js(x, p);
  }
  if (n.op === 'Gelu') return geluJsExpr(x, String(n.attrs.approximate ?? 'none'));
  return MATH[n.op]?.(x) ?? null;
}
