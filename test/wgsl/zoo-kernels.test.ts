// The WGSL kernels of the transformer / encoder-decoder ops (#19) against the reference interpreter: single-node
// graphs compiled by the wgsl backend must run with no host fallback and agree within |gpu - ref| <= 1e-4 +
// 1e-3 |ref| (f32 kernels, f32 row sums; erf to 1.5e-7). The zoo models: zoo-models.test.ts.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph, type AttrValue } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { compileWgsl } from '../../runtime/wgsl/index.ts';
import { toleranceRatio } from '../js/graphs.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';
import { hasAdapter } from './gpu.ts';

interface Case { op: string; inputs: (Tensor | null)[]; consts?: number[]; attrs?: Record<string, AttrValue>; outputs?: number }

/** Builds one graph holding every case (one pipeline set, one device) and checks each output. */
async function agreeAll(cases: Case[]): Promise<void> {
  const g = new Graph('zoo-ops');
  const feeds: Record<string, Tensor> = {};
  const labels = new Map<string, string>();
  cases.forEach((c, j) => {
    const ins = c.inputs.map((t, i) => {
      if (!t) return null;
      if (c.consts?.includes(i) || t.dtype !== 'float32') return g.addConst(`c${j}_${i}`, t);
      feeds[`x${j}_${i}`] = t;
      return g.addInput(`x${j}_${i}`, { dtype: t.dtype, shape: [...t.shape] });
    });
    const n = g.addNode(c.op, ins, c.attrs ?? {}, { numOutputs: c.outputs ?? 1 });
    for (const v of n.outputs) { g.outputs.push(v); labels.set(v.name, `${c.op} ${JSON.stringify(c.attrs ?? {})} [${c.inputs[0]?.shape.join(',')}]`); }
  });
  inferShapes(g);
  const ref = runGraph(g, feeds);
  const m = await compileWgsl(g);
  try {
    expect(m.info?.hostFallback).toBeUndefined();
    expect(m.info?.fallback).toBeUndefined();
    const got = await m.run(feeds);
    for (const v of g.outputs) expect(toleranceRatio(got[v.name]!, ref[v.name]!), labels.get(v.name)).toBeLessThanOrEqual(1);
  } finally { await m.dispose(); }
}

const i64 = (v: number[]) => Tensor.fromArray('int64', [v.length], v);
const f32 = (v: number[]) => Tensor.fromArray('float32', [v.length], v);

describe.skipIf(!hasAdapter)('#19 wgsl kernels vs reference', () => {
  it('unary, data movement, normalizations, Sum/Mean', async () => {
    const r = lcg(31);
    const t = (...s: number[]) => uniformTensor(s, r);
    const x = uniformTensor([2, 4, 5, 6], r, -5, 5);
    await agreeAll([
      ...['Erf', 'Softplus', 'Mish', 'Sin', 'Cos'].map((op) => ({ op, inputs: [x] })),
      { op: 'Gelu', inputs: [x] }, { op: 'Gelu', inputs: [x], attrs: { approximate: 'tanh' } },
      { op: 'Slice', inputs: [x, i64([1, -1]), i64([4, -7]), i64([1, 3]), i64([2, -2])] },
      { op: 'Gather', inputs: [x, Tensor.scalar('int64', -1)], attrs: { axis: 2 } },
      { op: 'Gather', inputs: [x, i64([2])], attrs: { axis: 1 } },
      { op: 'Split', inputs: [x, i64([2, 4])], attrs: { axis: 3 }, outputs: 2 },
      { op: 'DepthToSpace', inputs: [x], attrs: { blocksize: 2, mode: 'CRD' } },
      { op: 'DepthToSpace', inputs: [x], attrs: { blocksize: 2 } },
      { op: 'SpaceToDepth', inputs: [t(1, 2, 4, 6)], attrs: { blocksize: 2 } },
      { op: 'LayerNormalization', inputs: [x, t(6), t(6)], attrs: { epsilon: 1e-3 }, outputs: 3 },
      { op: 'LayerNormalization', inputs: [x, t(5, 6)], attrs: { axis: 2 } },
      { op: 'InstanceNormalization', inputs: [x, t(4), t(4)] },
      { op: 'GroupNormalization', inputs: [x, t(4), t(4)], attrs: { num_groups: 2 } },
      { op: 'Sum', inputs: [x, t(5, 1), t(6)] }, { op: 'Mean', inputs: [x, t(6)] },
    ]);
  }, 60_000);

  it('Resize: modes, coordinate modes, antialias, exclude_outside, crop with extrapolation (fast-check)', async () => {
    const coords = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn', 'tf_crop_and_resize'];
    const arb = fc.array(fc.record({
      mode: fc.constantFrom('nearest', 'linear', 'cubic'), coord: fc.constantFrom(...coords), aa: fc.boolean(), ex: fc.boolean(),
      sizes: fc.boolean(), h: fc.integer({ min: 1, max: 5 }), w: fc.integer({ min: 1, max: 5 }), seed: fc.integer(),
    }), { minLength: 6, maxLength: 6 });
    await fc.assert(fc.asyncProperty(arb, async (list) => {
      const cases: Case[] = [];
      for (const c of list) {
        const r = lcg(c.seed >>> 0);
        const x = uniformTensor([1, 2, c.h, c.w], r);
        const attrs: Record<string, AttrValue> = { mode: c.mode, coordinate_transformation_mode: c.coord, antialias: c.aa ? 1 : 0, exclude_outside: c.ex ? 1 : 0, extrapolation_value: 3 };
        const roi = c.coord === 'tf_crop_and_resize' ? f32([0, 0, 0.2, 0.1, 1, 1, 0.9, 1.2]) : null;
        const pick = () => [0.5, 0.75, 1.5, 2, 3][Math.floor(r() * 5)]!;
        const scales = f32([1, 1, pick(), pick()]);
        if (!c.sizes && (Math.floor(c.h * scales.data[2]!) === 0 || Math.floor(c.w * scales.data[3]!) === 0)) continue;
        cases.push({ op: 'Resize', inputs: c.sizes ? [x, roi, null, i64([1, 2, 1 + Math.floor(r() * 7), 1 + Math.floor(r() * 7)])] : [x, roi, scales], consts: [1, 2, 3], attrs });
      }
      // Always one crop whose roi leaves the input (extrapolated cells) and one cubic antialiased downsample.
      cases.push({ op: 'Resize', inputs: [uniformTensor([1, 1, 4, 5], 6), f32([0, 0, 0.3, -0.2, 1, 1, 1.3, 0.8]), null, i64([1, 1, 3, 4])], consts: [1, 3],
        attrs: { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: 5 } });
      cases.push({ op: 'Resize', inputs: [uniformTensor([1, 1, 7, 6], 7), null, f32([1, 1, 0.5, 0.4])], consts: [2], attrs: { mode: 'cubic', antialias: 1, exclude_outside: 1 } });
      cases.push({ op: 'Upsample', inputs: [uniformTensor([1, 2, 3, 2], 5), f32([1, 1, 2, 3])], consts: [1], attrs: { mode: 'linear' } });
      await agreeAll(cases);
    }), { numRuns: 2, seed: 20261206 });
  }, 120_000);
});
