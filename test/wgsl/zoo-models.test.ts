// The zoo models (PyTorch exports with PyTorch's outputs) on the wgsl backend through `test-onnx`'s runner at
// -O0 and -O2: every case passes with kernels only (no host or reference fallback).
import { describe, expect, it } from 'vitest';
import { caseName, findCases, runCase } from '../../src/cli/onnx-cases.ts';
import { loadOptimizer } from '../../src/cli/level.ts';
import { ZOO } from '../fixtures.ts';
import { hasAdapter } from './gpu.ts';

describe.skipIf(!hasAdapter)('zoo models on wgsl', () => {
  it('tiny_vit, tiny_unet (and the CNN zoo cases) pass at -O0 and -O2 with kernels only', async () => {
    for (const optimize of [undefined, await loadOptimizer(2)]) {
      const out: string[] = [];
      for (const dir of findCases([ZOO])) {
        const r = await runCase(dir, caseName(dir, [ZOO]), { backend: 'wgsl', optimize });
        out.push(`${r.name}: ${r.status}${r.fallback ? ` [fallback: ${r.fallback}]` : ''}`);
      }
      expect(out).toEqual(['mobilenet_v3_small', 'shufflenet_v2_x0_5', 'tiny_unet', 'tiny_vit'].map((n) => `${n}: PASS`));
    }
  }, 120_000);
});
