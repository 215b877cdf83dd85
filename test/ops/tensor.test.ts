// Data-movement ops: onnxruntime-node as oracle on random shapes, algebraic properties, and shape rules
// with constant and symbolic inputs.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph, Tensor, inferShapes, runGraph, LayercError } from '../../src/index.ts';
import { runOrt, runRef, singleNodeGraph, type NodeCase } from '../helpers/single-node.ts';
import { sourceIndex } from '../../src/ops/pad.ts';
import type { AttrValue } from '../../src/ir/graph.ts';
import { maxAbsDiff, randomTensorOf, rng } from '../helpers/random.ts';

async function agree(c: NodeCase): Promise<void> {
  const ref = runRef(c);
  const want = await runOrt(c);
  want.forEach((w, i) => {
    expect(maxAbsDiff(ref.outputs[i], w)).toBe(0);
    // Inferred dims must match where they are numbers; a symbol stands for a size known only at run time.
    const inferred = ref.types[i].shape!;
    expect(inferred.map((d, k) => (typeof d === 'string' ? w.shape[k] : d))).toEqual([...w.shape]);
    if (c.constInputs?.length === c.inputs.length - 1) expect(inferred).toEqual([...w.shape]);
  });
}

const PARAMS = { seed: 42, numRuns: 20 };
const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 });
const i64 = (v: number[]) => Tensor.fromArray('int64', [v.length], v);
const f32 = (shape: number[], v: number[]) => Tensor.fromArray('float32', shape, v);
const iota = (shape: number[]) => f32(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i));

describe('Transpose, Concat, Flatten, Reshape vs onnxruntime', () => {
  it('Transpose with random permutations (and the default reverse)', async () => {
    const arb = shapeArb.chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray(s.map((_, i) => i), { minLength: s.length, maxLength: s.length }), fc.boolean()));
    await fc.assert(fc.asyncProperty(arb, fc.integer(), async ([s, perm, dflt], seed) => {
      await agree({ op: 'Transpose', inputs: [randomTensorOf('float32', s, rng(seed))], attrs: dflt ? {} : { perm } });
    }), PARAMS);
  });

  it('Concat of 1 to 3 parts along a random (possibly negative) axis', async () => {
    const arb = shapeArb.chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: -s.length, max: s.length - 1 }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 })));
    await fc.assert(fc.asyncProperty(arb, fc.integer(), async ([s, axis, sizes], seed) => {
      const r = rng(seed);
      const a = axis < 0 ? axis + s.length : axis;
      const parts = sizes.map((k) => randomTensorOf('float32', s.map((d, i) => (i === a ? k : d)), r));
      await agree({ op: 'Concat', inputs: parts, attrs: { axis } });
    }), PARAMS);
  });

  it('Flatten at every axis in [-r, r]', async () => {
    const arb = shapeArb.chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: -s.length, max: s.length })));
    await fc.assert(fc.asyncProperty(arb, fc.integer(), async ([s, axis], seed) => {
      await agree({ op: 'Flatten', inputs: [randomTensorOf('int32', s, rng(seed))], attrs: { axis } });
    }), PARAMS);
  });

  it('Reshape with 0 and -1 entries, shape as graph input and as initializer', async () => {
    const arb = shapeArb.chain((s) => fc.tuple(fc.constant(s), fc.array(fc.constantFrom('keep', 'zero', 'hole'), { minLength: s.length, maxLength: s.length }), fc.boolean()));
    await fc.assert(fc.asyncProperty(arb, fc.integer(), async ([s, how, asConst], seed) => {
      let holeUsed = false;
      const target = s.map((d, i) => {
        if (how[i] === 'zero') return 0;
        if (how[i] === 'hole' && !holeUsed) { holeUsed = true; return -1; }
        return d;
      });
      await agree({ op: 'Reshape', inputs: [randomTensorOf('float32', s, rng(seed)), i64(target)], constInputs: asConst ? [1] : [] });
    }), PARAMS);
  });

  it('Reshape allowzero=1 keeps a real zero dim (test_reshape_allowzero_reordered)', async () => {
    await agree({ op: 'Reshape', inputs: [f32([0, 3, 4], []), i64([3, 4, 0])], attrs: { allowzero: 1 }, constInputs: [1] });
  });
});

