// Error-bound rules (see error-bound.ts for the method and the notation: E >= |float32 backend - exact|,
// u = 2^-24) for the ops added for issue #19 that the differential generator draws. Each is derived from
// the op's formula and from what the backends compute:
//   smooth unary f (Lipschitz L)   E = L E_x + 4u|y| + the backend formula's own error:
//     Erf     L = 2/sqrt(pi); both kernels use Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7) where the
//             reference is exact, plus its exp (T = 64u)                     extra = 1.5e-7 + T
//     Gelu    L = 1.13 (max of Phi(x) + x phi(x), at x = sqrt 2; the tanh form's within 1e-3): erf form
//             0.5|x| (1.5e-7 + T) + T(1 + |y|); tanh form T(1 + |y| + |x|)
//     Softplus L = 1, exp then log: T(1 + |y|);   Mish  L = 1.09 (max of its slope, at x ~ 1.2):
//             x tanh(softplus x): |x| T (3 + |x|) + T(1 + |y|)
//     Sin/Cos L = 1; WGSL allows sin/cos an absolute error of 2^-11 on [-pi, pi] (the spec's bound; lavapipe
//             reduces the range first, so the generator's inputs, |x| < ~20, stay near it): extra = 2^-11
//   Layer/Instance/GroupNormalization over a row of n values, sigma = sqrt(var + eps), x^ = (x - mean)/sigma:
//     d y_i / d x_j = (g/sigma)(delta_ij - 1/n - x^_i x^_j / n), whose row sums are <= (g/sigma)(2 + |x^_i|)
//     (mean |x^| <= 1), so the propagated part is |g|/sigma (2 + |x^_i|) max_row E; the backend's own:
//     mean off by (n + 1)u mean|x| (times |g|/sigma), var by 2(n + 4)u mean(x^2) (one- or two-pass), so
//     sigma by that / (2 sigma^2) + 2u relative (times |g x^_i|), plus 4u (|g x^| + |B| + |y|)
//   Resize nearest / linear        the same Resize of E (the taps come from src/ops/resize.ts axisTaps on
//     every backend, so nearest picks the same element and linear weights are convex), plus for linear
//     (3 passes + 1) u Resize(|x|): two products and a sum per pass, weights rounded to float32
//   Sum/Mean of k inputs           Sum(E) + k u Sum(|x|)   /   Mean(E) + (k + 1) u Mean(|x|)
//   ReduceL2 over K elements      ReduceL2(E) (the 2-norm is 1-Lipschitz in the 2-norm) + ((K + 2)/2 + 2) u |y|
//   Einsum (a contraction over K summed terms, one or two inputs)   like MatMul: sum over inputs of the
//     einsum with that input's E, the earlier inputs' |x| + E and the later ones' |x|, plus (K + 2) u einsum(|x|...)
import type { Node } from '../../src/ir/graph.ts';
import type { Tensor } from '../../src/ir/tensor.ts';
import { abs, f32, plus, run } from './error-bound.ts';

const u = 2 ** -24, T = 64 * u, ERF = 1.5e-7 + T;

type Activation = { L: number; extra: (x: number, y: number) => number };
export const SMOOTH_ACTIVATIONS: Record<string, (attrs: Record<string, unknown>) => Activation> = {
  Erf: () => ({ L: 2 / Math.sqrt(Math.PI), extra: () => ERF }),
  Gelu: (a) => (a.approximate === 'tanh'
    ? { L: 1.13, extra: (x, y) => T * (1 + Math.abs(y) + Math.abs(x)) }
    : { L: 1.13, extra: (x, y) => 0.5 * Math.abs(x) * ERF + T * (1 + Math.abs(y)) }),
  Softplus: () => ({ L: 1, extra: (_x, y) => T * (1 + Math.abs(y)) }),
  Mish: () => ({ L: 1.09, extra: (x, y) => Math.abs(x) * T * (3 + Math.abs(x)) + T * (1 + Math.abs(y)) }),
  Sin: () => ({ L: 1, extra: () => 2 ** -11 }),
  Cos: () => ({ L: 1, extra: () => 2 ** -11 }),
};

