// #18's last js fallbacks: kernels for int8/uint8/int32/int64/float64 values through typed views of the arena
// (elementwise arithmetic and Clip, Cast, Pad, MaxPool with or without its Indices output, float64 Einsum), and
// Resize/Upsample whose scales or roi are fed graph inputs (specialized by value at run time, one compile per
// value). Each on seeded random shapes and attributes must get a kernel (no reference fallback) and agree with
// the reference interpreter: bit for bit where values only move or integer arithmetic wraps, else
// |js - ref| <= 1e-4 + 1e-3 |ref|. Then the node tests that fell back before run in kernels only.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph, type AttrValue } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import type { DType } from '../../src/ir/dtype.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { compileFor } from '../../src/compile-for.ts';
import { compileGraph } from '../../runtime/compile.ts';
import { compileJs } from '../../runtime/js/index.ts';
import { loadOptimizer } from '../../src/cli/level.ts';
import { NODE_TESTS, NODE_TESTS_ZOO } from '../fixtures.ts';
import { lcg, randomTensorOf, uniformTensor } from '../helpers/random.ts';
import { toleranceRatio } from './graphs.ts';
import { agree } from './single-op.ts';
import { runsAgainstReference } from '../helpers/runs-against-reference.ts';
import { onJs } from './zoo-cases.ts';
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { emitModule } from '../../runtime/js/emit-module.ts';

const PARAMS = { seed: 20261206, numRuns: 30 };
const shapeArb = (min: number, max: number) => fc.array(fc.integer({ min: 1, max: 4 }), { minLength: min, maxLength: max });

