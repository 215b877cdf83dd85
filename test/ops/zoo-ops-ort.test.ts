// The transformer / encoder-decoder ops (#19) against onnxruntime-node, an independent implementation:
// seeded fast-check draws of shapes and attributes, one single-node model per case, same inputs both sides.
// GroupNormalization (opset 21) and Gelu (opset 20) are newer than the official node-test data, so they are
// checked here and against their spec text (values computed from the formulas with known constants).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { Tensor, importOnnx, runGraph } from '../../src/index.ts';
import type { AttrValue } from '../../src/ir/graph.ts';
import { originalCoordinate, resolveResize, type ResizeAttrs } from '../../src/ops/resize.ts';
import { RAISE } from '../../src/ops/dims.ts';
import { runOrt, runRef, singleNodeModel, type NodeCase } from '../helpers/single-node.ts';
import { randomTensorOf, rng } from '../helpers/random.ts';
import { compileJsLowered } from '../js/graphs.ts';

ort.env.logLevel = 'error';
const PARAMS = { seed: Number(process.env.NN_SEED ?? 20261206), numRuns: Number(process.env.NN_RUNS ?? 40) };

function expectClose(ours: Tensor, theirs: Tensor, label: string, atol = 1e-5, rtol = 1e-4): void {
  expect(ours.shape, `${label}: shape`).toEqual(theirs.shape);
  for (let i = 0; i < ours.size; i++) {
    const a = ours.data[i], b = theirs.data[i];
    if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) throw new Error(`${label}: element ${i} differs: ours ${a}, onnxruntime ${b}`);
  }
}

async function agree(c: NodeCase, atol?: number, rtol?: number): Promise<void> {
  const label = `${c.op} ${c.inputs.map((t, i) => (!t ? '-' : c.constInputs?.includes(i) ? `{${t.toNumbers().join(',')}}` : `[${t.shape.join(',')}]`)).join(' ')} ${JSON.stringify(c.attrs)}`;
  const theirs = await runOrt(c);
  const ours = runRef(c);
  theirs.forEach((t, i) => expectClose(ours.outputs[i], t, `${label} output ${i}`, atol, rtol));
  ours.outputs.forEach((t, i) => expect(ours.types[i].shape, `${label}: inferred shape ${i}`).toEqual([...t.shape]));
}

/** Same, with layerc reading the very ONNX file onnxruntime reads (older opsets go through the importer's upgrades). */
async function agreeImported(c: NodeCase): Promise<void> {
  const theirs = await runOrt(c);
  const g = importOnnx(singleNodeModel(c));
  const feeds: Record<string, Tensor> = {};
  for (const v of g.inputs) feeds[v.name] = c.inputs[Number(v.name.slice(2))]!;
  const res = runGraph(g, feeds);
  theirs.forEach((t, i) => expectClose(res[g.outputs[i].name], t, `${c.op} opset ${c.opset} ${JSON.stringify(c.attrs)} output ${i}`));
}

/** True when some nearest-mode coordinate lies within 1e-4 of a rounding boundary. */
function nearTie(coord: string, nearest: string, s: number[], axes: number[], useAxes: boolean, scales: Tensor | null, sizes: Tensor | null, attrs: Record<string, AttrValue>): boolean {
  if (coord === 'tf_crop_and_resize') return false;
  const a = { ...attrs, keep_aspect_ratio_policy: (attrs.keep_aspect_ratio_policy as string) ?? 'stretch', axes: useAxes ? axes : undefined } as unknown as ResizeAttrs;
  const { scales: sc, sizes: sz } = resolveResize(RAISE, s, a, scales?.toNumbers() ?? null, sizes?.toNumbers() ?? null);
  const boundary = nearest === 'floor' || nearest === 'ceil' ? 0 : 0.5;
  return s.some((len, d) => Array.from({ length: sz[d] }, (_, x) => originalCoordinate(coord, x, sc[d], len, sz[d], 0, 1))
    .some((xo) => { const f = xo - Math.floor(xo); return Math.abs(f - boundary) < 1e-4 || Math.abs(f - boundary - 1) < 1e-4; }));
}

const shape = (minRank: number, maxRank: number, maxDim = 5) => fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });

