// Runs every ONNX node test and fixture model through `test-onnx`'s runner on the reference backend.
// No case may FAIL; the PASS set may only grow (regressions show as a missing name).
import { describe, expect, it } from 'vitest';
import { caseName, findCases, runCase, type CaseResult } from '../../src/cli/onnx-cases.ts';
import { MODELS, NODE_TESTS } from '../fixtures.ts';

// Cases that passed when this list was written; importer or op regressions drop names from the PASS set.
const MUST_PASS = [
  'test_relu', 'test_sigmoid', 'test_tanh', 'test_transpose_default', 'test_reshape_negative_dim',
  'test_softmax_example_expanded', 'test_softmax_axis_0_expanded', 'test_globalaveragepool', 'test_globalaveragepool_precomputed',
  'lenet_bn', 'bn_train_step_mlp_bn/with_running_stats',
];

describe('onnx node tests and fixture models (reference backend)', () => {
  it('no case fails; unsupported ones give a LayercError reason', async () => {
    const roots = [NODE_TESTS, MODELS];
    const results: CaseResult[] = [];
    for (const dir of findCases(roots)) results.push(await runCase(dir, caseName(dir, roots)));
    const failed = results.filter((r) => r.status === 'FAIL').map((r) => `${r.name}: ${r.reason}`);
    expect(failed).toEqual([]);
    for (const r of results.filter((x) => x.status === 'UNSUPPORTED')) expect(r.reason).toMatch(/^LC0\d\d /);
    const passed = new Set(results.filter((r) => r.status === 'PASS').map((r) => r.name));
    for (const name of MUST_PASS) expect(passed.has(name), name).toBe(true);
    // Every case of the fixtures passes today: 145 node tests (incl. the opset-1 GlobalAveragePool ones,
    // accepted by per-op version resolution) and 7 fixture model cases. A new fixture must pass or be explained.
    expect(results.filter((r) => r.status === 'UNSUPPORTED').map((r) => `${r.name}: ${r.reason}`)).toEqual([]);
    expect(passed.size).toBe(152);
  }, 120_000);
});