/** Values of `dtype`; int32 spans its whole range so sums and products wrap. */
function values(dtype: DType, shape: number[], seed: number): Tensor {
  const r = lcg(seed >>> 0);
  if (dtype !== 'int32') return randomTensorOf(dtype, shape, r);
  return Tensor.fromArray('int32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.floor(r() * 2 ** 32) - 2 ** 31));
}

/** A broadcast partner of `shape`: some axes set to 1, maybe fewer leading axes. */
const broadcastOf = (shape: number[], mask: boolean[], drop: number) => shape.map((d, i) => (mask[i] ? 1 : d)).slice(drop);

describe('typed-view kernels against the reference', () => {
  it('Add/Sub/Mul/Max/Min/Div/Neg/Abs on int8/uint8/int32/int64/float64 with broadcasting, operands fed or constant: bit for bit', async () => {
    await fc.assert(fc.asyncProperty(fc.record({
      op: fc.constantFrom('Add', 'Sub', 'Mul', 'Max', 'Min', 'Div', 'Neg', 'Abs'),
      dtype: fc.constantFrom<DType>('int8', 'uint8', 'int32', 'int64', 'float64'),
      shape: shapeArb(1, 4), mask: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), drop: fc.integer({ min: 0, max: 2 }),
      swap: fc.boolean(), constB: fc.boolean(), threads: fc.constantFrom(1, 2), seed: fc.integer(),
    }), async (c) => {
      if (c.op === 'Div' && c.dtype !== 'float64') return; // integer Div stays with the reference (it raises on 0)
      const a = values(c.dtype, c.shape, c.seed);
      if (c.op === 'Neg' || c.op === 'Abs') { await agree({ op: c.op, inputs: [a], fed: [0], exact: true }, c.threads); return; }
      const b = values(c.dtype, broadcastOf(c.shape, c.mask, Math.min(c.drop, c.shape.length - 1)), c.seed + 1);
      // A constant operand: placed as float32 when exact (int8/uint8), else inlined (float64, int32 past 2^24).
      await agree({ op: c.op, inputs: c.swap ? [b, a] : [a, b], fed: c.constB ? [c.swap ? 1 : 0] : [0, 1], exact: true }, c.threads);
    }), PARAMS);
  });

  it('Clip on integers and float64: bounds absent, constant or fed, min > max', async () => {
    await fc.assert(fc.asyncProperty(fc.record({
      dtype: fc.constantFrom<DType>('int8', 'uint8', 'int32', 'int64', 'float64'), shape: shapeArb(0, 3),
      lo: fc.constantFrom('none', 'const', 'fed'), hi: fc.constantFrom('none', 'const', 'fed'), seed: fc.integer(),
    }), async (c) => {
      const x = values(c.dtype, c.shape, c.seed), r = lcg(c.seed >>> 0);
      const bound = (k: string) => (k === 'none' ? null : randomTensorOf(c.dtype, [], r));
      const ins = [x, bound(c.lo), bound(c.hi)];
      await agree({ op: 'Clip', inputs: ins, fed: [0, ...[c.lo, c.hi].flatMap((k, i) => (k === 'fed' ? [i + 1] : []))], exact: true });
    }), PARAMS);
  });

  it('Pad on int32/int8/float64/int64: every mode, negative pads, fill constant or fed', async () => {
    await fc.assert(fc.asyncProperty(fc.record({
      dtype: fc.constantFrom<DType>('int32', 'int8', 'float64', 'int64'), shape: shapeArb(1, 4),
      mode: fc.constantFrom('constant', 'edge', 'reflect', 'wrap'), pads: fc.array(fc.integer({ min: -1, max: 4 }), { minLength: 8, maxLength: 8 }),
      fill: fc.constantFrom('none', 'const', 'fed'), threads: fc.constantFrom(1, 2), seed: fc.integer(),
    }), async (c) => {
      const r = c.shape.length, pads = [...c.pads.slice(0, r), ...c.pads.slice(4, 4 + r)];
      if (c.shape.some((d, i) => d + pads[i]! + pads[i + r]! < 1)) return; // nothing left to pad
      if (c.mode !== 'constant' && c.shape.some((d, i) => d + Math.min(0, pads[i]!) + Math.min(0, pads[i + r]!) < 1)) return;
      const x = values(c.dtype, c.shape, c.seed);
      const fill = c.fill === 'none' ? null : randomTensorOf(c.dtype, [], lcg(c.seed >>> 0));
      await agree({ op: 'Pad', inputs: [x, Tensor.fromArray('int64', [pads.length], pads), fill], fed: c.fill === 'fed' ? [0, 2] : [0], attrs: { mode: c.mode }, exact: true }, c.threads);
    }), PARAMS);
  });

  it('MaxPool with Indices (storage_order 0/1) and on int8/uint8/float64, 1-3 spatial axes, every window attribute: bit for bit', async () => {
    await fc.assert(fc.asyncProperty(fc.record({
      dtype: fc.constantFrom<DType>('float32', 'float64', 'int8', 'uint8'), spatial: shapeArb(1, 3).map((s) => s.map((d) => d + 2)),
      k: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }), s: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
      d: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 3, maxLength: 3 }), pad: fc.integer({ min: 0, max: 1 }),
      autoPad: fc.constantFrom('NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'), ceil: fc.integer({ min: 0, max: 1 }),
      indices: fc.boolean(), order: fc.integer({ min: 0, max: 1 }), nan: fc.boolean(), threads: fc.constantFrom(1, 2), seed: fc.integer(),
    }), async (c) => {
      const n = c.spatial.length, kernel = c.k.slice(0, n);
      if (c.dtype === 'float32' && !c.indices) return; // ./pool.ts's case (covered elsewhere)
      const attrs: Record<string, AttrValue> = { kernel_shape: kernel, strides: c.s.slice(0, n), auto_pad: c.autoPad, storage_order: c.order };
      if (c.autoPad === 'NOTSET') Object.assign(attrs, { pads: new Array(2 * n).fill(c.pad).map((p, i) => Math.min(p, kernel[i % n]! - 1)), ceil_mode: c.ceil, dilations: c.d.slice(0, n) });
      if (c.spatial.some((dim, i) => (c.autoPad === 'NOTSET' ? (kernel[i]! - 1) * c.d[i]! + 1 : kernel[i]!) > dim)) return;
      const x = values(c.dtype, [2, 3, ...c.spatial], c.seed);
      if (c.nan && (c.dtype === 'float32' || c.dtype === 'float64')) x.data[c.seed >>> 0 % x.size] = NaN;
      await agree({ op: 'MaxPool', inputs: [x], fed: [0], attrs, outputs: c.indices ? 2 : 1, exact: true }, c.threads);
    }), PARAMS);
  });

  it('Cast between every pair of dtypes (NaN, infinities, fractions and out-of-range values included): bit for bit', async () => {
    const TO: Record<string, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float64: 11 };
    const FROM: DType[] = ['float32', 'float64', 'int64', 'int32', 'int8', 'uint8', 'bool'];
    let seed = 1;
    for (const from of FROM) {
      for (const to of Object.keys(TO)) {
        const x = values(from, [2, 4], seed++);
        if (from === 'float32' || from === 'float64') [NaN, Infinity, -Infinity, 1e10, -300.7, 2.5, -0.5].forEach((v, i) => { x.data[i] = v; });
        if (from === 'int32') x.data[0] = 2 ** 31 - 1;
        await agree({ op: 'Cast', inputs: [x], fed: [0], attrs: { to: TO[to]! }, exact: true }, 1 + (seed % 2));
      }
    }
  });

  it('Einsum on float64: matmul, batch, transpose, diagonal, sums, broadcast', async () => {
    const cases: [string, number[][]][] = [['ij,jk->ik', [[3, 4], [4, 5]]], ['bij,bjk->bik', [[2, 3, 4], [2, 4, 2]]], ['ij->ji', [[3, 5]]],
      ['ii->i', [[4, 4]]], ['bii->bi', [[2, 3, 3]]], ['ij->i', [[3, 4]]], ['i,i', [[5], [5]]], ['...ij,...jk->...ik', [[1, 2, 3], [4, 3, 2]]]];
    await fc.assert(fc.asyncProperty(fc.constantFrom(...cases), fc.integer(), fc.constantFrom(1, 2), async ([eq, shapes], seed, threads) => {
      await agree({ op: 'Einsum', inputs: shapes.map((s, i) => values('float64', s, seed + i)), fed: shapes.map((_, i) => i), attrs: { equation: eq } }, threads);
    }), { ...PARAMS, numRuns: 16 });
  });
});

