// Elementwise ops against onnxruntime-node on random broadcastable shapes, plus spec examples and errors.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph, Tensor, inferShapes, LayercError } from '../../src/index.ts';
import type { DType } from '../../src/ir/dtype.ts';
import { runOrt, runRef, type NodeCase } from '../helpers/single-node.ts';
import { maxAbsDiff, randomTensorOf, rng } from '../helpers/random.ts';

async function agree(c: NodeCase, tol = 1e-6): Promise<void> {
  const ref = runRef(c);
  const want = await runOrt(c);
  want.forEach((w, i) => {
    expect(maxAbsDiff(ref.outputs[i], w), `${c.op} output ${i}`).toBeLessThanOrEqual(tol * (1 + Math.max(0, ...Array.from(w.data as ArrayLike<number>, Math.abs))));
    expect(ref.types[i].shape).toEqual([...w.shape]);
    expect(ref.types[i].dtype).toBe(w.dtype);
  });
}

/** Two shapes that broadcast: drop leading dims and set some dims to 1 on either side. */
const broadcastPair = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 }).chain((full) =>
  fc.tuple(fc.constant(full), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: full.length, maxLength: full.length }),
    fc.nat(full.length), fc.nat(full.length)).map(([f, mode, dropA, dropB]) => {
    const a = f.map((d, i) => (mode[i] === 1 ? 1 : d)).slice(dropA);
    const b = f.map((d, i) => (mode[i] === 2 ? 1 : d)).slice(dropB);
    return [a, b] as const;
  }));

const PARAMS = { seed: 20261123, numRuns: 25 };

describe('broadcasting arithmetic vs onnxruntime', () => {
  const dtypes: DType[] = ['float32', 'float64', 'int64', 'int32', 'int8', 'uint8'];
  for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
    it(`${op} on random broadcastable shapes and dtypes`, async () => {
      await fc.assert(fc.asyncProperty(broadcastPair, fc.constantFrom(...dtypes), fc.integer(), async ([sa, sb], dtype, seed) => {
        const r = rng(seed);
        const a = randomTensorOf(dtype, sa, r);
        let b = randomTensorOf(dtype, sb, r);
        if (op === 'Div') b = Tensor.fromArray(dtype, sb, b.toNumbers().map((v) => (v === 0 ? 3 : v)));
        await agree({ op, inputs: [a, b] });
      }), PARAMS);
    });
  }

  it('integer Div truncates toward zero and uint8 wraps (spec semantics)', () => {
    const div = runRef({ op: 'Div', inputs: [Tensor.fromArray('int32', [4], [7, -7, 7, -7]), Tensor.fromArray('int32', [4], [2, 2, -2, -2])] });
    expect(Array.from(div.outputs[0].data)).toEqual([3, -3, -3, 3]);
    const add = runRef({ op: 'Add', inputs: [Tensor.fromArray('uint8', [2], [250, 3]), Tensor.fromArray('uint8', [2], [10, 4])] });
    expect(Array.from(add.outputs[0].data)).toEqual([4, 7]);
  });
});