/** The bound of `node`'s first output, or null when the op is not one of this file's. */
export function zooBound(node: Node, op: string, attrs: Record<string, unknown>, xs: (Tensor | null)[], es: (Tensor | null)[], y: Tensor): Tensor | null {
  switch (op) {
    case 'LayerNormalization': case 'InstanceNormalization': case 'GroupNormalization': return rowNormBound(op, attrs, xs, es[0]!, y);
    case 'Resize': {
      const prop = run(node, 'Resize', [es[0]!, ...xs.slice(1)]);
      if (attrs.mode === 'nearest') return prop;
      const passes = xs[0]!.shape.filter((d, i) => d !== y.shape[i]).length;
      const mag = run(node, 'Resize', [abs(xs[0]!), ...xs.slice(1)]);
      return f32(y.shape, Array.from(prop.data as Float32Array, (e, i) => e + (3 * passes + 1) * u * mag.data[i]!));
    }
    case 'Sum': case 'Mean': {
      const k = xs.length, c = op === 'Sum' ? k : k + 1;
      const prop = run(node, op, es as Tensor[]), mag = run(node, op, xs.map((x) => abs(x!)));
      return f32(y.shape, Array.from(prop.data as Float32Array, (e, i) => e + c * u * mag.data[i]!));
    }
    case 'ReduceL2': {
      const K = xs[0]!.size / y.size;
      const prop = run(node, op, [es[0]!, ...xs.slice(1)]);
      return f32(y.shape, Array.from(prop.data as Float32Array, (e, i) => e + ((K + 2) / 2 + 2) * u * Math.abs(y.data[i]!)));
    }
    case 'Einsum': {
      const [lhs, rhs = ''] = String(attrs.equation).replace(/\s/g, '').split('->');
      const terms = lhs!.split(','), dim = new Map<string, number>();
      terms.forEach((t, k) => [...t].forEach((ch, d) => dim.set(ch, xs[k]!.shape[d]!)));
      const K = [...dim].filter(([ch]) => !rhs.includes(ch)).reduce((a, [, d]) => a * d, 1);
      const mags = xs.map((x) => abs(x!));
      const mag = run(node, op, mags);
      const out = Float64Array.from(mag.data as Float32Array, (m) => (K + 2) * u * m);
      // factor k's error times (|x_j| + E_j) before it and |x_j| after it: the product rule with its higher-order terms
      xs.forEach((_, k) => { const p = run(node, op, mags.map((m, j) => (j === k ? es[k]! : j < k ? plus(m, es[j]!) : m))); for (let i = 0; i < out.length; i++) out[i]! += p.data[i]!; });
      return f32(y.shape, out);
    }
    default: return null;
  }
}

function rowNormBound(op: string, attrs: Record<string, unknown>, xs: (Tensor | null)[], e: Tensor, y: Tensor): Tensor {
  const [x, scale, bias] = xs as [Tensor, Tensor, Tensor | null];
  const eps = Number(attrs.epsilon ?? 1e-5);
  let len: number, channel: (i: number) => number;
  if (op === 'LayerNormalization') {
    const a0 = Number(attrs.axis ?? -1), axis = a0 < 0 ? a0 + x.rank : a0;
    len = x.shape.slice(axis).reduce((a, b) => a * b, 1);
    channel = (i) => i % len;
  } else {
    const C = x.shape[1]!, S = x.shape.slice(2).reduce((a, b) => a * b, 1), G = op === 'GroupNormalization' ? Number(attrs.num_groups) : C;
    len = (C / G) * S;
    channel = (i) => Math.floor(i / S) % C;
  }
  const out = new Float64Array(y.size);
  for (let r = 0; r < x.size / len; r++) {
    let mean = 0, absMean = 0, sq = 0, maxE = 0;
    for (let j = r * len; j < (r + 1) * len; j++) { const v = x.data[j]!; mean += v; absMean += Math.abs(v); sq += v * v; maxE = Math.max(maxE, e.data[j]!); }
    mean /= len; absMean /= len; sq /= len;
    let variance = 0;
    for (let j = r * len; j < (r + 1) * len; j++) variance += (x.data[j]! - mean) ** 2;
    const sigma = Math.sqrt(variance / len + eps);
    const dMean = (len + 1) * u * absMean, dSigma = (2 * (len + 4) * u * sq) / (2 * sigma * sigma) + 2 * u;
    for (let j = r * len; j < (r + 1) * len; j++) {
      const c = channel(j), g = Math.abs(scale.data[c]!), xh = (x.data[j]! - mean) / sigma;
      out[j] = (g / sigma) * ((2 + Math.abs(xh)) * maxE + dMean) + g * Math.abs(xh) * dSigma
        + 4 * u * (g * Math.abs(xh) + Math.abs(bias ? bias.data[c]! : 0) + Math.abs(y.data[j]!));
    }
  }
  return f32(y.shape, out);
}