describe('layerc compile --target js with typed inputs and outputs', () => {
  it('a module with uint8 inputs, a uint8 sum, MaxPool Indices (int64) and a Cast loads and runs like the reference', async () => {
    const g = new Graph('typed');
    const a = g.addInput('a', { dtype: 'uint8', shape: [1, 2, 3, 4] }), b = g.addInput('b', { dtype: 'uint8', shape: [4] });
    const sum = g.addNode('Add', [a, b]).outputs[0]!;
    const pooled = g.addNode('MaxPool', [g.addNode('Cast', [sum], { to: 1 }).outputs[0]!], { kernel_shape: [2, 2], strides: [1, 2] }, { numOutputs: 2 });
    g.outputs = [sum, ...pooled.outputs];
    inferShapes(g);
    const r = lcg(11), feeds = { a: randomTensorOf('uint8', [1, 2, 3, 4], r), b: randomTensorOf('uint8', [4], r) };
    const dir = mkdtempSync(join(tmpdir(), 'layerc-typed-'));
    try {
      for (const f of emitModule(g)) writeFileSync(join(dir, f.name), f.data);
      const mod = await import(pathToFileURL(join(dir, 'model.mjs')).href);
      const m = await mod.load();
      const out = await m.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, t.data])));
      await m.dispose();
      const ref = runGraph(g, feeds);
      for (const v of g.outputs) {
        expect(out[v.name].constructor).toBe(ref[v.name]!.data.constructor);
        expect(Array.from(out[v.name] as ArrayLike<number>), v.name).toEqual(Array.from(ref[v.name]!.data));
      }
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('Resize/Upsample with fed scales or roi: specialized by value', () => {
  it('every mode and coordinate transformation, scales changing between runs: kernels, reference results', async () => {
    await fc.assert(fc.asyncProperty(fc.record({
      rank: fc.integer({ min: 3, max: 4 }), spatial: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 2 }),
      mode: fc.constantFrom('nearest', 'linear', 'cubic'), upsample: fc.boolean(),
      ctm: fc.constantFrom('half_pixel', 'asymmetric', 'pytorch_half_pixel', 'align_corners', 'tf_crop_and_resize'),
      scales: fc.array(fc.array(fc.constantFrom(0.5, 1, 1.5, 2, 3), { minLength: 2, maxLength: 2 }), { minLength: 2, maxLength: 3 }), seed: fc.integer(),
    }), async (c) => {
      const xs = [1, 2, ...c.spatial.slice(0, c.rank - 2)], r = xs.length;
      const g = new Graph('resize');
      const x = g.addInput('x', { dtype: 'float32', shape: xs });
      const sc = g.addInput('scales', { dtype: 'float32', shape: [r] });
      const crop = !c.upsample && c.ctm === 'tf_crop_and_resize';
      const roi = crop ? g.addInput('roi', { dtype: 'float32', shape: [2 * r] }) : null;
      const node = c.upsample ? g.addNode('Upsample', [x, sc], { mode: c.mode === 'cubic' ? 'linear' : c.mode })
        : g.addNode('Resize', [x, roi, sc], { mode: c.mode, coordinate_transformation_mode: c.ctm, extrapolation_value: -7 });
      g.outputs.push(node.outputs[0]!);
      inferShapes(g);
      const rnd = lcg(c.seed >>> 0);
      const feeds = c.scales.map((s) => {
        const scales = [1, 1, ...s.slice(0, r - 2)];
        if (scales.some((v, i) => Math.floor(v * xs[i]!) < 1)) return null;
        const f: Record<string, Tensor> = { x: uniformTensor(xs, rnd), scales: Tensor.fromArray('float32', [r], scales) };
        if (roi) f.roi = Tensor.fromArray('float32', [2 * r], [...xs.map((_, i) => (i < 2 ? 0 : 0.1 * Math.floor(rnd() * 4))), ...xs.map((_, i) => (i < 2 ? 1 : 0.6 + 0.2 * Math.floor(rnd() * 4)))]);
        return f;
      }).filter((f): f is Record<string, Tensor> => !!f);
      for (const info of await runsAgainstReference(g, feeds)) {
        expect(info.fallback).toBeUndefined();
        expect(info.fallbacks).toBe(0);
        expect(info.specialized).toBe('per input shape');
      }
    }), PARAMS);
  });

  it('a small float input that is data (an Add operand) is not specialized by value, even where a shape is', async () => {
    // Reshape's target is fed (specialized by value); b is an Add operand: it must stay an input of the built graph.
    const g = new Graph('data');
    const x = g.addInput('x', { dtype: 'float32', shape: [2, 6] }), s = g.addInput('s', { dtype: 'int64', shape: [2] });
    const b = g.addInput('b', { dtype: 'float32', shape: [4] });
    g.outputs.push(g.addNode('Add', [g.addNode('Reshape', [x, s]).outputs[0]!, b]).outputs[0]!);
    inferShapes(g);
    const built: string[][] = [];
    const m = await compileGraph(g, {}, async (sg) => { built.push(sg.inputs.filter((v) => v.users.length).map((v) => v.name)); return compileJs(sg, { threads: 1 }); });
    const r = lcg(9), feeds = () => ({ x: uniformTensor([2, 6], r), s: Tensor.fromArray('int64', [2], [3, 4]), b: uniformTensor([4], r) });
    try {
      for (const f of [feeds(), feeds()]) expect(toleranceRatio((await m.run(f))[g.outputs[0]!.name]!, runGraph(g, f)[g.outputs[0]!.name]!)).toBeLessThanOrEqual(1);
    } finally { await m.dispose(); }
    expect(built).toEqual([['x', 'b']]); // one compile for both runs; s became a constant, b did not
  });
});

