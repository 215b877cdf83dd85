// MaxPool / AveragePool over three spatial axes on the js backend (runtime/js/kernels/pool.ts poolNd; they used
// to run on the reference): seeded random shapes (odd sizes), kernels 1-3 per axis, strides, dilations,
// asymmetric pads, ceil_mode, count_include_pad, NaNs for MaxPool, 1 and 2 threads. A kernel (no fallback) that
// agrees with the reference: MaxPool bit for bit, AveragePool within |js - ref| <= 1e-4 + 1e-3 |ref|.
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { lcg, uniformTensor } from '../helpers/random.ts';
import { agree } from './single-op.ts';

const axis = fc.record({ size: fc.integer({ min: 1, max: 6 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 2 }),
  d: fc.integer({ min: 1, max: 2 }), pb: fc.integer({ min: 0, max: 1 }), pe: fc.integer({ min: 0, max: 1 }) });

describe('js 3-D pooling', () => {
  it('MaxPool and AveragePool with strides, dilations, pads, ceil_mode, count_include_pad', async () => {
    await fc.assert(fc.asyncProperty(fc.record({
      op: fc.constantFrom('MaxPool', 'AveragePool'), axes: fc.array(axis, { minLength: 3, maxLength: 3 }), n: fc.integer({ min: 1, max: 2 }),
      c: fc.integer({ min: 1, max: 3 }), ceil: fc.constantFrom(0, 1), includePad: fc.constantFrom(0, 1), nan: fc.boolean(),
      threads: fc.constantFrom(1, 2), seed: fc.integer(),
    }), async (t) => {
      // Every axis needs a window that fits the padded input, and a pad smaller than the window extent.
      const ax = t.axes.map((a) => {
        const ext = (a.k - 1) * (t.op === 'MaxPool' ? a.d : 1) + 1;
        const pb = Math.min(a.pb, ext - 1), pe = Math.min(a.pe, ext - 1);
        return { ...a, size: Math.max(a.size, ext - pb - pe), pb, pe, d: t.op === 'MaxPool' ? a.d : 1 };
      });
      const r = lcg(t.seed >>> 0);
      const x = uniformTensor([t.n, t.c, ...ax.map((a) => a.size)], r);
      if (t.nan && t.op === 'MaxPool') x.data[Math.floor(r() * x.size)] = NaN;
      const attrs: Record<string, number | number[]> = { kernel_shape: ax.map((a) => a.k), strides: ax.map((a) => a.s),
        pads: [...ax.map((a) => a.pb), ...ax.map((a) => a.pe)], ceil_mode: t.ceil };
      if (t.op === 'MaxPool') attrs.dilations = ax.map((a) => a.d);
      else attrs.count_include_pad = t.includePad;
      await agree({ op: t.op, inputs: [x], attrs, exact: t.op === 'MaxPool' }, t.threads);
    }), { seed: 20261206, numRuns: 80 });
  }, 120_000);
});
