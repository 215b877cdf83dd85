// The official ONNX node tests of the transformer / encoder-decoder ops (onnx-node-tests-zoo, 103 cases) and
// the zoo models (PyTorch exports with PyTorch's outputs) through `test-onnx`'s runner on the reference
// backend. Counts are pinned: a regression shows as a missing name, a new failure as a changed list.
import { describe, expect, it } from 'vitest';
import { caseName, findCases, runCase, type CaseResult } from '../../src/cli/onnx-cases.ts';
import { loadOptimizer, type Optimize } from '../../src/cli/level.ts';
import { NODE_TESTS_ZOO, ZOO } from '../fixtures.ts';

// The two cases onnxruntime fails too (fixtures README): their expected data (ONNX 1.12) does not follow the
// spec's align_corners formula x * (in - 1) / (out - 1) when downsampling.
const KNOWN_BAD_DATA = ['test_resize_downsample_scales_cubic_align_corners', 'test_resize_downsample_scales_linear_align_corners'];

async function runAll(roots: string[], optimize?: Optimize): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const dir of findCases(roots)) out.push(await runCase(dir, caseName(dir, roots), { optimize }));
  return out;
}

describe('onnx-node-tests-zoo and zoo models (reference backend)', () => {
  it('101 of the 103 node tests pass (every one onnxruntime passes); the other two are the known bad data', async () => {
    const results = await runAll([NODE_TESTS_ZOO]);
    expect(results.length).toBe(103);
    expect(results.filter((r) => r.status === 'UNSUPPORTED').map((r) => `${r.name}: ${r.reason}`)).toEqual([]);
    expect(results.filter((r) => r.status === 'FAIL').map((r) => r.name).sort()).toEqual(KNOWN_BAD_DATA);
    expect(results.filter((r) => r.status === 'PASS').length).toBe(101);
  }, 120_000);

  it('every zoo model passes at -O0 and -O2', async () => {
    const O2 = await loadOptimizer(2);
    for (const optimize of [undefined, O2]) {
      const results = await runAll([ZOO], optimize);
      expect(results.map((r) => `${r.name}: ${r.status}${r.reason ? ` ${r.reason}` : ''}`)).toEqual(
        ['mobilenet_v3_small', 'shufflenet_v2_x0_5', 'tiny_unet', 'tiny_vit'].map((n) => `${n}: PASS`));
    }
  }, 120_000);
});
