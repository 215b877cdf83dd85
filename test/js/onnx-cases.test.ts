// The ONNX backend node tests and fixture models (../shared/fixtures, made with PyTorch/ONNX) on the js
// backend: every case the reference backend passes must pass here too (kernels, fallback and lowering).
import { describe, expect, it } from 'vitest';
import { MODELS, NODE_TESTS } from '../fixtures.ts';
import { caseName, findCases, runCase } from '../../src/cli/onnx-cases.ts';

describe('test-onnx cases on the js backend', () => {
  it('pass wherever the reference passes', async () => {
    const roots = [NODE_TESTS, MODELS];
    const failures: string[] = [];
    let passed = 0;
    for (const dir of findCases(roots)) {
      const name = caseName(dir, roots);
      const ref = await runCase(dir, name, { backend: 'reference' });
      if (ref.status !== 'PASS') continue;
      const js = await runCase(dir, name, { backend: 'js' });
      if (js.status === 'PASS') passed++;
      else failures.push(`${name}: ${js.status} ${js.reason ?? js.maxAbsErr}`);
    }
    expect(failures).toEqual([]);
    expect(passed).toBeGreaterThan(100);
  }, 300_000);
});
