// The js kernels of the transformer / encoder-decoder ops (#19) against the reference interpreter: each op on
// seeded random shapes and attributes (one thread; a fixed set again with 2, for the work split), must get a kernel
// (no reference fallback) and agree within |js - ref| <= 1e-4 + 1e-3 |ref|. Then the official node tests and the
// zoo models through `test-onnx`'s runner at -O0 and -O2 with no fallback (node tests: zoo-node-tests.test.ts).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { AttrValue } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { loadOptimizer } from '../../src/cli/level.ts';
import { NODE_TESTS_ZOO, ZOO } from '../fixtures.ts';
import { lcg, uniformTensor as randomTensor } from '../helpers/random.ts';
import { onJs } from './zoo-cases.ts';
import { agree } from './single-op.ts';

const PARAMS = { seed: 20261206, numRuns: 15 };
const dims = (min: number, max: number, maxDim = 5) => fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: min, maxLength: max });
const i64 = (v: number[]) => Tensor.fromArray('int64', [v.length], v);
const f32 = (v: number[]) => Tensor.fromArray('float32', [v.length], v);

describe('#19 js kernels vs reference', () => {
  it('with 2 threads (every kernel splits its rows or lines)', async () => {
    const r = lcg(21);
    const t = (...s: number[]) => randomTensor(s, r);
    const x = t(2, 4, 5, 3);
    await agree({ op: 'Gelu', inputs: [x] }, 2);
    await agree({ op: 'Transpose', inputs: [x], attrs: { perm: [0, 2, 3, 1] } }, 2);
    await agree({ op: 'Slice', inputs: [x, i64([1]), i64([5]), i64([2]), i64([2])] }, 2);
    await agree({ op: 'Gather', inputs: [x, Tensor.scalar('int64', 1)], attrs: { axis: 1 } }, 2);
    await agree({ op: 'Split', inputs: [x], attrs: { axis: 1, num_outputs: 2 }, outputs: 2 }, 2);
    await agree({ op: 'MatMul', inputs: [t(2, 3, 5, 4), t(3, 4, 6)] }, 2);
    await agree({ op: 'Einsum', inputs: [t(2, 3, 4), t(2, 5, 4)], attrs: { equation: 'bqd,bkd->bqk' } }, 2);
    await agree({ op: 'LayerNormalization', inputs: [x, t(3), t(3)], outputs: 3 }, 2);
    await agree({ op: 'GroupNormalization', inputs: [x, t(4), t(4)], attrs: { num_groups: 2 } }, 2);
    await agree({ op: 'ConvTranspose', inputs: [x, t(4, 2, 3, 3), t(2)], consts: [1, 2], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] } }, 2);
    await agree({ op: 'Resize', inputs: [x, null, f32([1, 1, 1.5, 2])], consts: [2], attrs: { mode: 'cubic' } }, 2);
    await agree({ op: 'Sum', inputs: [x, t(3)] }, 2);
    await agree({ op: 'DepthToSpace', inputs: [x], attrs: { blocksize: 2 } }, 2);
  });

  it('unary: Erf, Gelu (none, tanh), Softplus, Mish, Sin, Cos', async () => {
    const x = randomTensor([3, 50], lcg(1), -6, 6);
    for (const op of ['Erf', 'Softplus', 'Mish', 'Sin', 'Cos']) await agree({ op, inputs: [x] });
    for (const approximate of ['none', 'tanh']) await agree({ op: 'Gelu', inputs: [x], attrs: { approximate } });
  });

  it('Transpose, Slice (negative steps), Gather (constant indices), Split, DepthToSpace, SpaceToDepth', async () => {
    await fc.assert(fc.asyncProperty(dims(1, 4), fc.integer(), async (s, seed) => {
      const r = lcg(seed >>> 0);
      const x = randomTensor(s, r);
      const perm = s.map((_, i) => i).sort(() => r() - 0.5);
      await agree({ op: 'Transpose', inputs: [x], attrs: { perm } });
      const axis = Math.floor(r() * s.length), L = s[axis]!;
      const step = r() < 0.3 ? -1 - Math.floor(r() * 2) : 1 + Math.floor(r() * 2);
      await agree({ op: 'Slice', inputs: [x, i64([step > 0 ? 0 : -1]), i64([step > 0 ? L : -L - 1]), i64([axis]), i64([step])] });
      await agree({ op: 'Gather', inputs: [x, Tensor.fromArray('int64', [2], [L - 1, -L])], attrs: { axis } });
      await agree({ op: 'Gather', inputs: [x, Tensor.scalar('int64', 0)], attrs: { axis } });
      if (L >= 2) await agree({ op: 'Split', inputs: [x, i64([1, L - 1])], attrs: { axis }, outputs: 2 });
    }), PARAMS);
    const r = lcg(4);
    for (const mode of ['DCR', 'CRD']) await agree({ op: 'DepthToSpace', inputs: [randomTensor([2, 8, 3, 2], r)], attrs: { blocksize: 2, mode } });
    await agree({ op: 'SpaceToDepth', inputs: [randomTensor([2, 3, 4, 6], r)], attrs: { blocksize: 2 } });
  });

  it('batched MatMul with broadcast batches, Einsum, Sum, Mean, ReduceL2', async () => {
    await fc.assert(fc.asyncProperty(dims(0, 2, 3), dims(0, 2, 3), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer(), async (ba, bb, M, K, N, seed) => {
      const r = lcg(seed >>> 0);
      // Make the batch shapes broadcast: where both have an axis, one of them is 1 or they agree.
      const n = Math.min(ba.length, bb.length);
      for (let i = 1; i <= n; i++) if (ba[ba.length - i] !== bb[bb.length - i] && bb[bb.length - i] !== 1) ba[ba.length - i] = 1;
      await agree({ op: 'MatMul', inputs: [randomTensor([...ba, M, K], r), randomTensor([...bb, K, N], r)] });
    }), PARAMS);
    const r = lcg(8);
    const t = (...s: number[]) => randomTensor(s, r);
    for (const [equation, inputs] of [['bhqd,bhkd->bhqk', [t(2, 2, 3, 4), t(2, 2, 5, 4)]], ['ii->i', [t(3, 3)]], ['ij->', [t(3, 4)]], ['...ij,...jk', [t(2, 3, 4), t(4, 2)]], ['i,j->ij', [t(3), t(2)]]] as const) {
      await agree({ op: 'Einsum', inputs: [...inputs], attrs: { equation } });
    }
    for (const op of ['Sum', 'Mean']) await agree({ op, inputs: [t(2, 3, 4), t(3, 1), t(4)] });
    for (const keepdims of [0, 1]) await agree({ op: 'ReduceL2', inputs: [t(2, 3, 4), i64([0, -1])], attrs: { keepdims } });
  });

  it('LayerNormalization (Mean/InvStdDev outputs), InstanceNormalization, GroupNormalization', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), dims(1, 2), fc.integer(), async (N, G, cg, sp, seed) => {
      const r = lcg(seed >>> 0);
      const C = G * cg, x = randomTensor([N, C, ...sp], r, -3, 3);
      const axis = -1 - Math.floor(r() * (sp.length + 1));
      const norm = x.shape.slice(x.shape.length + axis);
      await agree({ op: 'LayerNormalization', inputs: [x, randomTensor(norm, r), randomTensor(norm, r)], attrs: { axis, epsilon: 1e-3 }, outputs: 3 });
      await agree({ op: 'InstanceNormalization', inputs: [x, randomTensor([C], r), randomTensor([C], r)] });
      await agree({ op: 'GroupNormalization', inputs: [x, randomTensor([C], r), randomTensor([C], r)], attrs: { num_groups: G } });
    }), PARAMS);
  });

  it('ConvTranspose: groups, strides, dilations, pads, output_padding, bias', async () => {
    await fc.assert(fc.asyncProperty(fc.record({
      g: fc.integer({ min: 1, max: 2 }), cg: fc.integer({ min: 1, max: 2 }), mg: fc.integer({ min: 1, max: 3 }),
      k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 2 }),
      p: fc.integer({ min: 0, max: 1 }), op: fc.boolean(), bias: fc.boolean(), H: fc.integer({ min: 1, max: 4 }), seed: fc.integer(),
    }), async (c) => {
      const r = lcg(c.seed >>> 0);
      const x = randomTensor([2, c.g * c.cg, c.H, c.H + 1], r), w = randomTensor([c.g * c.cg, c.mg, c.k, c.k], r);
      const attrs: Record<string, AttrValue> = { group: c.g, strides: [c.s, c.s], dilations: [c.d, c.d], pads: [c.p, 0, 0, c.p] };
      if (c.op && c.s > 1) attrs.output_padding = [c.s - 1, 0];
      await agree({ op: 'ConvTranspose', inputs: c.bias ? [x, w, randomTensor([c.g * c.mg], r)] : [x, w], consts: [1, 2], attrs });
    }), PARAMS);
  });

  it('Resize (every mode and coordinate mode, scales or sizes, antialias, exclude_outside) and Upsample', async () => {
    const coords = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn', 'tf_crop_and_resize'];
    await fc.assert(fc.asyncProperty(fc.record({
      mode: fc.constantFrom('nearest', 'linear', 'cubic'), coord: fc.constantFrom(...coords), aa: fc.boolean(), ex: fc.boolean(),
      sizes: fc.boolean(), h: fc.integer({ min: 1, max: 5 }), w: fc.integer({ min: 1, max: 5 }), seed: fc.integer(),
    }), async (c) => {
      const r = lcg(c.seed >>> 0);
      const x = randomTensor([1, 2, c.h, c.w], r);
      const attrs: Record<string, AttrValue> = { mode: c.mode, coordinate_transformation_mode: c.coord, antialias: c.aa ? 1 : 0, exclude_outside: c.ex ? 1 : 0, extrapolation_value: 3 };
      const roi = c.coord === 'tf_crop_and_resize' ? f32([0, 0, 0.2, 0.1, 1, 1, 0.9, 1.2]) : null;
      const pick = () => [0.5, 0.75, 1.5, 2, 3][Math.floor(r() * 5)]!;
      const scales = f32([1, 1, pick(), pick()]);
      const inputs = c.sizes ? [x, roi, null, i64([1, 2, 1 + Math.floor(r() * 7), 1 + Math.floor(r() * 7)])] : [x, roi, scales];
      if (!c.sizes && (Math.floor(c.h * scales.data[2]!) === 0 || Math.floor(c.w * scales.data[3]!) === 0)) return;
      await agree({ op: 'Resize', inputs, consts: [1, 2, 3], attrs });
    }), { ...PARAMS, numRuns: 40 });
    for (const mode of ['nearest', 'linear']) await agree({ op: 'Upsample', inputs: [randomTensor([1, 2, 3, 2], lcg(2)), f32([1, 1, 2, 3])], consts: [1], attrs: { mode } });
  });
});


describe('zoo models on js', () => {
  it('the zoo models pass at -O0 and -O2 with kernels only', async () => {
    for (const optimize of [undefined, await loadOptimizer(2)]) {
      expect(await onJs([ZOO], optimize)).toEqual({ failures: [], passed: 4, fallbacks: [], dataDependent: 0 });
    }
  }, 60_000);

});
