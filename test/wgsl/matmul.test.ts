// The tiled MatMul kernel (+ fused epilogue) vs plain JS loops, on sizes that do and do not divide the tile.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { emitMatMul } from '../../runtime/wgsl/kernels/matmul.ts';
import { runKernel } from '../../runtime/wgsl/run-kernel.ts';
import { hasAdapter, randF32, useDevice } from './gpu.ts';

const gpu = useDevice();
const rand = randF32;

describe.skipIf(!hasAdapter)('wgsl tiled matmul', () => {
  it('direct form (CPU adapters) matches a plain loop, with transA/transB and bias add + LeakyRelu epilogue (fast-check)', async () => {
    await check(false, 8);
  });

  // Workgroup barriers cost ~10 s of pipeline compilation per kernel on lavapipe: one case keeps it honest.
  it('tiled form (workgroup memory, GPUs) matches a plain loop on one transposed, fused case', async () => {
    await check(true, 1);
  }, 120_000);
});

async function check(tiled: boolean, numRuns: number): Promise<void> {
  {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 40 }),
      fc.boolean(), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 1e6 }), async (M, K, N, fused, tA, tB, seed) => {
        const a = rand(M * K, seed), b = rand(K * N, seed + 1), bias = rand(N, seed + 2);
        const { code, wg } = emitMatMul({ M, K, N, tiled, transA: tA, transB: tB, operands: fused ? [{ input: 2, index: [N] }] : [],
          epilogue: fused ? [{ kind: 'add', input: 2 }, { kind: 'act', name: 'LeakyRelu', params: { alpha: 0.1 } }] : [] });
        const got = await runKernel(gpu(), code, wg, fused ? [a, b, bias] : [a, b], M * N);
        let err = 0;
        for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
          let v = 0;
          for (let k = 0; k < K; k++) v += a[tA ? k * M + i : i * K + k]! * b[tB ? j * K + k : k * N + j]!;
          if (fused) { v += bias[j]!; v = v >= 0 ? v : 0.1 * v; }
          err = Math.max(err, Math.abs(v - got[i * N + j]!));
        }
        expect(err).toBeLessThan(1e-4);
      }), { numRuns, seed: tiled ? 3 : 7 });
  }
}
