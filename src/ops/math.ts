// Smooth unary ops the transformer and U-Net exports use: Erf, Gelu (opset 20, approximate none|tanh),
// Softplus, Mish, Sin, Cos. The reference computes in float64 and rounds once to the output type, so it is an
// oracle for float32 kernels (which use cheaper approximations: see runtime/*/kernels).
import { defineOp } from '../ir/registry.ts';
import { isFloat } from '../ir/dtype.ts';
import { mapUnary, sameAsInput } from './util.ts';
import { defineUnaryOp } from './elementwise.ts';

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * erf(x) to ~1e-15 relative: below |x| = 3 the all-positive series erf(x) = 2/sqrt(pi) e^{-x^2}
 * sum_n 2^n x^{2n+1} / (1*3*...*(2n+1)) (no cancellation); above, erfc's continued fraction (Lentz-free,
 * evaluated backwards from a fixed depth, which converges fast for x >= 3); beyond 6, erfc < 2e-17.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a >= 6) return Math.sign(x);
  if (a < 3) {
    let term = a, sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (2 * a * a) / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return Math.sign(x) * TWO_OVER_SQRT_PI * Math.exp(-a * a) * sum;
  }
  // erfc(a) = e^{-a^2}/sqrt(pi) * 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...)))))
  let f = a;
  for (let k = 60; k >= 1; k--) f = a + k / 2 / f;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/** Numerically stable ln(1 + e^x) (the spec's Softplus). */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Gelu's two forms (ONNX opset 20): exact 0.5x(1 + erf(x/sqrt 2)), or 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))). */
export function gelu(x: number, approximate: string): number {
  if (approximate === 'tanh') return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** Each op's math and its oldest ONNX since-version that layerc implements (OpDef.onnxSince). */
const UNARY: Record<string, [onnxSince: number, f: (x: number) => number]> = {
  Erf: [9, erf],
  Softplus: [1, softplus],
  // Mish (opset 18): x * tanh(softplus(x))
  Mish: [18, (x) => x * Math.tanh(softplus(x))],
  Sin: [7, Math.sin],
  Cos: [7, Math.cos],
};

for (const [name, [onnxSince, f]] of Object.entries(UNARY)) defineUnaryOp(name, f, { onnxSince, floatOnly: true });

defineOp({
  name: 'Gelu',
  onnxSince: 20,
  traits: { elementwise: true },
  summary: 'Gaussian error linear unit (opset 20): approximate="none" (erf) or "tanh"',
  attrs: { approximate: { type: 'string', default: 'none' } },
  inputs: [1, 1],
  outputs: [1, 1],
  inferType(ctx) {
    if (!isFloat(ctx.inputs[0]!.dtype)) ctx.fail('LC033', [`Gelu needs a float tensor, got ${ctx.inputs[0]!.dtype}`]);
    const a = ctx.attrs.approximate;
    if (a !== 'none' && a !== 'tanh') ctx.fail('LC030', ['approximate', `must be "none" or "tanh", got "${String(a)}"`]);
    return sameAsInput(ctx);
  },
  evalRef([x], ctx) {
    const a = ctx.attrs.approximate as string;
    return [mapUnary(x!, (v) => gelu(v, a))];
  },
});
