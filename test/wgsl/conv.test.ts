// Direct/grouped/depthwise convolution kernel with the fused epilogue (bias add, BN-style scale, activation)
// vs a plain-loop convolution written here from the ONNX Conv definition.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { emitConv } from '../../runtime/wgsl/kernels/conv.ts';
import { runKernel } from '../../runtime/wgsl/run-kernel.ts';
import type { EpilogueStep } from '../../src/ops/fused.ts';
import { hasAdapter, randF32, useDevice } from './gpu.ts';

const gpu = useDevice();
const rand = randF32;

const convCase = fc.record({
  N: fc.integer({ min: 1, max: 2 }), g: fc.integer({ min: 1, max: 3 }), cg: fc.integer({ min: 1, max: 3 }), mg: fc.integer({ min: 1, max: 5 }),
  H: fc.integer({ min: 3, max: 9 }), W: fc.integer({ min: 3, max: 9 }), K: fc.integer({ min: 1, max: 3 }),
  s: fc.integer({ min: 1, max: 2 }), d: fc.integer({ min: 1, max: 2 }), p: fc.integer({ min: 0, max: 2 }),
  act: fc.constantFrom('Relu', 'Sigmoid', 'Clip', 'none'), seed: fc.integer({ min: 1, max: 1e6 }),
});

describe.skipIf(!hasAdapter)('wgsl conv', () => {
  it('grouped/depthwise conv + bias + scale + activation matches a plain loop (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(convCase, async (c) => {
      const C = c.g * c.cg, M = c.g * c.mg;
      const OH = Math.floor((c.H + 2 * c.p - c.d * (c.K - 1) - 1) / c.s) + 1;
      const OW = Math.floor((c.W + 2 * c.p - c.d * (c.K - 1) - 1) / c.s) + 1;
      if (OH < 1 || OW < 1) return;
      const x = rand(c.N * C * c.H * c.W, c.seed), w = rand(M * c.cg * c.K * c.K, c.seed + 1);
      const bias = rand(M, c.seed + 2), scale = rand(M, c.seed + 3);
      const epilogue: EpilogueStep[] = [{ kind: 'add' as const, input: 2 }, { kind: 'mul' as const, input: 3 },
        ...(c.act === 'none' ? [] : [{ kind: 'act' as const, name: c.act, params: c.act === 'Clip' ? { min: 0, max: 0.3 } : {} } as EpilogueStep])];
      const { code, wg } = emitConv({ x: [c.N, C, c.H, c.W], w: [M, c.cg, c.K, c.K], y: [c.N, M, OH, OW],
        strides: [c.s, c.s], dilations: [c.d, c.d], pads: [c.p, c.p, c.p, c.p], group: c.g,
        operands: [{ input: 2, index: 'chan' }, { input: 3, index: [M, 1, 1] }], epilogue });
      const got = await runKernel(gpu(), code, wg, [x, w, bias, scale], c.N * M * OH * OW);
      let err = 0, i = 0;
      for (let n = 0; n < c.N; n++) for (let m = 0; m < M; m++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
        const gi = Math.floor(m / c.mg);
        let v = 0;
        for (let cc = 0; cc < c.cg; cc++) for (let ky = 0; ky < c.K; ky++) for (let kx = 0; kx < c.K; kx++) {
          const iy = oy * c.s + ky * c.d - c.p, ix = ox * c.s + kx * c.d - c.p;
          if (iy < 0 || iy >= c.H || ix < 0 || ix >= c.W) continue;
          v += x[((n * C + gi * c.cg + cc) * c.H + iy) * c.W + ix]! * w[((m * c.cg + cc) * c.K + ky) * c.K + kx]!;
        }
        v = (v + bias[m]!) * scale[m]!;
        if (c.act === 'Relu') v = Math.max(0, v);
        else if (c.act === 'Sigmoid') v = 1 / (1 + Math.exp(-v));
        else if (c.act === 'Clip') v = Math.min(0.3, Math.max(0, v));
        err = Math.max(err, Math.abs(v - got[i++]!));
      }
      expect(err).toBeLessThan(1e-4);
    }), { numRuns: 15, seed: 11 });
  });
});
