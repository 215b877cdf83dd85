// Random well-formed DSL programs for property tests: a model whose body is one pipeline of random
// layers. The generator tracks the shape so every hyperparameter it picks is valid for its input.
import fc from 'fast-check';

interface State { rank: 2 | 4; c: number; h: number; w: number }

/** One pipeline stage from a few random numbers `r` (each in [0, 1000)), given the current shape. */
function stage(s: State, r: number[]): string {
  const pick = <T>(xs: T[], i: number): T => xs[r[i] % xs.length];
  const common = r[5] % 7 === 0 ? ', trainable=false' : '';
  if (s.rank === 2) {
    const kind = pick(['dense', 'batchnorm', 'relu', 'sigmoid', 'tanh', 'relu6', 'leaky_relu', 'softmax', 'dropout'], 0);
    switch (kind) {
      case 'dense': { const out = 1 + (r[1] % 12); s.c = out; return r[2] % 2 ? `dense(${out}${common})` : `dense(${out}, bias=false)`; }
      case 'batchnorm': return r[1] % 2 ? 'batchnorm' : `batchnorm(eps=0.001, momentum=0.2, scale=${r[2] % 2 === 0})`;
      case 'leaky_relu': return `leaky_relu(alpha=0.${1 + (r[1] % 9)})`;
      case 'softmax': return r[1] % 2 ? 'softmax' : 'softmax(axis=1)';
      case 'dropout': return `dropout(0.${r[1] % 10})`;
      default: return kind;
    }
  }
  const kind = pick(['conv2d', 'conv_transpose2d', 'batchnorm', 'relu', 'sigmoid', 'maxpool', 'avgpool', 'flatten', 'global_avgpool', 'relu6'], 0);
  const maxK = Math.min(s.h, s.w, 5);
  switch (kind) {
    case 'conv2d': {
      const k = 1 + (r[1] % maxK);
      const stride = 1 + (r[2] % 2);
      const groups = s.c % 2 === 0 && r[3] % 3 === 0 ? 2 : 1;
      const out = groups * (1 + (r[4] % 4));
      const same = r[3] % 4 === 1;
      const pad = same ? 0 : r[4] % k;
      const oh = same ? Math.ceil(s.h / stride) : Math.floor((s.h + 2 * pad - k) / stride) + 1;
      const ow = same ? Math.ceil(s.w / stride) : Math.floor((s.w + 2 * pad - k) / stride) + 1;
      Object.assign(s, { c: out, h: oh, w: ow });
      return `conv2d(${out}, kernel=${k}, stride=${stride}, pad=${same ? '"same"' : pad}, groups=${groups}${r[5] % 2 ? ', bias=false' : ''}${common})`;
    }
    case 'conv_transpose2d': {
      if (s.h > 12) return 'relu';
      const k = 1 + (r[1] % 3);
      const stride = 1 + (r[2] % 2);
      const out = 1 + (r[4] % 4);
      Object.assign(s, { c: out, h: (s.h - 1) * stride + k, w: (s.w - 1) * stride + k });
      return `conv_transpose2d(${out}, kernel=${k}, stride=${stride})`;
    }
    case 'maxpool': case 'avgpool': {
      const k = 1 + (r[1] % Math.min(maxK, 3));
      const stride = 1 + (r[2] % k);
      Object.assign(s, { h: Math.floor((s.h - k) / stride) + 1, w: Math.floor((s.w - k) / stride) + 1 });
      return stride === k && r[3] % 2 ? `${kind}(${k})` : `${kind}(${k}, stride=${stride})`;
    }
    case 'flatten': Object.assign(s, { rank: 2, c: s.c * s.h * s.w }); return 'flatten';
    case 'global_avgpool': Object.assign(s, { h: 1, w: 1 }); return 'global_avgpool';
    default: return kind;
  }
}

/** A random program and the output shape the generator computed for it by hand (batch N symbolic). */
export const arbProgramWithShape: fc.Arbitrary<{ src: string; shape: (number | string)[] }> = fc
  .record({
    c: fc.integer({ min: 1, max: 4 }),
    hw: fc.integer({ min: 4, max: 12 }),
    stages: fc.array(fc.array(fc.nat(999), { minLength: 6, maxLength: 6 }), { minLength: 1, maxLength: 8 }),
    residual: fc.boolean(),
  })
  .map(({ c, hw, stages, residual }) => {
    const s: State = { rank: 4, c, h: hw, w: hw };
    const body = stages.map((r) => stage(s, r));
    const lines = [`model random(x: f32[N, ${c}, ${hw}, ${hw}]) {`, `  y = x |> ${body.join('\n      |> ')}`];
    // A residual add of the pipeline's output with itself passed through an activation (same shape).
    const src = [...lines.slice(0, 2), ...(residual ? ['  z = y |> relu', '  return y + z'] : ['  return y']), '}'].join('\n') + '\n';
    return { src, shape: s.rank === 2 ? ['N', s.c] : ['N', s.c, s.h, s.w] };
  });

export const arbProgram: fc.Arbitrary<string> = arbProgramWithShape.map((p) => p.src);

/**
 * A random program for training-step checks: the same pipelines, then optionally a residual branch whose
 * bias-free layer (a same-size conv2d, maybe dilated, or dense) is added to the pipeline's output, so a bias-free base op with a
 * full-tensor epilogue operand appears in the forward pass and in the gradients.
 */
export const arbTrainingProgram: fc.Arbitrary<{ src: string; rank: 2 | 4; features: number }> = fc
  .record({
    c: fc.integer({ min: 1, max: 4 }),
    hw: fc.integer({ min: 3, max: 9 }),
    stages: fc.array(fc.array(fc.nat(999), { minLength: 6, maxLength: 6 }), { minLength: 1, maxLength: 5 }),
    residual: fc.constantFrom('none', 'self', 'biasFree'),
    k: fc.constantFrom(1, 3),
    dilation: fc.constantFrom(1, 2),
  })
  .map(({ c, hw, stages, residual, k, dilation }) => {
    const s: State = { rank: 4, c, h: hw, w: hw };
    const body = stages.map((r) => stage(s, r));
    // Same size: a 3x3 kernel dilated d is padded d.
    const branch = s.rank === 4 ? `conv2d(${s.c}, kernel=${k}, pad=${k === 3 ? dilation : 0}, dilation=${dilation}, bias=false)` : `dense(${s.c}, bias=false)`;
    const tail = residual === 'none' ? ['  return y'] : residual === 'self' ? ['  z = y |> relu', '  return y + z']
      : [`  z = y |> ${branch}`, '  return z + y'];
    const src = [`model random(x: f32[N, ${c}, ${hw}, ${hw}]) {`, `  y = x |> ${body.join('\n      |> ')}`, ...tail, '}'].join('\n') + '\n';
    return { src, rank: s.rank, features: s.rank === 2 ? s.c : s.c * s.h * s.w };
  });
