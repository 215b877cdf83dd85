// The WGSL kernel of ai.layerc::Attention (runtime/wgsl/kernels/attention.ts) against the reference interpreter:
// every node must run on the device (no host fallback) and agree within the derived error bound of
// test/helpers/error-bound.ts (|gpu - ref| <= 2 E + 1e-30 per element), on the edge cases and on generated shapes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileWgsl } from '../../runtime/wgsl/index.ts';
import { SAFETY, TINY, referenceWithBounds } from '../helpers/error-bound.ts';
import { KERNEL_EDGE_CASES, attentionNodesGraph, kernelCaseArb, type KernelCase } from '../passes/attention-graphs.ts';
import { hasAdapter } from './gpu.ts';

/** Worst |gpu - ref| / (SAFETY E + TINY) over every output. */
async function worst(cases: readonly KernelCase[]): Promise<number> {
  const { g, feeds } = attentionNodesGraph(cases);
  const { ref, bounds } = referenceWithBounds(g, feeds);
  const m = await compileWgsl(g);
  try {
    expect(m.info?.hostFallback).toBeUndefined();
    expect(m.info?.fallback).toBeUndefined();
    const got = await m.run(feeds);
    let w = 0;
    for (const v of g.outputs) {
      const a = got[v.name]!.data, b = ref[v.name]!.data, e = bounds.get(v.name)!.data;
      for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!) / (SAFETY * e[i]! + TINY));
    }
    return w;
  } finally { await m.dispose(); }
}

describe.skipIf(!hasAdapter)('wgsl Attention kernel vs reference', () => {
  it('edge cases (T = 1, odd T, D % 4 != 0, each mask broadcast, batch 1 and > 1, large scores)', async () => {
    expect(await worst(KERNEL_EDGE_CASES)).toBeLessThanOrEqual(1);
  }, 60_000);

  it('generated shapes, masks and scales (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(kernelCaseArb, { minLength: 8, maxLength: 8 }), async (cases) => {
      expect(await worst(cases)).toBeLessThanOrEqual(1);
    }), { seed: 2019, numRuns: 2 });
  }, 120_000);
});