describe('Pad, Expand, Tile vs onnxruntime', () => {
  it('Pad constant/edge/reflect with random pads, axes and fill value', async () => {
    const arb = fc.array(fc.integer({ min: 2, max: 4 }), { minLength: 1, maxLength: 3 }).chain((s) => fc.tuple(
      fc.constant(s), fc.constantFrom('constant', 'edge', 'reflect'),
      fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 2 * s.length, maxLength: 2 * s.length }),
      fc.boolean(), fc.boolean()));
    await fc.assert(fc.asyncProperty(arb, fc.integer(), async ([s, mode, pads, withValue, withAxes], seed) => {
      const r = rng(seed);
      const x = randomTensorOf('float32', s, r);
      const inputs: (Tensor | null)[] = [x, i64(pads), withValue && mode === 'constant' ? Tensor.scalar('float32', 2.5) : null];
      if (withAxes) inputs.push(i64(s.map((_, i) => i - s.length)));
      await agree({ op: 'Pad', inputs, attrs: { mode }, constInputs: [1, 3] });
    }), PARAMS);
  });

  it('Pad with negative pads crops', async () => {
    await agree({ op: 'Pad', inputs: [iota([3, 4]), i64([-1, 1, 0, -2])], constInputs: [1] });
  });

  it('Pad reflect/edge/wrap agree with a direct index formula for wide pads', () => {
    const arb = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 }), fc.constantFrom('edge', 'reflect', 'wrap'));
    fc.assert(fc.property(arb, ([n, b, e, mode]) => {
      const x = iota([n]);
      const out = runRef({ op: 'Pad', inputs: [x, i64([b, e])], attrs: { mode }, constInputs: [1] }).outputs[0];
      // numpy.pad semantics: edge repeats the border, reflect mirrors about it, wrap repeats the sequence.
      const want = Array.from({ length: n + b + e }, (_, o) => {
        let j = o - b;
        if (mode === 'edge') return Math.min(Math.max(j, 0), n - 1);
        if (mode === 'wrap') return ((j % n) + n) % n;
        while (j < 0 || j >= n) { if (n === 1) return 0; j = j < 0 ? -j : 2 * (n - 1) - j; }
        return j;
      });
      expect(Array.from(out.data)).toEqual(want);
      expect(sourceIndex('constant', -1, n)).toBe(-1);
    }), { seed: 7, numRuns: 60 });
  });

  it('Expand broadcasts both ways', async () => {
    await agree({ op: 'Expand', inputs: [iota([3, 1]), i64([2, 1, 4])], constInputs: [1] });
    await agree({ op: 'Expand', inputs: [iota([1, 4]), i64([3, 1])], constInputs: [1] });
  });

  it('Tile repeats every axis', async () => {
    await agree({ op: 'Tile', inputs: [iota([2, 3]), i64([2, 3])], constInputs: [1] });
  });
});

describe('properties', () => {
  it('Transpose with the inverse permutation is the identity', () => {
    const arb = shapeArb.chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray(s.map((_, i) => i), { minLength: s.length, maxLength: s.length })));
    fc.assert(fc.property(arb, fc.integer(), ([s, perm], seed) => {
      const x = randomTensorOf('float32', s, rng(seed));
      const inv = perm.map((_, i) => perm.indexOf(i));
      const t = runRef({ op: 'Transpose', inputs: [x], attrs: { perm } }).outputs[0];
      const back = runRef({ op: 'Transpose', inputs: [t], attrs: { perm: inv } }).outputs[0];
      expect(back.shape).toEqual(x.shape);
      expect(Array.from(back.data)).toEqual(Array.from(x.data));
    }), PARAMS);
  });

  it('Reshape and Flatten keep row-major data order', () => {
    fc.assert(fc.property(shapeArb, fc.integer({ min: 0, max: 4 }), (s, axis) => {
      const x = iota(s);
      const a = Math.min(axis, s.length);
      const flat = runRef({ op: 'Flatten', inputs: [x], attrs: { axis: a } }).outputs[0];
      const re = runRef({ op: 'Reshape', inputs: [x, i64([-1])], constInputs: [1] }).outputs[0];
      expect(Array.from(flat.data)).toEqual(Array.from(x.data));
      expect(Array.from(re.data)).toEqual(Array.from(x.data));
    }), PARAMS);
  });

  it('Concat then Slice recovers the parts', () => {
    const arb = shapeArb.chain((s) => fc.tuple(fc.constant(s), fc.nat(s.length - 1), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 3 })));
    fc.assert(fc.property(arb, fc.integer(), ([s, axis, sizes], seed) => {
      const r = rng(seed);
      const parts = sizes.map((k) => randomTensorOf('float32', s.map((d, i) => (i === axis ? k : d)), r));
      const cat = runRef({ op: 'Concat', inputs: parts, attrs: { axis } }).outputs[0];
      let start = 0;
      for (const p of parts) {
        const end = start + p.shape[axis];
        const got = runRef({ op: 'Slice', inputs: [cat, i64([start]), i64([end]), i64([axis])], constInputs: [1, 2, 3] }).outputs[0];
        expect(got.shape).toEqual(p.shape);
        expect(Array.from(got.data)).toEqual(Array.from(p.data));
        start = end;
      }
    }), PARAMS);
  });
});

