// NaN in MaxPool: ONNX leaves it unspecified and onnxruntime's answer depends on the operand order of its SIMD max
// ([1, NaN] -> NaN but [NaN, 2] -> 2). layerc picks one rule for the reference and the js kernels: a NaN anywhere
// in the window gives NaN (PyTorch's max_pool and wasm's f32x4.max do the same). The js 2-D paths (SIMD row kernel,
// in-place rows, JS loops with padding/dilation) and the N-D loops must agree with the reference bit for bit.
// (WGSL may assume no NaNs are present, so the wgsl backend makes no promise here.)
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Tensor } from '../../src/ir/tensor.ts';
import { runRef } from '../helpers/single-node.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';
import { agree } from './single-op.ts';

describe('MaxPool with NaN', () => {
  it('the reference: any NaN in the window gives NaN, wherever it is', () => {
    const x = new Tensor('float32', [1, 1, 1, 5], Float32Array.from([1, NaN, 2, 3, NaN]));
    const [y] = runRef({ op: 'MaxPool', inputs: [x], attrs: { kernel_shape: [1, 2] } }).outputs;
    expect(Array.from(y!.data)).toEqual([NaN, NaN, 3, NaN]);
    const [g] = runRef({ op: 'GlobalMaxPool', inputs: [x] }).outputs;
    expect(Array.from(g!.data)).toEqual([NaN]);
  });

  it('js 2-D and 3-D kernels agree with the reference bit for bit', async () => {
    await fc.assert(fc.asyncProperty(fc.record({
      rank: fc.constantFrom(2, 2, 3), size: fc.integer({ min: 2, max: 9 }), c: fc.integer({ min: 1, max: 5 }),
      k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 2 }), d: fc.integer({ min: 1, max: 2 }),
      pad: fc.integer({ min: 0, max: 1 }), nans: fc.integer({ min: 1, max: 4 }), threads: fc.constantFrom(1, 2), seed: fc.integer(),
    }), async (t) => {
      const ext = (t.k - 1) * t.d + 1, pad = Math.min(t.pad, ext - 1), size = Math.max(t.size, ext);
      const r = lcg(t.seed >>> 0);
      const x = uniformTensor([2, t.c, ...Array(t.rank).fill(size)], r);
      for (let i = 0; i < t.nans; i++) x.data[Math.floor(r() * x.size)] = NaN;
      const attrs = { kernel_shape: Array(t.rank).fill(t.k), strides: Array(t.rank).fill(t.s), dilations: Array(t.rank).fill(t.d),
        pads: Array(2 * t.rank).fill(pad) };
      await agree({ op: 'MaxPool', inputs: [x], attrs, exact: true }, t.threads);
    }), { seed: 6122026, numRuns: 60 });
  }, 120_000);
});
