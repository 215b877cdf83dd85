// The js kernels that replaced reference fallbacks inside js graphs (#18): Pad (every mode, negative pads,
// axes, fill given or fed), BatchNormalization with run-time statistics or training_mode=1 in an inference
// graph, Clip with fed bounds. Each op on seeded random shapes and attributes must get a kernel (no reference
// fallback) and agree with the reference interpreter within |js - ref| <= 1e-4 + 1e-3 |ref| (Pad and Clip only
// move values, so they must agree exactly). Then the node tests and fixture models through `test-onnx`'s
// runner: the cases that still fall back are pinned, so a new fallback (or a fixed one) shows here.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { AttrValue } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { loadOptimizer } from '../../src/cli/level.ts';
import { MODELS, NODE_TESTS } from '../fixtures.ts';
import { lcg, uniformTensor as randomTensor } from '../helpers/random.ts';
import { onJs } from './zoo-cases.ts';
import { agree } from './single-op.ts';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const PARAMS = { seed: 20261206, numRuns: 25 };
const i64 = (v: number[]) => Tensor.fromArray('int64', [v.length], v);

describe('#18 js kernels instead of reference fallbacks', () => {
  it('Pad: constant/edge/reflect/wrap, pads beyond the axis size, negative pads (crop), axes, fill const or fed', async () => {
    await fc.assert(fc.asyncProperty(fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
      mode: fc.constantFrom('constant', 'edge', 'reflect', 'wrap'),
      pads: fc.array(fc.integer({ min: -1, max: 5 }), { minLength: 8, maxLength: 8 }),
      useAxes: fc.boolean(), fill: fc.constantFrom('none', 'const', 'fed'), threads: fc.constantFrom(1, 2), seed: fc.integer(),
    }), async (c) => {
      const r = lcg(c.seed >>> 0);
      const rank = c.shape.length;
      const axes = c.useAxes ? Array.from({ length: rank }, (_, i) => i).filter((i) => i % 2 === 0).map((i) => i - rank) : null;
      const k = axes ? axes.length : rank;
      // A negative pad may crop at most the axis size (minus one, so that reflect/edge/wrap keep an element).
      const padAxes = axes ? axes.map((a) => a + rank) : Array.from({ length: rank }, (_, i) => i);
      const begin = padAxes.map((a, i) => Math.max(c.pads[i]!, -Math.floor((c.shape[a]! - 1) / 2)));
      const end = padAxes.map((a, i) => Math.max(c.pads[i + 4]!, -Math.floor((c.shape[a]! - 1) / 2)));
      const x = randomTensor(c.shape, r);
      const fill = c.fill === 'none' ? null : Tensor.fromArray('float32', [], [c.fill === 'const' ? 2.5 : -7.25]);
      const inputs = [x, i64([...begin, ...end]), fill, axes ? i64(axes) : null];
      expect(begin.length).toBe(k);
      await agree({ op: 'Pad', inputs, consts: c.fill === 'const' ? [2] : [], attrs: { mode: c.mode }, exact: true }, c.threads);
    }), PARAMS);
  });

  it('BatchNormalization: statistics fed at run time, and training_mode=1 (batch statistics, running outputs)', async () => {
    await fc.assert(fc.asyncProperty(fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 4 }), training: fc.boolean(), outputs: fc.constantFrom(1, 3),
      momentum: fc.constantFrom(0.9, 0.5, 0), threads: fc.constantFrom(1, 2), seed: fc.integer(),
    }), async (c) => {
      const r = lcg(c.seed >>> 0);
      const C = c.shape[1]!;
      const variance = Tensor.fromArray('float32', [C], Array.from(randomTensor([C], r).data, (v) => Math.abs(v) + 0.1));
      const inputs = [randomTensor(c.shape, r), randomTensor([C], r), randomTensor([C], r), randomTensor([C], r), variance];
      await agree({ op: 'BatchNormalization', inputs, attrs: { training_mode: c.training ? 1 : 0, momentum: c.momentum, epsilon: 1e-3 }, outputs: c.training ? c.outputs : 1 }, c.threads);
    }), PARAMS);
  });

  it('ConvTranspose 1-D: groups, strides, dilations, pads, output_padding, bias (run as 2-D with a unit height)', async () => {
    await fc.assert(fc.asyncProperty(fc.record({
      g: fc.integer({ min: 1, max: 2 }), cg: fc.integer({ min: 1, max: 2 }), mg: fc.integer({ min: 1, max: 3 }), k: fc.integer({ min: 1, max: 3 }),
      s: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 2 }), p: fc.integer({ min: 0, max: 1 }), op: fc.boolean(), bias: fc.boolean(),
      W: fc.integer({ min: 1, max: 5 }), threads: fc.constantFrom(1, 2), seed: fc.integer(),
    }), async (c) => {
      const r = lcg(c.seed >>> 0);
      const x = randomTensor([2, c.g * c.cg, c.W], r), w = randomTensor([c.g * c.cg, c.mg, c.k], r);
      const attrs: Record<string, AttrValue> = { group: c.g, strides: [c.s], dilations: [c.d], pads: [c.p, 0] };
      if (c.op && c.s > 1) attrs.output_padding = [c.s - 1];
      await agree({ op: 'ConvTranspose', inputs: c.bias ? [x, w, randomTensor([c.g * c.mg], r)] : [x, w], consts: [1, 2], attrs }, c.threads);
    }), PARAMS);
  });

  it('Clip with fed bounds (either, both, min > max)', async () => {
    await fc.assert(fc.asyncProperty(fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 3 }), lo: fc.option(fc.float({ min: -1, max: 1, noNaN: true })),
      hi: fc.option(fc.float({ min: -1, max: 1, noNaN: true })), threads: fc.constantFrom(1, 2), seed: fc.integer(),
    }), async (c) => {
      const r = lcg(c.seed >>> 0);
      const s = (v: number | null) => (v === null ? null : Tensor.fromArray('float32', [], [v]));
      await agree({ op: 'Clip', inputs: [randomTensor(c.shape, r), s(c.lo), s(c.hi)], exact: true }, c.threads);
    }), PARAMS);
  });
});

// The node tests and fixture models these kernels serve, through `test-onnx`'s runner at -O2: no fallback left.
// (`layerc test-onnx ... --backend js` lists any case that still falls back and counts them: none in the shared
// fixtures since #18's typed-view kernels, test/js/typed-kernels.test.ts and test/js/onnx-cases.test.ts.)
const SERVED = (d: string) => /^(test_batchnorm_|test_clip|bn_train_step|test_convtranspose_1d)/.test(d) && !d.includes('int8');

describe('node tests and fixture models on js: no fallback', () => {
  it('the BatchNormalization and float Clip node tests and the BN training-step models run in kernels only', async () => {
    const dirs = [NODE_TESTS, MODELS].flatMap((root) => readdirSync(root).filter(SERVED).map((d) => join(root, d)));
    expect(dirs.length).toBe(14);
    const got = await onJs(dirs, await loadOptimizer(2));
    expect(got).toEqual({ failures: [], passed: got.passed, fallbacks: [], dataDependent: 0 });
    expect(got.passed).toBeGreaterThanOrEqual(dirs.length);
  }, 60_000);
});
