// Op knowledge lives on the op definitions (src/ir/registry.ts): traits, ONNX version history, gradient rules.
// These tests check the declarations against independent evidence rather than against a second list:
// - elementwise: permuting the elements of same-shape inputs permutes the reference output the same way;
// - view: the reference output holds input 0's elements in order;
// - onnxSince of ops newer than opset 7: onnxruntime refuses the op one opset earlier and loads it at onnxSince;
// - defineGrad refuses unknown ops and second rules.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { Tensor } from '../../src/ir/tensor.ts';
import { allOps, defineGrad, findOp } from '../../src/ir/registry.ts';
import { BASE_OPSET, MAX_OPSET } from '../../src/frontend/onnx-versions.ts';
import { runRef, singleNodeModel, type NodeCase } from '../helpers/single-node.ts';
import { mulberry32 } from '../../src/random.ts';
import '../../src/ops/index.ts';

const f32 = (shape: number[], data: number[]) => Tensor.fromArray('float32', shape, data);
const i64 = (data: number[]) => Tensor.fromArray('int64', [data.length], data);

describe('op traits', () => {
  const standard = allOps().filter((d) => !d.domain);

  it('every standard op declares its ONNX history (1..MAX_OPSET)', () => {
    const missing = standard.filter((d) => !(Number.isInteger(d.onnxSince) && d.onnxSince! >= 1 && d.onnxSince! <= MAX_OPSET));
    expect(missing.map((d) => d.name)).toEqual([]);
  });

  it('elementwise ops commute with a permutation of their elements', () => {
    const rand = mulberry32(7);
    const elementwise = standard.filter((d) => d.traits?.elementwise);
    expect(elementwise.length).toBeGreaterThan(15);
    for (const def of elementwise) {
      const n = 12, arity = def.inputs[0];
      // Positive inputs keep Log/Sqrt/Pow real; Clip's bounds are scalars (inputs 1, 2 are optional).
      const xs = Array.from({ length: arity }, () => Array.from({ length: n }, () => 0.1 + 3 * rand()));
      const perm = Array.from({ length: n }, (_, i) => i).sort(() => rand() - 0.5);
      const run = (cols: number[][]) => runRef({ op: def.name, inputs: cols.map((c) => f32([3, 4], c)) }).outputs[0].toNumbers();
      const y = run(xs), yp = run(xs.map((c) => perm.map((j) => c[j])));
      expect(yp, def.name).toEqual(perm.map((j) => y[j]));
    }
  });

  it('view ops return input 0\'s elements in order', () => {
    const x = f32([2, 1, 3], [1, 2, 3, 4, 5, 6]);
    const cases: Record<string, NodeCase> = {
      Identity: { op: 'Identity', inputs: [x] },
      Dropout: { op: 'Dropout', inputs: [x] },
      Flatten: { op: 'Flatten', inputs: [x] },
      Reshape: { op: 'Reshape', inputs: [x, i64([3, 2])], constInputs: [1] },
      Squeeze: { op: 'Squeeze', inputs: [x, i64([1])], constInputs: [1] },
      Unsqueeze: { op: 'Unsqueeze', inputs: [x, i64([0])], constInputs: [1] },
    };
    const views = standard.filter((d) => d.traits?.view).map((d) => d.name).sort();
    expect(views).toEqual(Object.keys(cases).sort());
    for (const c of Object.values(cases)) expect(runRef(c).outputs[0].toNumbers(), c.op).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('ops newer than opset 7 fail to load in onnxruntime before their onnxSince and load at it', async () => {
    const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    const samples: Record<string, NodeCase> = {
      ConstantOfShape: { op: 'ConstantOfShape', inputs: [i64([2, 3])] },
      Expand: { op: 'Expand', inputs: [f32([1, 3], [1, 2, 3]), i64([2, 3])] },
      GreaterOrEqual: { op: 'GreaterOrEqual', inputs: [x, x] },
      LessOrEqual: { op: 'LessOrEqual', inputs: [x, x] },
      HardSwish: { op: 'HardSwish', inputs: [x] },
      Range: { op: 'Range', inputs: [f32([], [0]), f32([], [5]), f32([], [1])] },
      Where: { op: 'Where', inputs: [Tensor.fromArray('bool', [2, 3], [1, 0, 1, 0, 1, 0]), x, x] },
      Einsum: { op: 'Einsum', inputs: [x], attrs: { equation: 'ij->ji' } },
      Erf: { op: 'Erf', inputs: [x] },
      Gelu: { op: 'Gelu', inputs: [x] },
      LayerNormalization: { op: 'LayerNormalization', inputs: [x, f32([3], [1, 2, 3])] },
      Mish: { op: 'Mish', inputs: [x] },
      // Resize-10 takes (X, scales).
      Resize: { op: 'Resize', inputs: [f32([1, 1, 1, 2], [1, 2]), f32([4], [1, 1, 2, 2])], constInputs: [1] },
      // G = C: scale and bias have 2 entries in both versions (per group in 18-20, per channel from 21).
      GroupNormalization: { op: 'GroupNormalization', inputs: [f32([1, 2, 1, 3], [1, 2, 3, 4, 5, 6]), f32([2], [1, 1]), f32([2], [0, 0])], attrs: { num_groups: 2 } },
    };
    // onnxruntime registers its own LayerNormalization in the default domain below opset 17.
    const olderVersionExists = new Set(['LayerNormalization']);
    const newer = standard.filter((d) => d.onnxSince! > BASE_OPSET).map((d) => d.name).sort();
    expect(newer).toEqual(Object.keys(samples).sort());
    const loads = async (c: NodeCase, opset: number) => {
      try { await (await ort.InferenceSession.create(singleNodeModel({ ...c, opset }))).release(); return true; } catch { return false; }
    };
    for (const c of Object.values(samples)) {
      const since = findOp(c.op)!.onnxSince!;
      expect([c.op, await loads(c, since - 1), await loads(c, since)]).toEqual([c.op, olderVersionExists.has(c.op), true]);
    }
  });

  it('BatchNormalization may overwrite its input (per-channel map), nothing else', () => {
    expect(findOp('BatchNormalization')!.traits).toEqual({ inPlace: [0] });
  });
});

describe('defineGrad', () => {
  it('throws for an op that is not defined', () => {
    expect(() => defineGrad('NoSuchOp', () => [])).toThrow(/NoSuchOp is not defined/);
  });
  it('throws for a second rule on the same op', () => {
    expect(() => defineGrad('Add', () => [null, null])).toThrow(/Add already has a gradient rule/);
    expect(() => defineGrad('SoftmaxCrossEntropy', () => [null, null], 'ai.layerc')).toThrow(/already has a gradient rule/);
  });
  it('every op with a rule got it at registration (no rule is attached later)', () => {
    const withRules = allOps().filter((d) => d.vjp).map((d) => (d.domain ? `${d.domain}::${d.name}` : d.name));
    expect(withRules).toEqual(expect.arrayContaining(['Add', 'Conv', 'BatchNormalization', 'ai.layerc::BatchNormTrain', 'ai.layerc::DropoutTrain']));
  });
});
