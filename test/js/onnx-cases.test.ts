// The ONNX backend node tests and fixture models (../shared/fixtures, made with PyTorch/ONNX) on the js
// backend: every case the reference backend passes must pass here too (kernels, fallback and lowering), as
// loaded (-O0: the backend's own lowering fuses) and after the optimizer (-O2, as `layerc test-onnx -O2` runs).
// Each in the backend's kernels only: nothing left to the reference interpreter (#18).
import { describe, expect, it } from 'vitest';
import { MODELS, NODE_TESTS } from '../fixtures.ts';
import { caseName, findCases, runCase } from '../../src/cli/onnx-cases.ts';
import { loadOptimizer } from '../../src/cli/level.ts';

describe('test-onnx cases on the js backend', () => {
  it('pass wherever the reference passes, with no reference fallback', async () => {
    const roots = [NODE_TESTS, MODELS];
    const failures: string[] = [];
    const O2 = await loadOptimizer(2);
    let passed = 0;
    for (const dir of findCases(roots)) {
      const name = caseName(dir, roots);
      const ref = await runCase(dir, name, { backend: 'reference' });
      if (ref.status !== 'PASS') continue;
      for (const [level, optimize] of [['-O0', undefined], ['-O2', O2]] as const) {
        const js = await runCase(dir, name, { backend: 'js', optimize });
        if (js.status === 'PASS' && !js.fallback) passed++;
        else failures.push(`${name} ${level}: ${js.status} ${js.reason ?? js.maxAbsErr}${js.fallback ? ` [fallback: ${js.fallback}]` : ''}`);
      }
    }
    expect(failures).toEqual([]);
    expect(passed).toBeGreaterThan(200);
  }, 300_000);
});
