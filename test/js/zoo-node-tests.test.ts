// The official ONNX node tests of #19's ops (onnx-node-tests-zoo) on the js backend at -O2, through
// `test-onnx`'s runner: the 101 the reference passes pass; node fallbacks only where pinned.
import { describe, expect, it } from 'vitest';
import { loadOptimizer } from '../../src/cli/level.ts';
import { NODE_TESTS_ZOO } from '../fixtures.ts';
import { onJs } from './zoo-cases.ts';

// Cases the js backend leaves to the reference interpreter: the Einsum node tests are float64 (the js kernels
// are float32).
// The shared compile path specializes small int64 inputs by value when shapes depend on them (as wgsl did), so
// 14 cases that ran wholly on the reference now get kernels; one of them keeps one node on the reference
// (a Split with zero-size parts now has its kernel too).
const PINNED_FALLBACK = ['test_einsum_batch_diagonal', 'test_einsum_batch_matmul', 'test_einsum_inner_prod', 'test_einsum_sum', 'test_einsum_transpose',
  'test_resize_tf_crop_and_resize'];

// The two node tests with bad expected data fail on every backend (test/onnx/node-tests-zoo.test.ts).
const KNOWN_BAD_DATA = ['test_resize_downsample_scales_cubic_align_corners', 'test_resize_downsample_scales_linear_align_corners'];

describe('onnx-node-tests-zoo on js', () => {
  it('the 101 node tests the reference passes pass at -O2; only the float64 Einsum ones fall back', async () => {
    // (At -O0 the _expanded LayerNorm tests also run their int64 shape arithmetic — Cast of Size — on the
    // reference: only -O2 folds it. `layerc test-onnx --backend js` marks such cases [fallback: ...].)
    expect(await onJs([NODE_TESTS_ZOO], await loadOptimizer(2))).toEqual({ failures: KNOWN_BAD_DATA, passed: 101, fallbacks: PINNED_FALLBACK, dataDependent: 14 });
  }, 120_000);
});
