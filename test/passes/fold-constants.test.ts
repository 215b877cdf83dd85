// fold-constants: before/expected graphs (the torch flatten chain, Shape with start/end, all-constant
// arithmetic, Constant nodes), must-leave-unchanged cases (symbolic dims, impure ops, graph outputs, the
// size cap), and every folded graph computes what the original computes in the reference interpreter.
import { describe, expect, it } from 'vitest';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { verify } from '../../src/ir/verify.ts';
import '../../src/ops/index.ts';
import { foldConstants, foldConstantsInPlace } from '../../passes/fold-constants.ts';
import { runPass } from '../../passes/pass.ts';

const i64 = (v: number[]) => Tensor.fromArray('int64', [v.length], v);
const f32 = (shape: number[], v: number[]) => Tensor.fromArray('float32', shape, v);
const ramp = (shape: number[]) => f32(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i % 7) - 3));
const ops = (g: Graph) => g.nodes.map((n) => n.op);
const one = (g: Graph, op: string, ins: (Value | null)[], attrs = {}) => g.addNode(op, ins, attrs).outputs[0]!;

/** torch.flatten as exported by torch.onnx: Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])). */
function torchFlatten(shape: (number | string)[]) {
  const g = new Graph('flatten');
  const x = g.addInput('x', { dtype: 'float32', shape });
  const s = one(g, 'Shape', [x]);
  const n = one(g, 'Gather', [s, g.addConst('zero', Tensor.scalar('int64', 0))], { axis: 0 });
  const u = one(g, 'Unsqueeze', [n, g.addConst('axes', i64([0]))]);
  const c = one(g, 'Concat', [u, g.addConst('minus1', i64([-1]))], { axis: 0 });
  const r = one(g, 'Reshape', [x, c]);
  g.outputs = [one(g, 'Relu', [r])];
  return inferShapes(g);
}

function sameOutputs(a: Graph, b: Graph, feeds: Record<string, Tensor>) {
  const ra = runGraph(a, feeds), rb = runGraph(b, feeds);
  expect(Object.keys(rb)).toEqual(Object.keys(ra));
  for (const k of Object.keys(ra)) {
    expect(rb[k]!.shape).toEqual(ra[k]!.shape);
    expect(Array.from(rb[k]!.data as ArrayLike<number>)).toEqual(Array.from(ra[k]!.data as ArrayLike<number>));
  }
}