describe('#19 ops vs onnxruntime-node', () => {
  it('unary: Erf, Gelu (none, tanh), Softplus, Mish, Sin, Cos', async () => {
    const r = rng(7);
    const x = randomTensorOf('float32', [4, 64], r, 6);
    for (const op of ['Erf', 'Softplus', 'Mish', 'Sin', 'Cos']) await agree({ op, inputs: [x], opset: 18 });
    for (const approximate of ['none', 'tanh']) await agree({ op: 'Gelu', inputs: [x], attrs: { approximate }, opset: 20 });
  });

  it('Gelu and Erf follow the spec text at points with known values', () => {
    // erf(1) = 0.8427007929497149, erf(2) = 0.9953222650189527, erf(0.5) = 0.5204998778130465 (Abramowitz-Stegun table 7.1)
    const x = Tensor.fromArray('float32', [3], [Math.SQRT2, 2 * Math.SQRT2, -Math.SQRT1_2]);
    const exact = [0.5 * Math.SQRT2 * 1.8427007929497149, 0.5 * 2 * Math.SQRT2 * 1.9953222650189527, 0.5 * -Math.SQRT1_2 * (1 - 0.5204998778130465)];
    const got = runRef({ op: 'Gelu', inputs: [x] }).outputs[0];
    exact.forEach((v, i) => expect(got.data[i]).toBeCloseTo(Math.fround(v), 6));
    // tanh form at x = 1: 0.5 (1 + tanh(sqrt(2/pi) * 1.044715))
    const t = runRef({ op: 'Gelu', inputs: [Tensor.fromArray('float32', [1], [1])], attrs: { approximate: 'tanh' } }).outputs[0];
    expect(t.data[0]).toBeCloseTo(0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * 1.044715)), 6);
    const e = runRef({ op: 'Erf', inputs: [Tensor.fromArray('float64', [4], [1, 2, 0.5, 4])] }).outputs[0];
    // erf(4) = 1 - 1.541725790028002e-8
    [0.8427007929497149, 0.9953222650189527, 0.5204998778130465, 1 - 1.541725790028002e-8].forEach((v, i) => expect(Math.abs(e.data[i] - v)).toBeLessThan(1e-15));
  });

  it('LayerNormalization: any axis, broadcast Scale/B, Mean and InvStdDev outputs', async () => {
    await fc.assert(fc.asyncProperty(shape(1, 4), fc.integer(), fc.boolean(), fc.integer(), async (s, axis0, bias, seed) => {
      const r = rng(seed);
      const axis = (Math.abs(axis0) % (2 * s.length)) - s.length;
      const a = axis < 0 ? axis + s.length : axis;
      const norm = s.slice(a);
      const x = randomTensorOf('float32', s, r, 3);
      const inputs = [x, randomTensorOf('float32', norm, r, 2), bias ? randomTensorOf('float32', norm, r, 2) : null];
      await agree({ op: 'LayerNormalization', inputs, attrs: { axis, epsilon: 1e-3 }, numOutputs: 3, opset: 17 });
    }), PARAMS);
  });

  it('InstanceNormalization and GroupNormalization (opset 21, per-channel scale)', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), shape(1, 2), fc.integer(), async (N, G, cg, sp, seed) => {
      const r = rng(seed);
      const C = G * cg;
      const x = randomTensorOf('float32', [N, C, ...sp], r, 3);
      const sc = randomTensorOf('float32', [C], r, 2), b = randomTensorOf('float32', [C], r, 2);
      await agree({ op: 'InstanceNormalization', inputs: [x, sc, b], attrs: { epsilon: 1e-4 } });
      // onnxruntime's GroupNormalization takes the variance as E[x^2] - E[x]^2 in float32: on small groups of close
      // values that cancellation costs it ~1e-4 relative, hence the wider tolerance.
      await agree({ op: 'GroupNormalization', inputs: [x, sc, b], attrs: { num_groups: G, epsilon: 1e-4 }, opset: 21 }, 1e-4, 1e-3);
    }), PARAMS);
  });

  it('GroupNormalization follows the spec text (normalize each group of C/G channels, then per-channel affine)', () => {
    // X [1, 4, 2]: groups {c0, c1} and {c2, c3}; group 0 holds 1..4 (mean 2.5, var 1.25).
    const x = Tensor.fromArray('float32', [1, 4, 2], [1, 2, 3, 4, 10, 10, 10, 10]);
    const y = runRef({ op: 'GroupNormalization', inputs: [x, Tensor.fromArray('float32', [4], [1, 2, 1, 1]), Tensor.fromArray('float32', [4], [0, 0, 0, 5])], attrs: { num_groups: 2, epsilon: 0 } }).outputs[0];
    const z = (v: number) => (v - 2.5) / Math.sqrt(1.25);
    [z(1), z(2), 2 * z(3), 2 * z(4)].forEach((v, i) => expect(y.data[i]).toBeCloseTo(v, 5));
    expect(Array.from(y.data.slice(4)).map((v) => Number.isNaN(v) ? 'nan' : v)).toEqual(['nan', 'nan', 'nan', 'nan']); // 0/0 with epsilon 0
  });

  it('GroupNormalization-18 (opsets 18-20): scale and bias per GROUP, as onnxruntime reads the same file', async () => {
    // The spec text of version 18: scale and bias have shape [num_groups]. Hand check: X [1, 4, 2], groups {c0, c1}
    // (values 1..4: mean 2.5, var 1.25) and {c2, c3}; scale [2, 3], bias [0, 1] -> 2 z in group 0, 3 z + 1 in group 1.
    const x = Tensor.fromArray('float32', [1, 4, 2], [1, 2, 3, 4, 5, 7, 5, 7]);
    const c: NodeCase = { op: 'GroupNormalization', inputs: [x, Tensor.fromArray('float32', [2], [2, 3]), Tensor.fromArray('float32', [2], [0, 1])], attrs: { num_groups: 2, epsilon: 0 }, opset: 18, constInputs: [1, 2] };
    const g = importOnnx(singleNodeModel(c));
    const y = runGraph(g, { in0: x })[g.outputs[0].name];
    const z = (v: number) => (v - 2.5) / Math.sqrt(1.25);
    [2 * z(1), 2 * z(2), 2 * z(3), 2 * z(4), -2, 4, -2, 4].forEach((v, i) => expect(y.data[i]).toBeCloseTo(v, 5));
    // The js backend runs the import (the per-channel expansion folds away) and agrees.
    const m = await compileJsLowered(g);
    try { expect(Array.from((await m.run({ in0: x }))[g.outputs[0].name]!.data)).toEqual(Array.from(y.data)); } finally { await m.dispose(); }
    // Before opset 18 there is no GroupNormalization at all.
    expect(() => importOnnx(singleNodeModel({ ...c, opset: 17 }))).toThrow(/GroupNormalization.*17.*first appears in opset 18/s);
    // Random shapes and groups, opsets 18-20, scale/bias as graph inputs and as initializers, vs onnxruntime.
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), shape(1, 2), fc.constantFrom(18, 19, 20), fc.boolean(), fc.integer(), async (G, cg, sp, opset, consts, seed) => {
      const r = rng(seed);
      const inputs = [randomTensorOf('float32', [2, G * cg, ...sp], r, 3), randomTensorOf('float32', [G], r, 2), randomTensorOf('float32', [G], r, 2)];
      await agreeImported({ op: 'GroupNormalization', inputs, attrs: { num_groups: G, epsilon: 1e-2 }, opset, constInputs: consts ? [1, 2] : [] });
    }), { ...PARAMS, numRuns: 12 });
  });

  it('Resize: every mode, coordinate mode, nearest mode, cubic a, exclude_outside, antialias, axes, scales or sizes', async () => {
    const coords = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn', 'tf_crop_and_resize'];
    const arb = fc.record({
      rank: fc.integer({ min: 2, max: 4 }), mode: fc.constantFrom('nearest', 'linear', 'cubic'), coord: fc.constantFrom(...coords),
      nearest: fc.constantFrom('round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'), a: fc.constantFrom(-0.75, -0.5),
      exclude: fc.constantFrom(0, 1), antialias: fc.constantFrom(0, 1), useSizes: fc.boolean(), useAxes: fc.boolean(),
      policy: fc.constantFrom('stretch', 'not_larger', 'not_smaller'), seed: fc.integer(),
    });
    await fc.assert(fc.asyncProperty(arb, async (p) => {
      const r = rng(p.seed);
      // onnxruntime's linear and cubic kernels take ranks 2-4 (cubic: 2 or 4) resizing the innermost two axes.
      if (p.mode === 'cubic' && p.rank === 3) p.rank = 4;
      const s = Array.from({ length: p.rank }, () => 1 + Math.floor(r() * 5));
      const k = Math.min(p.rank, 2), axes = Array.from({ length: k }, (_, i) => p.rank - k + i);
      const x = randomTensorOf('float32', s, r, 3);
      const attrs: Record<string, AttrValue> = {
        mode: p.mode, coordinate_transformation_mode: p.coord, nearest_mode: p.nearest, cubic_coeff_a: p.a,
        antialias: p.mode === 'nearest' ? 0 : p.antialias,
      };
      // onnxruntime takes exclude_outside only where it changes something (cubic, or linear with antialias).
      if (p.mode === 'cubic' || (p.mode === 'linear' && p.antialias)) attrs.exclude_outside = p.exclude;
      const full = (vals: number[], fill: number) => (p.useAxes ? vals : s.map((_, d) => (axes.includes(d) ? vals[axes.indexOf(d)] : fill)));
      if (p.useAxes) attrs.axes = axes;
      const n = p.useAxes ? k : p.rank;
      const roi = p.coord === 'tf_crop_and_resize'
        ? Tensor.fromArray('float32', [2 * n], [...full(axes.map(() => 0.1 + r() * 0.3), 0), ...full(axes.map(() => 0.6 + r() * 0.5), 1)])
        : null;
      if (roi) attrs.extrapolation_value = 7;
      let scales: Tensor | null = null, sizes: Tensor | null = null;
      if (p.useSizes) {
        sizes = Tensor.fromArray('int64', [n], full(axes.map(() => 1 + Math.floor(r() * 7)), 0).map((v, i) => (p.useAxes || axes.includes(i) ? v : s[i])));
        // (over all axes a policy would rescale the outer ones too, which onnxruntime's cubic/linear refuse)
        if (p.policy !== 'stretch' && p.useAxes) attrs.keep_aspect_ratio_policy = p.policy;
      } else {
        scales = Tensor.fromArray('float32', [n], full(axes.map(() => [0.5, 0.6, 0.75, 1.5, 2, 2.5, 3][Math.floor(r() * 7)]), 1));
      }
      // Zero-size outputs (a scale rounding a dim down to 0) are not interesting here.
      if (scales && scales.toNumbers().some((v, i) => Math.floor(v * s[p.useAxes ? axes[i] : i]) === 0)) return;
      // Nearest picks are ill-conditioned where an original coordinate sits on a rounding boundary (an integer
      // for floor/ceil, a half for the round modes): float32 (onnxruntime) and float64 (layerc) may pick either side.
      if (p.mode === 'nearest' && nearTie(p.coord, p.nearest, s, axes, p.useAxes, scales, sizes, attrs)) return;
      // With keep_aspect_ratio_policy the spec (and the ONNX reference) maps coordinates with the policy's one
      // scale; onnxruntime uses out/in per axis. They agree when round(scale * in) / in is that scale.
      if (attrs.keep_aspect_ratio_policy) {
        const ratios = axes.map((d, i) => sizes!.data[i] / s[d]);
        const sc = p.policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
        if (axes.some((d) => Math.round(sc * s[d]) / s[d] !== sc)) return;
      }
      // onnxruntime leaves an axis alone when its size does not change, ignoring the roi of tf_crop_and_resize
      // (the spec crops it; layerc follows the spec).
      const outSizes = sizes ? sizes.toNumbers() : scales!.toNumbers().map((v, i) => Math.floor(v * s[p.useAxes ? axes[i] : i]));
      if (roi && outSizes.some((v, i) => v === s[p.useAxes ? axes[i] : i])) return;
      await agree({ op: 'Resize', inputs: [x, roi, scales, sizes], constInputs: [1, 2, 3], attrs, opset: 19 }, 2e-5);
    }), { ...PARAMS, numRuns: 3 * PARAMS.numRuns });
  });

  it('Resize-10, Resize-11 (empty scales with sizes) and Upsample-7/9 import forms', async () => {
    const r = rng(11);
    const x = randomTensorOf('float32', [1, 2, 3, 4], r, 3);
    const sc = Tensor.fromArray('float32', [4], [1, 1, 2, 1.5]);
    for (const mode of ['nearest', 'linear']) {
      await agreeImported({ op: 'Resize', inputs: [x, sc], constInputs: [1], attrs: { mode }, opset: 10 });
      await agreeImported({ op: 'Upsample', inputs: [x, sc], constInputs: [1], attrs: { mode }, opset: 9 });
    }
    await agreeImported({ op: 'Resize', inputs: [x, Tensor.fromArray('float32', [0], []), Tensor.fromArray('float32', [0], []), Tensor.fromArray('int64', [4], [1, 2, 5, 3])], constInputs: [1, 2, 3], attrs: { mode: 'linear' }, opset: 11 });
  });

  it('Split (lengths input, equal parts, num_outputs with a short last part), DepthToSpace, SpaceToDepth', async () => {
    await fc.assert(fc.asyncProperty(shape(1, 4, 6), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.integer(), async (s, n, explicit, seed) => {
      const r = rng(seed);
      const axis = Math.floor(r() * s.length), L = s[axis];
      const x = randomTensorOf('float32', s, r);
      if (explicit) {
        const cuts = Array.from({ length: n - 1 }, () => Math.floor(r() * (L + 1))).sort((a, b) => a - b);
        const lens = [...cuts, L].map((c, i) => c - (i ? cuts[i - 1] : 0));
        await agree({ op: 'Split', inputs: [x, Tensor.fromArray('int64', [n], lens)], constInputs: [1], attrs: { axis }, numOutputs: n });
      } else if ((n - 1) * Math.ceil(L / n) < L) { // onnxruntime refuses an empty last part
        await agree({ op: 'Split', inputs: [x], attrs: { axis, num_outputs: n }, numOutputs: n });
      }
    }), PARAMS);
    const r = rng(3);
    for (const mode of ['DCR', 'CRD']) await agree({ op: 'DepthToSpace', inputs: [randomTensorOf('float32', [2, 8, 2, 3], r)], attrs: { blocksize: 2, mode } });
    await agree({ op: 'SpaceToDepth', inputs: [randomTensorOf('float32', [2, 3, 4, 6], r)], attrs: { blocksize: 2 } });
  });

  it('Sum, Mean (broadcasting), ReduceL2', async () => {
    const r = rng(5);
    const a = randomTensorOf('float32', [2, 3, 4], r), b = randomTensorOf('float32', [3, 1], r), c = randomTensorOf('float32', [4], r);
    for (const op of ['Sum', 'Mean']) await agree({ op, inputs: [a, b, c] });
    for (const keepdims of [0, 1]) {
      await agree({ op: 'ReduceL2', inputs: [a, Tensor.fromArray('int64', [2], [0, -1])], constInputs: [1], attrs: { keepdims } });
      await agree({ op: 'ReduceL2', inputs: [a], attrs: { keepdims } });
    }
  });

  it('Einsum: attention and MLP contractions, transposes, diagonals, sums, broadcasting', async () => {
    const r = rng(9);
    const t = (...s: number[]) => randomTensorOf('float32', s, r, 2);
    const cases: [string, Tensor[]][] = [
      ['bhqd,bhkd->bhqk', [t(2, 3, 4, 5), t(2, 3, 6, 5)]],
      ['bhqk,bhkd->bhqd', [t(2, 3, 4, 6), t(2, 3, 6, 5)]],
      ['bnd,de->bne', [t(2, 4, 5), t(5, 3)]],
      ['...ij,...jk', [t(2, 3, 4), t(2, 4, 5)]],
      ['ij->ji', [t(3, 4)]],
      ['ii->i', [t(4, 4)]],
      ['bii->b', [t(2, 3, 3)]],
      ['ij->', [t(3, 4)]],
      ['i,i', [t(5), t(5)]],
      ['i,j->ij', [t(3), t(4)]],
      ['ab,bc,cd->ad', [t(2, 3), t(3, 4), t(4, 2)]],
      ['b...i,b...j->b...ij', [t(2, 4, 3), t(2, 4, 2)]],
    ];
    for (const [equation, inputs] of cases) await agree({ op: 'Einsum', inputs, attrs: { equation }, opset: 12 });
  });
});
