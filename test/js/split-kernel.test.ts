// Split on the js copy kernel (runtime/js/kernels/gather-copy.ts) with zero-size parts too (an empty part has
// nothing to copy; it used to send the whole node to the reference): seeded random shapes, axis (negative
// too), part sizes (zeros among them), 1 and 2 threads; a kernel, and the same bits as the reference.
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { Tensor } from '../../src/ir/tensor.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';
import { agree } from './single-op.ts';

describe('js Split', () => {
  it('splits with zero-size parts agree with the reference exactly', async () => {
    await fc.assert(fc.asyncProperty(fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }), axisPick: fc.nat(),
      negative: fc.boolean(), cuts: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), threads: fc.constantFrom(1, 2), seed: fc.integer(),
    }), async (c) => {
      const rank = c.shape.length, axis = c.axisPick % rank, n = c.shape[axis]!;
      // Part sizes: cut points in [0, n] (repeats give empty parts), then the rest.
      const points = [...c.cuts.map((k) => k % (n + 1)), n].sort((a, b) => a - b);
      const sizes = points.map((p, i) => p - (i ? points[i - 1]! : 0));
      const x = uniformTensor(c.shape, lcg(c.seed >>> 0));
      await agree({ op: 'Split', inputs: [x, Tensor.fromArray('int64', [sizes.length], sizes)], attrs: { axis: c.negative ? axis - rank : axis },
        outputs: sizes.length, exact: true }, c.threads);
    }), { seed: 20261206, numRuns: 60 });
  }, 60_000);
});