describe('unary, Pow, Clip, Max/Min, comparisons vs onnxruntime', () => {
  const shapes = fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 });
  for (const op of ['Neg', 'Abs', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil']) {
    it(op, async () => {
      await fc.assert(fc.asyncProperty(shapes, fc.integer(), async (s, seed) => {
        let x = randomTensorOf('float32', s, rng(seed));
        if (op === 'Log' || op === 'Sqrt') x = Tensor.fromArray('float32', s, x.toNumbers().map(Math.abs));
        await agree({ op, inputs: [x] }, 1e-6);
      }), { ...PARAMS, numRuns: 8 });
    });
  }

  it('Pow with broadcasting (float base, float and int64 exponents)', async () => {
    await fc.assert(fc.asyncProperty(broadcastPair, fc.boolean(), fc.integer(), async ([sa, sb], intExp, seed) => {
      const r = rng(seed);
      const base = Tensor.fromArray('float32', sa, randomTensorOf('float32', sa, r).toNumbers().map((v) => Math.abs(v) + 0.1));
      const exp = intExp ? Tensor.fromArray('int64', sb, randomTensorOf('int64', sb, r).toNumbers().map((v) => v % 4)) : randomTensorOf('float32', sb, r, 2);
      await agree({ op: 'Pow', inputs: [base, exp] }, 1e-5);
    }), PARAMS);
  });

  it('Clip with absent, scalar and crossed bounds, float32 and int8', async () => {
    await fc.assert(fc.asyncProperty(shapes, fc.constantFrom<DType>('float32', 'int8', 'uint8', 'int32'), fc.integer({ min: 0, max: 3 }), fc.integer(), async (s, dtype, which, seed) => {
      const r = rng(seed);
      const x = randomTensorOf(dtype, s, r);
      const lo = which & 1 ? randomTensorOf(dtype, [], r) : null;
      const hi = which & 2 ? randomTensorOf(dtype, [], r) : null;
      await agree({ op: 'Clip', inputs: hi ? [x, lo, hi] : lo ? [x, lo] : [x] });
    }), PARAMS);
  });

  for (const op of ['Max', 'Min']) {
    it(`${op} with 1 to 3 broadcast inputs`, async () => {
      await fc.assert(fc.asyncProperty(broadcastPair, fc.integer({ min: 1, max: 3 }), fc.integer(), async ([sa, sb], k, seed) => {
        const r = rng(seed);
        const ins = [randomTensorOf('float32', sa, r), randomTensorOf('float32', sb, r), randomTensorOf('float32', sa, r)].slice(0, k);
        await agree({ op, inputs: ins });
      }), PARAMS);
    });
  }

  for (const op of ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual']) {
    it(`${op} gives bool with broadcasting`, async () => {
      await fc.assert(fc.asyncProperty(broadcastPair, fc.integer(), async ([sa, sb], seed) => {
        const r = rng(seed);
        await agree({ op, inputs: [randomTensorOf('int64', sa, r, 0.2), randomTensorOf('int64', sb, r, 0.2)] });
      }), { ...PARAMS, numRuns: 8 });
    });
  }

  it('Where broadcasts condition and both branches', async () => {
    await fc.assert(fc.asyncProperty(broadcastPair, fc.integer(), async ([sa, sb], seed) => {
      const r = rng(seed);
      await agree({ op: 'Where', inputs: [randomTensorOf('bool', sa, r), randomTensorOf('float32', sb, r), randomTensorOf('float32', sa, r)] });
    }), PARAMS);
  });
});

describe('elementwise shape rules', () => {
  function infer(op: string, shapes: (number | string)[][], dtype: DType = 'float32') {
    const g = new Graph('t');
    const ins = shapes.map((s, i) => g.addInput(`x${i}`, { dtype, shape: s }));
    const n = g.addNode(op, ins, {}, { name: 'n' });
    g.outputs.push(n.outputs[0]);
    inferShapes(g);
    return n.outputs[0].type;
  }

  it('keeps symbolic dims through broadcasting', () => {
    expect(infer('Add', [['N', 3, 1], [1, 4]]).shape).toEqual(['N', 3, 4]);
    expect(infer('Less', [['N', 1], [5]])).toEqual({ dtype: 'bool', shape: ['N', 5] });
  });

  it('rejects non-broadcastable shapes and mixed dtypes with a LayercError naming the node', () => {
    const err = (() => { try { infer('Mul', [[2, 3], [4, 3]]); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(LayercError);
    expect((err as LayercError).code).toBe('LC032');
    expect((err as LayercError).context.node).toBe('n');
    expect(() => infer('Exp', [[2]], 'int32')).toThrow(/Exp does not take int32/);
  });

  it('integer division by zero is a clear error, not a silent zero', () => {
    expect(() => runRef({ op: 'Div', inputs: [Tensor.fromArray('int32', [1], [1]), Tensor.fromArray('int32', [1], [0])] })).toThrow(/division by zero/);
  });
});
