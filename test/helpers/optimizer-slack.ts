// How far an optimizer's outputs may honestly move when its gradient input is only known to within a
// tolerance: the training tolerance (differential-train.ts) bounds each gradient g by T (|backend - ref| <= T),
// so a correct backend may feed the optimizer any gradient in [g - T, g + T], and its next parameter and
// moments may be anywhere the optimizer maps that interval to. Where |g| >> T the interval maps to a sliver
// (tight); where the reference gradient is within its own bound of zero (a value that is zero in exact
// arithmetic: the gradient of a bias followed by BatchNorm) the gradient is pure float noise of either sign,
// and Adam's first step m^/(sqrt(v^) + eps) turns any such noise into a full +-lr step. Found by the campaign:
// `relu6 |> batchnorm |> maxpool(3, stride=1) |> batchnorm`, Adam: wgsl moved bn1.bias by +lr, the reference
// by -lr, both right.
//
// The range is computed exactly, per element, by evaluating the optimizer's own formula (below, as in
// src/train/optimizers.ts; the state m, v, the step and the parameter are the reference's, whose float error
// the perturbation analysis already covers) at the points where its extremes over [g - T, g + T] lie:
//   sgd p' = p - lr g, momentum v' = mu v + g, Adam m' = b1 m + (1-b1) g: linear, the endpoints;
//   Adam/rmsprop v' = b v + (1-b) g^2: convex, the endpoints and 0;
//   rmsprop p' = p - lr g/(sqrt(v') + eps): monotone in g (its derivative's numerator is a v + eps sqrt(v') >= 0);
//   Adam p' = p - lr (m'/c1)/(sqrt(v'/c2) + eps): the endpoints, 0 and the stationary point
//     g* = (1-b1) b2 v / (b1 m (1-b2)) of the eps-free form (monotone on the first step, m = v = 0).
// The slack of an output is max |F(candidate) - F(g)|: 0 for a gradient that is exact, and added to the
// output's own tolerance. Weight decay adds wd p to g (a shift, the same interval width); AdamW's decoupled
// decay scales p before the step, which the formula includes.
import type { OptimizerOptions } from '../../src/train/optimizers.ts';
import type { Tensor } from '../../src/ir/tensor.ts';

/** One parameter's optimizer outputs as elementwise functions of the gradient (state from the reference). */
function formulas(opt: OptimizerOptions, state: (suffix: string) => number, t: number): Record<string, (g: number) => number> {
  const lr = opt.lr, wd = opt.weightDecay ?? 0, p = state('');
  const decoupled = opt.kind === 'adamw';
  const base = decoupled && wd ? p * (1 - lr * wd) : p;
  const gg = (g: number) => (wd && !decoupled ? g + wd * p : g);
  switch (opt.kind) {
    case 'sgd': return { '': (g) => base - lr * gg(g) };
    case 'momentum': {
      const mu = opt.momentum ?? 0.9, v = state('.momentum_buffer');
      const v2 = (g: number) => mu * v + gg(g);
      return { '': (g) => base - lr * v2(g), '.momentum_buffer': v2 };
    }
    case 'rmsprop': {
      const a = opt.alpha ?? 0.99, eps = opt.eps ?? 1e-8, v = state('.square_avg');
      const v2 = (g: number) => a * v + (1 - a) * gg(g) ** 2;
      return { '': (g) => base - lr * gg(g) / (Math.sqrt(v2(g)) + eps), '.square_avg': v2 };
    }
    case 'adam': case 'adamw': {
      const b1 = opt.beta1 ?? 0.9, b2 = opt.beta2 ?? 0.999, eps = opt.eps ?? 1e-8;
      const m = state('.exp_avg'), v = state('.exp_avg_sq');
      const c1 = 1 - b1 ** t, c2 = 1 - b2 ** t;
      const m2 = (g: number) => b1 * m + (1 - b1) * gg(g), v2 = (g: number) => b2 * v + (1 - b2) * gg(g) ** 2;
      return { '': (g) => base - lr * (m2(g) / c1) / (Math.sqrt(v2(g) / c2) + eps), '.exp_avg': m2, '.exp_avg_sq': v2 };
    }
  }
}

/** Candidate gradients where each formula's extremes over [g - T, g + T] lie (see the header). */
function candidates(opt: OptimizerOptions, g: number, T: number, state: (suffix: string) => number): number[] {
  const lo = g - T, hi = g + T;
  const xs = [lo, hi];
  const wd = opt.kind === 'adamw' ? 0 : opt.weightDecay ?? 0, shift = wd * state('');
  if (lo <= -shift && -shift <= hi) xs.push(-shift); // the effective gradient g + wd p crosses 0
  if (opt.kind === 'adam' || opt.kind === 'adamw') {
    const b1 = opt.beta1 ?? 0.9, b2 = opt.beta2 ?? 0.999, m = state('.exp_avg'), v = state('.exp_avg_sq');
    if (m !== 0) { const s = ((1 - b1) * b2 * v) / (b1 * m * (1 - b2)) - shift; if (lo <= s && s <= hi) xs.push(s); }
  }
  return xs;
}

/**
 * Per optimizer output (graph output name `${param}${suffix}__next`), the per-element slack of that output
 * given the gradient tolerance `gradTol` (the allowed |backend - ref| of `grad`). `values` holds the
 * reference's feeds and outputs by name.
 */
export function optimizerSlack(opt: OptimizerOptions, param: string, grad: string, gradTol: number, values: Record<string, Tensor>): Map<string, Float64Array> {
  const g = values[grad]!;
  const t = 1 + Number(values['optimizer.step']?.data[0] ?? 0);
  const slack = new Map<string, Float64Array>();
  for (let i = 0; i < g.size; i++) {
    const state = (suffix: string) => Number(values[`${param}${suffix}`]?.data[i] ?? 0);
    const f = formulas(opt, state, t);
    const gi = Number(g.data[i]);
    const xs = candidates(opt, gi, gradTol, state);
    for (const [suffix, F] of Object.entries(f)) {
      const name = `${param}${suffix}__next`;
      const s = slack.get(name) ?? slack.set(name, new Float64Array(g.size)).get(name)!;
      const at = F(gi);
      for (const x of xs) s[i] = Math.max(s[i]!, Math.abs(F(x) - at));
    }
  }
  return slack;
}
