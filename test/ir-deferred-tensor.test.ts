// A Tensor whose data is computed when first read (src/ir/tensor.ts): `size` without computing it, computed once,
// seen as an ordinary tensor by comparisons and structured clones; rowScaled's values are the float64 products
// rounded once (what fold-batchnorm wrote before it was deferred), and its recipe is there until the data is read.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isDeferred, rowScaled, rowScaledOf, Tensor } from '../src/ir/tensor.ts';
import { lcg } from './helpers/random.ts';

describe('deferred tensor data', () => {
  it('is computed once, on the first read, and then reads like any tensor', () => {
    let calls = 0;
    const t = new Tensor('float32', [2, 3], () => { calls++; return Float32Array.from([1, 2, 3, 4, 5, 6]); });
    expect(t.size).toBe(6);
    expect(t.rank).toBe(2);
    expect(isDeferred(t)).toBe(true);
    expect(calls).toBe(0);
    expect(t).toEqual(Tensor.fromArray('float32', [2, 3], [1, 2, 3, 4, 5, 6]));
    expect(t.data).toBe(t.data);
    expect(calls).toBe(1);
    expect(isDeferred(t)).toBe(false);
    expect(structuredClone(t)).toEqual({ dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) });
    expect(() => (new Tensor('float32', [2, 2], () => new Float32Array(3))).data).toThrow(/data length 3/);
  });

  it('rowScaled: row r of the source times scale[r], each product in float64 rounded once; the recipe until read', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 1e9 }), (rows, n, seed) => {
      const rnd = lcg(seed);
      const source = Float32Array.from({ length: rows * n }, () => (rnd() * 2 - 1) * 10 ** Math.floor(rnd() * 8 - 4));
      const scale = Float64Array.from({ length: rows }, () => (rnd() * 2 - 1) / Math.sqrt(rnd() + 1e-3));
      const t = rowScaled([rows, n], source, scale);
      expect(rowScaledOf(t)).toEqual({ source, scale, rowLength: n });
      const want = new Float32Array(rows * n);
      for (let i = 0; i < want.length; i++) want[i] = Math.fround(source[i]! * scale[Math.floor(i / n)]!);
      expect(t.data.every((x, i) => Object.is(x, want[i]))).toBe(true);
      expect(rowScaledOf(t)).toBeUndefined();
    }), { numRuns: 100, seed: 18 });
  });
});
