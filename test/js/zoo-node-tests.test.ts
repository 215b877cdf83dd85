// The official ONNX node tests of #19's ops (onnx-node-tests-zoo) on the js backend at -O2, through
// `test-onnx`'s runner: the 101 the reference passes pass; node fallbacks only where pinned.
import { describe, expect, it } from 'vitest';
import { loadOptimizer } from '../../src/cli/level.ts';
import { NODE_TESTS_ZOO } from '../fixtures.ts';
import { onJs } from './zoo-cases.ts';

// No case leaves anything to the reference interpreter: the float64 Einsum tests run on a Float64Array view of
// the arena, and Resize/Upsample with fed scales or roi are specialized by value like small int64 inputs
// (test/js/typed-kernels.test.ts).
// The two node tests with bad expected data fail on every backend (test/onnx/node-tests-zoo.test.ts).
const KNOWN_BAD_DATA = ['test_resize_downsample_scales_cubic_align_corners', 'test_resize_downsample_scales_linear_align_corners'];

describe('onnx-node-tests-zoo on js', () => {
  it('the 101 node tests the reference passes pass at -O2, none with a fallback', async () => {
    // (At -O0 the _expanded LayerNorm tests keep their int64 shape arithmetic — Cast of Size — which the js Cast
    // kernel runs: test/js/typed-kernels.test.ts checks one of them at -O0.)
    expect(await onJs([NODE_TESTS_ZOO], await loadOptimizer(2))).toEqual({ failures: KNOWN_BAD_DATA, passed: 101, fallbacks: [], dataDependent: 0 });
  }, 120_000);
});
