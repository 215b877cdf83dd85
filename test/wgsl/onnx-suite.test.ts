// `layerc test-onnx ... --backend wgsl -O2` in-process: every ONNX node test and fixture model that the
// reference backend passes must pass on WGSL (on the software adapter in CI). The NN fixture models must run
// entirely in WGSL kernels: no node of theirs may fall back to the host.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { caseName, findCases, runCase } from '../../src/cli/onnx-cases.ts';
import { loadOptimizer } from '../../src/cli/level.ts';
import { loadOnnxFile } from '../../src/frontend/onnx.ts';
import { MODELS, NODE_TESTS } from '../fixtures.ts';
import { hasAdapter, compileWgslLowered } from './gpu.ts';

const roots = [NODE_TESTS, MODELS];

describe.skipIf(!hasAdapter)('test-onnx on wgsl -O2', () => {
  it('passes every case the reference backend passes', async () => {
    const optimize = await loadOptimizer(2);
    const failures: string[] = [];
    let passed = 0;
    for (const dir of findCases(roots)) {
      const name = caseName(dir, roots);
      const ref = await runCase(dir, name, { backend: 'reference', optimize });
      if (ref.status !== 'PASS') continue;
      const r = await runCase(dir, name, { backend: 'wgsl', optimize });
      if (r.status === 'PASS') passed++; else failures.push(`${name}: ${r.status} ${r.reason ?? ''}`);
    }
    expect(failures).toEqual([]);
    expect(passed).toBeGreaterThanOrEqual(150);
  }, 180_000);

  it('the NN fixture models run without host fallback', async () => {
    const optimize = await loadOptimizer(2);
    for (const name of ['lenet_bn', 'mlp_bn', 'squeezenet1_1', 'bn_train_step_mlp_bn']) {
      const g = loadOnnxFile(join(MODELS, name, 'model.onnx'));
      optimize(g);
      const m = await compileWgslLowered(g);
      await m.dispose();
      expect(m.info?.hostFallback, name).toBeUndefined();
      expect(m.info?.fallback, name).toBeUndefined();
      expect(Number(m.info?.kernels), name).toBeGreaterThan(0);
    }
  });
});
