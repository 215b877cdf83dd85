// Edge cases from issue #16 where the backends disagreed or the wgsl backend blamed itself (LC081):
// Clip with min > max (spec: min(max(x, min), max), so every output is max, as onnxruntime computes),
// ReduceMean over an empty axis (NaN, as 0/0), values past the u32 index range (a clear LC075), and a
// Concat of thousands of inputs (host copy instead of one shader per input).
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../../src/frontend/onnx.ts';
import { getBackend } from '../../runtime/backend.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { LayercError } from '../../src/diagnostics.ts';
import { floatTensor, model, vi } from '../onnx/build.ts';
import { hasAdapter } from './gpu.ts';

const BACKENDS = ['reference', 'js', ...(hasAdapter ? ['wgsl'] : [])];

async function run(bytes: Uint8Array, feeds: Record<string, Tensor>, backend: string): Promise<Record<string, Tensor>> {
  const m = await (await getBackend(backend)).compile(importOnnx(bytes), { threads: 2 });
  try { return await m.run(feeds); } finally { await m.dispose(); }
}

describe('edge cases agree across backends', () => {
  it('Clip with min 5 > max 1: every output is 1 on every backend and in onnxruntime, standalone and fused after a Conv', async () => {
    const x = Tensor.fromArray('float32', [1, 1, 2, 3], [-1, 0, 2, 3, 6, 7]);
    const clip = model([{ opType: 'Clip', name: 'c', input: ['x', 'lo', 'hi'], output: ['y'] }],
      { inputs: [vi('x', [1, 1, 2, 3])], outputs: [vi('y', [1, 1, 2, 3])], initializer: [floatTensor('lo', [], [5]), floatTensor('hi', [], [1])] });
    const conv = model([{ opType: 'Conv', name: 'k', input: ['x', 'w'], output: ['t'] }, { opType: 'Clip', name: 'c', input: ['t', 'lo', 'hi'], output: ['y'] }],
      { inputs: [vi('x', [1, 1, 2, 3])], outputs: [vi('y', [1, 1, 2, 3])], initializer: [floatTensor('w', [1, 1, 1, 1], [2]), floatTensor('lo', [], [5]), floatTensor('hi', [], [1])] });
    for (const bytes of [clip, conv]) {
      const s = await ort.InferenceSession.create(bytes);
      const want = Array.from((await s.run({ x: new ort.Tensor('float32', x.data as Float32Array, [1, 1, 2, 3]) })).y.data as Float32Array);
      expect(want).toEqual([1, 1, 1, 1, 1, 1]);
      for (const b of BACKENDS) expect(Array.from((await run(bytes, { x }, b)).y.data), b).toEqual(want);
    }
  });

  it('ReduceMean over an empty axis is NaN on every backend (wgsl used to fail to compile: integer division by zero)', async () => {
    const bytes = model([{ opType: 'ReduceMean', name: 'r', input: ['x'], output: ['y'], attribute: [{ name: 'axes', type: 7, ints: [1] }] }],
      { inputs: [vi('x', [2, 0, 3])], outputs: [vi('y', [2, 1, 3])], opset: 17 });
    for (const b of BACKENDS) {
      const y = (await run(bytes, { x: Tensor.zeros('float32', [2, 0, 3]) }, b)).y;
      expect(y.shape, b).toEqual([2, 1, 3]);
      expect(Array.from(y.data).every(Number.isNaN), b).toBe(true);
    }
  });

  it.skipIf(!hasAdapter)('wgsl: a value past the u32 index range is LC075 naming it, not LC081', async () => {
    const prev = { ...process.env };
    process.env.LAYERC_MAX_TENSOR_ELEMENTS = String(2 ** 33);
    process.env.LAYERC_MAX_TOTAL_BYTES = String(2 ** 36);
    try {
      const g = importOnnx(model([{ opType: 'Relu', name: 'r', input: ['x'], output: ['y'] }], { inputs: [vi('x', [65536, 65537])], outputs: [vi('y', [65536, 65537])] }));
      let err: unknown;
      try { await (await getBackend('wgsl')).compile(g); } catch (e) { err = e; }
      expect((err as LayercError).code).toBe('LC075');
      expect((err as LayercError).message).toMatch(/value 'x' \[65536, 65537\] needs indices past the u32 range/);
    } finally { process.env = prev; }
  });

  it('Concat of 20000 inputs: every backend matches the reference within seconds (wgsl copies on the host)', async () => {
    const K = 20000;
    const bytes = model([{ opType: 'Concat', name: 'c', input: Array(K).fill('x'), output: ['y'], attribute: [{ name: 'axis', type: 2, i: 0 }] }],
      { inputs: [vi('x', [1, 3])], outputs: [vi('y', [K, 3])] });
    const x = Tensor.fromArray('float32', [1, 3], [1, 2, 3]);
    const want = await run(bytes, { x }, 'reference');
    expect(Array.from(want.y.data.slice(-6))).toEqual([1, 2, 3, 1, 2, 3]);
    for (const b of BACKENDS) {
      const t0 = performance.now();
      expect(Array.from((await run(bytes, { x }, b)).y.data)).toEqual(Array.from(want.y.data));
      expect(performance.now() - t0, b).toBeLessThan(15_000);
    }
  }, 60_000);
});
