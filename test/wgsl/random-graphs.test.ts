// fast-check: random CNN-shaped graphs (conv — grouped, depthwise, dilated, strided, large kernels — Fused
// conv/gemm epilogues, BatchNormalization, activations, residual/broadcast adds, pools with ceil/pads,
// concat, a classifier head; generator shared with the js backend's tests) give the same outputs on the
// wgsl backend as on the reference interpreter, unoptimized and after -O2 (BN folded, epilogues fused).
// Tolerance: |wgsl - ref| <= 1e-4 + 1e-3 |ref| per element (f32 GPU arithmetic vs the f64-accumulating
// reference; conv sums here are over at most ~6*121 terms).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { runGraph } from '../../src/ir/interpret.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { optimize } from '../../passes/index.ts';
import { buildCase, graphCase, toleranceRatio } from '../js/graphs.ts';
import { hasAdapter, compileWgslLowered } from './gpu.ts';

describe.skipIf(!hasAdapter)('wgsl == reference on random conv/BN/activation graphs', () => {
  it('agree within 1e-4 + 1e-3|ref| at -O0 and -O2, with no host fallback (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(graphCase, fc.boolean(), async (c, opt) => {
      const { graph, feeds } = buildCase(c);
      const want = runGraph(graph, feeds);
      const g = cloneGraph(graph);
      if (opt) optimize(g, { level: 2 });
      const m = await compileWgslLowered(g);
      try {
        expect(m.info?.hostFallback).toBeUndefined();
        const got = await m.run(feeds);
        const ratio = toleranceRatio(got[g.outputs[0]!.name]!, want[graph.outputs[0]!.name]!);
        expect(ratio, JSON.stringify(c)).toBeLessThanOrEqual(1);
      } finally { await m.dispose(); }
    }), { numRuns: 8, seed: 2026 });
  }, 240_000);
});
