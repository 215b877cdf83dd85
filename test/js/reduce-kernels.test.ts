// The js reduce kernel for every ONNX reduction (runtime/js/kernels/reduce.ts): ReduceSum, ReduceMean,
// ReduceSumSquare, ReduceL2, ReduceProd, ReduceMax, ReduceMin on seeded random shapes (odd sizes, size-1 axes,
// rank 1-4), any subset of axes (negative ones too; none = all), keepdims 0/1, 1 and 2 threads, and NaNs for
// Max/Min (a NaN wins, as in the reference). Each must get a kernel (no reference fallback) and agree with the
// reference interpreter within |js - ref| <= 1e-4 + 1e-3 |ref| (Max/Min only pick values: exactly).
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { Tensor } from '../../src/ir/tensor.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';
import { agree } from './single-op.ts';

const OPS = ['ReduceSum', 'ReduceMean', 'ReduceSumSquare', 'ReduceL2', 'ReduceProd', 'ReduceMax', 'ReduceMin'];

describe('js reduce kernels agree with the reference', () => {
  it('every reduction, any axes, keepdims, NaNs for Max/Min, 1 and 2 threads', async () => {
    await fc.assert(fc.asyncProperty(fc.record({
      op: fc.constantFrom(...OPS), shape: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }),
      axesMask: fc.integer({ min: 0, max: 15 }), negative: fc.boolean(), keepdims: fc.constantFrom(0, 1),
      nan: fc.boolean(), threads: fc.constantFrom(1, 2), seed: fc.integer(),
    }), async (c) => {
      const r = lcg(c.seed >>> 0), rank = c.shape.length;
      const x = uniformTensor(c.shape, r);
      if (c.nan && (c.op === 'ReduceMax' || c.op === 'ReduceMin')) x.data[Math.floor(r() * x.size)] = NaN;
      const axes = Array.from({ length: rank }, (_, i) => i).filter((i) => c.axesMask & (1 << i)).map((i) => (c.negative ? i - rank : i));
      const inputs = [x, axes.length ? Tensor.fromArray('int64', [axes.length], axes) : null];
      const exact = c.op === 'ReduceMax' || c.op === 'ReduceMin';
      await agree({ op: c.op, inputs, attrs: { keepdims: c.keepdims }, exact }, c.threads);
    }), { seed: 20261206, numRuns: 120 });
  }, 120_000);
});