// The node tests that ran (partly or wholly) on the reference inside js graphs before these kernels, through
// `test-onnx`'s runner at -O2. The two downsampling align_corners cases carry bad expected data and fail on every
// backend (test/onnx/node-tests-zoo.test.ts); they are still run here, in kernels.
const FORMER = {
  [NODE_TESTS]: ['test_add_uint8', 'test_mul_uint8', 'test_clip_default_int8_inbounds', 'test_clip_default_int8_max', 'test_clip_default_int8_min',
    'test_maxpool_2d_uint8', 'test_maxpool_with_argmax_2d_precomputed_pads', 'test_maxpool_with_argmax_2d_precomputed_strides', 'test_edge_pad',
    'test_reflect_pad'],
  [NODE_TESTS_ZOO]: ['test_einsum_batch_diagonal', 'test_einsum_batch_matmul', 'test_einsum_inner_prod', 'test_einsum_sum', 'test_einsum_transpose',
    'test_resize_tf_crop_and_resize', 'test_upsample_nearest', ...['cubic', 'cubic_A_n0p5_exclude_outside', 'cubic_align_corners', 'linear', 'linear_align_corners', 'nearest']
      .flatMap((m) => [`test_resize_downsample_scales_${m}`, `test_resize_upsample_scales_${m}`]), 'test_resize_upsample_scales_cubic_asymmetric'],
};

describe('the node tests that fell back now run in js kernels only', () => {
  it('integer/float64 ops, MaxPool Indices, Pad on int32, fed Resize scales and roi', async () => {
    const dirs = Object.entries(FORMER).flatMap(([root, names]) => names.map((n) => join(root, n)));
    const got = await onJs(dirs, await loadOptimizer(2));
    expect(got.fallbacks).toEqual([]);
    expect(got.dataDependent).toBe(0);
    expect(got.failures.sort()).toEqual(['test_resize_downsample_scales_cubic_align_corners', 'test_resize_downsample_scales_linear_align_corners']);
    expect(got.passed).toBe(dirs.length - 2);
  }, 60_000);

  it('at -O0 an expanded LayerNorm test keeps its Cast of a computed size, and runs it in the Cast kernel', async () => {
    expect(await onJs([join(NODE_TESTS_ZOO, 'test_layer_normalization_2d_axis0_expanded')], undefined)).toEqual({ failures: [], passed: 1, fallbacks: [], dataDependent: 0 });
  });
});