describe('fold-constants', () => {
  it('collapses the torch flatten chain: only Reshape(x, const [2, -1]) remains and its shape becomes static', () => {
    const g = torchFlatten([2, 3, 4, 4]);
    expect(g.outputs[0]!.type.shape).not.toEqual([2, 48]);
    const before = torchFlatten([2, 3, 4, 4]);
    const report = runPass(g, foldConstants);
    verify(g);
    expect(ops(g)).toEqual(['Reshape', 'Relu']);
    expect(g.nodes[0]!.inputs[1]!.const!.toNumbers()).toEqual([2, -1]);
    expect(g.outputs[0]!.type.shape).toEqual([2, 48]);
    expect(report.changes['Shape of a static shape folded']).toBe(1);
    expect(report.changes['nodes folded to constants']).toBe(3);
    // the consumed constants (zero, axes, minus1) are gone: only the folded target remains
    expect(g.initializers.map((c) => c.const!.toNumbers())).toEqual([[2, -1]]);
    sameOutputs(before, g, { x: ramp([2, 3, 4, 4]) });
  });

  it('leaves the chain alone when the gathered dim is symbolic', () => {
    const g = torchFlatten(['N', 3, 4, 4]);
    const report = runPass(g, foldConstants);
    expect(ops(g)).toEqual(['Shape', 'Gather', 'Unsqueeze', 'Concat', 'Reshape', 'Relu']);
    expect(report.changes).toEqual({});
  });

  it('folds Shape with start/end when the selected dims are static, even if another dim is symbolic', () => {
    const g = new Graph('shape-slice');
    const x = g.addInput('x', { dtype: 'float32', shape: ['N', 3, 4, 5] });
    const tail = one(g, 'Shape', [x], { start: 1 });
    const mid = one(g, 'Shape', [x], { start: -3, end: -1 });
    const all = one(g, 'Shape', [x]);
    const v = g.addInput('v', { dtype: 'float32', shape: [5] });
    g.outputs = [one(g, 'Add', [v, one(g, 'Cast', [one(g, 'Concat', [tail, mid], { axis: 0 })], { to: 1 })]), all];
    inferShapes(g);
    foldConstantsInPlace(g);
    verify(g);
    // Concat and Cast of the two folded Shapes fold too; the full Shape (with N) stays.
    expect(ops(g)).toEqual(['Shape', 'Add']);
    expect(g.nodes[1]!.inputs[1]!.const!.toNumbers()).toEqual([3, 4, 5, 3, 4]);
  });

  it('evaluates all-constant arithmetic, Cast/Slice/ConstantOfShape and Constant nodes with the reference ops', () => {
    const g = new Graph('arith');
    const x = g.addInput('x', { dtype: 'float32', shape: [2, 3] });
    const k = one(g, 'Constant', [], { value: f32([3], [1, 2, 3]) });
    const b = one(g, 'Mul', [one(g, 'Add', [k, g.addConst('ten', f32([3], [10, 10, 10]))]), g.addConst('half', Tensor.scalar('float32', 0.5))]);
    // ConstantOfShape(Slice(Shape-like constant)) -> a [3] tensor of 2s
    const sh = g.addConst('sh', i64([7, 3, 9]));
    const sl = one(g, 'Slice', [sh, g.addConst('st', i64([1])), g.addConst('en', i64([2]))]);
    const twos = one(g, 'ConstantOfShape', [sl], { value: Tensor.fromArray('float32', [1], [2]) });
    const cast = one(g, 'Cast', [one(g, 'Cast', [twos], { to: 7 })], { to: 1 });
    g.outputs = [one(g, 'Add', [one(g, 'Mul', [x, b]), cast])];
    inferShapes(g);
    const reference = runGraph(g, { x: ramp([2, 3]) });
    const n = foldConstantsInPlace(g);
    verify(g);
    expect(n).toBe(7); // Constant, Add, Mul, Slice, ConstantOfShape, Cast, Cast
    expect(ops(g)).toEqual(['Mul', 'Add']);
    // (k + 10) * 0.5 = [5.5, 6, 6.5]: computed by hand, not by layerc
    expect(Array.from(g.nodes[0]!.inputs[1]!.const!.data)).toEqual([5.5, 6, 6.5]);
    expect(Array.from(g.nodes[1]!.inputs[1]!.const!.data)).toEqual([2, 2, 2]);
    const after = runGraph(g, { x: ramp([2, 3]) });
    expect(Array.from(after[g.outputs[0]!.name]!.data)).toEqual(Array.from(reference[g.outputs[0]!.name]!.data));
  });

  it('keeps the folded value\'s name (downstream names stay stable) and gives Identity copies their own storage', () => {
    const g = new Graph('names');
    const x = g.addInput('x', { dtype: 'float32', shape: [3] });
    const w = g.addConst('w', f32([3], [1, 2, 3]));
    const id = g.addNode('Identity', [w], {}, { outputNames: ['w_copy'] }).outputs[0]!;
    g.outputs = [one(g, 'Add', [x, id])];
    inferShapes(g);
    foldConstantsInPlace(g);
    const c = g.value('w_copy')!;
    expect(c.const!.toNumbers()).toEqual([1, 2, 3]);
    expect(c.const).not.toBe(w.const);
    expect(g.nodes[0]!.inputs[1]).toBe(c);
  });

  it('refuses impure ops, graph outputs, graph inputs with defaults, and results above maxElements', () => {
    const g = new Graph('refuse');
    const x = g.addInput('x', { dtype: 'float32', shape: [2] });
    const drop = g.addNode('Dropout', [g.addConst('d', f32([2], [1, 2])), g.addConst('r', Tensor.scalar('float32', 0.5)), g.addConst('t', Tensor.fromArray('bool', [], [1]))], {}, { numOutputs: 2 }).outputs[0]!;
    const direct = one(g, 'Neg', [g.addConst('c', f32([2], [1, 2]))]);
    const big = one(g, 'ConstantOfShape', [g.addConst('bigshape', i64([2000, 1000]))]);
    const sum = one(g, 'ReduceSum', [big, g.addConst('ax', i64([0, 1]))], { keepdims: 0 });
    g.outputs = [one(g, 'Add', [one(g, 'Add', [x, drop]), sum]), direct];
    inferShapes(g);
    const report = runPass(g, foldConstants);
    expect(ops(g)).toEqual(['Dropout', 'Neg', 'ConstantOfShape', 'ReduceSum', 'Add', 'Add']);
    expect(report.skipped).toEqual({ 'impure op': 1, 'result is a graph output': 1, [`result larger than ${1 << 20} elements`]: 1 });
    // with a larger cap the 2M-element fill (and the sum over it) fold
    runPass(g, foldConstants, { maxElements: 3_000_000 });
    expect(ops(g)).toEqual(['Dropout', 'Neg', 'Add', 'Add']);
  });
});