describe('Identity, Dropout, Constant', () => {
  it('Dropout at inference is the identity with an all-true mask (ORT agrees)', async () => {
    const x = randomTensorOf('float32', [3, 4], rng(1));
    await agree({ op: 'Dropout', inputs: [x, Tensor.scalar('float32', 0.3)], numOutputs: 2 });
    await agree({ op: 'Identity', inputs: [x] });
  });

  it('Dropout in training drops with the given randomness and scales by 1/(1-ratio)', () => {
    const g = singleNodeGraph({ op: 'Dropout', inputs: [f32([4], [1, 2, 3, 4]), Tensor.scalar('float32', 0.5)], numOutputs: 2, constInputs: [1] });
    const draws = [0.1, 0.9, 0.5, 0.49];
    const out = runGraph(g, { in0: f32([4], [1, 2, 3, 4]) }, { training: true, random: () => draws.shift()! });
    expect(Array.from(out.out0.data)).toEqual([0, 4, 6, 0]);
    expect(Array.from(out.out1.data)).toEqual([0, 1, 1, 0]);
    const viaInput = runRef({ op: 'Dropout', inputs: [f32([2], [1, 2]), Tensor.scalar('float32', 0), Tensor.scalar('bool', 1)], numOutputs: 2 });
    expect(Array.from(viaInput.outputs[0].data)).toEqual([1, 2]);
  });

  it('Constant from each value attribute (ORT agrees)', async () => {
    for (const attrs of <Record<string, AttrValue>[]>[{ value: iota([2, 2]) }, { value_float: 1.5 }, { value_floats: [1, 2] }, { value_int: 7 }, { value_ints: [3, -1] }]) {
      await agree({ op: 'Constant', inputs: [], attrs });
    }
    expect(() => runRef({ op: 'Constant', inputs: [], attrs: {} })).toThrow(/exactly one value attribute/);
  });
});

describe('shape rules', () => {
  function infer(op: string, x: (number | string)[], consts: Tensor[], attrs = {}) {
    const g = new Graph('t');
    const ins = [g.addInput('x', { dtype: 'float32', shape: x }), ...consts.map((t, i) => g.addConst(`c${i}`, t))];
    const n = g.addNode(op, ins, attrs, { name: 'n' });
    g.outputs.push(n.outputs[0]);
    inferShapes(g);
    return n.outputs[0].type.shape;
  }

  it('Reshape keeps a symbolic batch dim through 0 and -1', () => {
    expect(infer('Reshape', ['N', 3, 4, 4], [i64([0, -1])])).toEqual(['N', 48]);
    expect(infer('Reshape', ['N', 12], [i64([-1, 3, 4])])).toEqual(['N', 3, 4]);
    expect(infer('Reshape', ['N', 12], [i64([2, -1])])![1]).toMatch(/^reshape_/);
  });

  it('Reshape element-count mismatch and bad targets are LC032', () => {
    expect(() => infer('Reshape', [2, 3], [i64([4, 2])])).toThrow(LayercError);
    expect(() => infer('Reshape', [2, 3], [i64([-1, -1])])).toThrow(/at most one -1/);
    expect(() => infer('Reshape', [2, 3], [i64([5, -1])])).toThrow(/cannot reshape/);
  });

  it('a run-time Reshape mismatch (shape from a graph input) is a LayercError naming the node', () => {
    const g = singleNodeGraph({ op: 'Reshape', inputs: [iota([2, 3]), i64([4, 2])] });
    const err = (() => { try { runGraph(g, { in0: iota([2, 3]), in1: i64([4, 2]) }); } catch (e) { return e; } })() as LayercError;
    expect(err).toBeInstanceOf(LayercError);
    expect(err.code).toBe('LC032');
    expect(err.format()).toMatch(/node 'node' \(Reshape\)/);
  });

  it('Flatten, Concat, Transpose, Pad with symbolic dims', () => {
    expect(infer('Flatten', ['N', 2, 3], [])).toEqual(['N', 6]);
    expect(infer('Transpose', ['N', 2, 3], [], { perm: [2, 0, 1] })).toEqual([3, 'N', 2]);
    expect(infer('Pad', ['N', 2], [i64([0, 1, 0, 1])])).toEqual(['N', 4]);
    expect(() => infer('Transpose', [2, 3], [], { perm: [0, 0] })).toThrow(/repeated axis/);
    expect(() => infer('Concat', [2, 3], [], { axis: 2 })).toThrow(/out of range/);
  });
});
