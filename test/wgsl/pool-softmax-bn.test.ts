// Pooling, softmax and BN-inference kernels vs plain loops written here from the ONNX definitions.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { emitPool, emitRowMean } from '../../runtime/wgsl/kernels/pool.ts';
import { emitSoftmax } from '../../runtime/wgsl/kernels/softmax.ts';
import { emitBatchNormInference } from '../../runtime/wgsl/kernels/batchnorm.ts';
import { runKernel } from '../../runtime/wgsl/run-kernel.ts';
import { hasAdapter, randF32, useDevice } from './gpu.ts';

const gpu = useDevice();
const rand = randF32;
const maxErr = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe.skipIf(!hasAdapter)('wgsl pool / softmax / batchnorm', () => {
  it('MaxPool and AveragePool match a plain loop (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom('max', 'avg') as fc.Arbitrary<'max' | 'avg'>, fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 2, max: 8 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 1 }),
      fc.boolean(), fc.integer({ min: 1, max: 1e6 }), async (kind, C, H, K, S, P, incl, seed) => {
        if (P >= K) return;
        const OH = Math.floor((H + 2 * P - K) / S) + 1;
        if (OH < 1) return;
        const x = rand(C * H * H, seed);
        const { code, wg } = emitPool({ kind, x: [1, C, H, H], y: [1, C, OH, OH], kernel: [K, K], strides: [S, S], dilations: [1, 1],
          pads: [P, P, P, P], countIncludePad: incl });
        const got = await runKernel(gpu(), code, wg, [x], C * OH * OH);
        const want: number[] = [];
        for (let c = 0; c < C; c++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OH; ox++) {
          let acc = kind === 'max' ? -Infinity : 0, cnt = 0;
          for (let ky = 0; ky < K; ky++) for (let kx = 0; kx < K; kx++) {
            const iy = oy * S + ky - P, ix = ox * S + kx - P;
            if (iy < 0 || iy >= H || ix < 0 || ix >= H) continue;
            const v = x[(c * H + iy) * H + ix]!;
            acc = kind === 'max' ? Math.max(acc, v) : acc + v; cnt++;
          }
          want.push(kind === 'max' ? acc : acc / (incl ? K * K : cnt));
        }
        expect(maxErr(got, want)).toBeLessThan(1e-5);
      }), { numRuns: 15, seed: 3 });
  });

  it('GlobalAveragePool (row mean) matches a plain loop', async () => {
    const x = rand(6 * 49, 5);
    const { code, wg } = emitRowMean(6, 49);
    const got = await runKernel(gpu(), code, wg, [x], 6);
    const want = Array.from({ length: 6 }, (_, r) => x.slice(r * 49, r * 49 + 49).reduce((a, b) => a + b, 0) / 49);
    expect(maxErr(got, want)).toBeLessThan(1e-5);
  });

  it('Softmax over the last axis matches a plain loop, also for large logits', async () => {
    const x = rand(5 * 13, 9, -100, 100);
    const { code, wg } = emitSoftmax(5, 13);
    const got = await runKernel(gpu(), code, wg, [x], 65);
    const want: number[] = [];
    for (let r = 0; r < 5; r++) {
      const row = Array.from(x.slice(r * 13, r * 13 + 13)); const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m)); const s = e.reduce((a, b) => a + b, 0);
      want.push(...e.map((v) => v / s));
    }
    expect(maxErr(got, want)).toBeLessThan(1e-5);
  });

  it('BatchNormalization inference matches the formula', async () => {
    const C = 3, S = 10, x = rand(2 * C * S, 1), sc = rand(C, 2), b = rand(C, 3), mean = rand(C, 4), v = rand(C, 5, 0.1, 2);
    const { code, wg } = emitBatchNormInference(2 * C * S, C, S, 1e-3);
    const got = await runKernel(gpu(), code, wg, [x, sc, b, mean, v], 2 * C * S);
    const want = Array.from(x, (xv, i) => { const c = Math.floor(i / S) % C; return (xv - mean[c]!) * sc[c]! / Math.sqrt(v[c]! + 1e-3) + b[c]!; });
    expect(maxErr(got, want)).toBeLessThan(1e-5);
  });
});
