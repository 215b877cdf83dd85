// eliminate-dead-code, eliminate-common-subexpressions, eliminate-identity: before/expected graphs and the
// graphs each pass must leave alone (graph outputs keep their names, broadcasts are kept, impure ops and
// training state are never merged).
import { describe, expect, it } from 'vitest';
import { Graph, type Dim, type Value } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import '../../src/ops/index.ts';
import { eliminateDeadCode } from '../../passes/eliminate-dead-code.ts';
import { eliminateCommonSubexpressions } from '../../passes/eliminate-common-subexpressions.ts';
import { eliminateIdentity } from '../../passes/eliminate-identity.ts';
import { runPass, type Pass } from '../../passes/pass.ts';

const f32 = (shape: number[], v: number[]) => Tensor.fromArray('float32', shape, v);
const fill = (shape: number[], k: number) => f32(shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(k));
const i64 = (v: number[]) => Tensor.fromArray('int64', [v.length], v);
const ops = (g: Graph) => g.nodes.map((n) => n.op);
const one = (g: Graph, op: string, ins: (Value | null)[], attrs = {}) => g.addNode(op, ins, attrs).outputs[0]!;

function graph(shape: Dim[] = [2, 3]) {
  const g = new Graph('t');
  return { g, x: g.addInput('x', { dtype: 'float32', shape }) };
}
function run(g: Graph, pass: Pass) {
  inferShapes(g);
  return runPass(g, pass);
}

describe('eliminate-dead-code', () => {
  it('removes branches that reach no output and the initializers only they used', () => {
    const { g, x } = graph();
    const y = one(g, 'Relu', [x]);
    one(g, 'Mul', [one(g, 'Sigmoid', [x]), g.addConst('dead_w', fill([3], 2))]);
    const unusedIn = g.addInput('unused', { dtype: 'float32', shape: [1] });
    g.addConst('orphan', fill([1], 0));
    g.outputs = [y];
    const r = run(g, eliminateDeadCode);
    expect(ops(g)).toEqual(['Relu']);
    expect(g.initializers).toEqual([]);
    expect(g.inputs).toContain(unusedIn);
    expect(r.changes).toEqual({ 'dead nodes removed': 2, 'unused initializers removed': 2 });
  });
  it('keeps a node with one used output, graph outputs, and a graph output that is an input', () => {
    const { g, x } = graph();
    const d = g.addNode('Dropout', [x], {}, { numOutputs: 2 });
    const s = one(g, 'Sigmoid', [x]);
    g.outputs = [d.outputs[0]!, s, x];
    const r = run(g, eliminateDeadCode);
    expect(ops(g)).toEqual(['Dropout', 'Sigmoid']);
    expect(r.changes).toEqual({});
  });
});

describe('eliminate-common-subexpressions', () => {
  it('merges identical nodes (commutative inputs too) and equal small initializers', () => {
    const { g, x } = graph();
    const a = one(g, 'Mul', [x, g.addConst('c1', fill([3], 2))]);
    const b = one(g, 'Mul', [g.addConst('c2', fill([3], 2)), x]);
    const s1 = one(g, 'Add', [a, b]);
    const s2 = one(g, 'Add', [b, a]);
    g.outputs = [one(g, 'Sub', [s1, s2])];
    const feeds = { x: f32([2, 3], [1, -2, 3, -4, 5, -6]) };
    const before = runGraph(g, feeds);
    const r = run(g, eliminateCommonSubexpressions);
    expect(ops(g)).toEqual(['Mul', 'Add', 'Sub']);
    expect(g.nodes[1]!.inputs[0]).toBe(g.nodes[1]!.inputs[1]);
    expect(g.nodes[2]!.inputs[0]).toBe(g.nodes[2]!.inputs[1]);
    expect(r.changes).toEqual({ 'equal initializers merged': 1, 'duplicate nodes merged': 2 });
    expect(runGraph(g, feeds)[g.outputs[0]!.name]!.toNumbers()).toEqual(before[g.outputs[0]!.name]!.toNumbers());
  });
  it('merges Conv nodes only when attributes match, including a tensor attribute by value', () => {
    const { g, x } = graph([1, 2, 4, 4]);
    const w = g.addConst('w', fill([2, 2, 3, 3], 0.5));
    const c1 = one(g, 'Conv', [x, w], { pads: [1, 1, 1, 1] });
    const c2 = one(g, 'Conv', [x, w], { pads: [1, 1, 1, 1] });
    const c3 = one(g, 'Conv', [x, w], { pads: [1, 1, 1, 1], dilations: [1, 1] });
    const shape = g.addConst('s', i64([1, 2, 4, 4]));
    const f1 = one(g, 'ConstantOfShape', [shape], { value: Tensor.fromArray('float32', [1], [3]) });
    const f2 = one(g, 'ConstantOfShape', [shape], { value: Tensor.fromArray('float32', [1], [3]) });
    const f3 = one(g, 'ConstantOfShape', [shape], { value: Tensor.fromArray('float32', [1], [4]) });
    g.outputs = [one(g, 'Concat', [c1, c2, c3, f1, f2, f3], { axis: 0 })];
    run(g, eliminateCommonSubexpressions);
    expect(ops(g)).toEqual(['Conv', 'Conv', 'ConstantOfShape', 'ConstantOfShape', 'Concat']);
  });
  it('never merges impure ops, training state, or two graph outputs', () => {
    const { g, x } = graph();
    const ratio = g.addConst('r', Tensor.scalar('float32', 0.5));
    const train = g.addConst('t', Tensor.fromArray('bool', [], [1]));
    const d1 = g.addNode('Dropout', [x, ratio, train], {}, { numOutputs: 2 }).outputs[0]!;
    const d2 = g.addNode('Dropout', [x, ratio, train], {}, { numOutputs: 2 }).outputs[0]!;
    const gamma = g.addConst('gamma', fill([3], 1), 'param');
    const runVar = g.addConst('running_var', fill([3], 1), 'running_var');
    const o1 = one(g, 'Relu', [x]);
    const o2 = one(g, 'Relu', [x]);
    g.outputs = [one(g, 'Add', [d1, d2]), one(g, 'Mul', [x, gamma]), one(g, 'Mul', [x, runVar]), o1, o2];
    const r = run(g, eliminateCommonSubexpressions);
    expect(ops(g)).toEqual(['Dropout', 'Dropout', 'Relu', 'Relu', 'Add', 'Mul', 'Mul']);
    expect([g.outputs[3], g.outputs[4]]).toEqual([o1, o2]);
    expect(new Set(g.outputs).size).toBe(5);
    expect(r.skipped).toEqual({ 'both are graph outputs': 1 });
  });
  it('a duplicate that is a graph output hands its name to the surviving node', () => {
    const { g, x } = graph();
    const a = one(g, 'Relu', [x]);
    const b = g.addNode('Relu', [x], {}, { outputNames: ['y'] }).outputs[0]!;
    g.outputs = [one(g, 'Add', [a, b]), b];
    run(g, eliminateCommonSubexpressions);
    expect(ops(g)).toEqual(['Relu', 'Add']);
    expect(g.outputs[1]!.name).toBe('y');
    expect(g.nodes[0]!.outputs[0]!.name).toBe('y');
  });
});

describe('eliminate-identity', () => {
  const cases: [string, (g: Graph, x: Value) => Value][] = [
    ['Identity', (g, x) => one(g, 'Identity', [x])],
    ['Dropout (inference)', (g, x) => one(g, 'Dropout', [x, g.addConst('r', Tensor.scalar('float32', 0.3))])],
    ['Dropout (training_mode = false)', (g, x) => one(g, 'Dropout', [x, null, g.addConst('t', Tensor.fromArray('bool', [], [0]))])],
    ['Reshape to the same shape', (g, x) => one(g, 'Reshape', [x, g.addConst('s', i64([0, -1]))])],
    ['Transpose identity perm', (g, x) => one(g, 'Transpose', [x], { perm: [0, 1] })],
    ['Squeeze with nothing to squeeze', (g, x) => one(g, 'Squeeze', [x])],
    ['Unsqueeze with no axes', (g, x) => one(g, 'Unsqueeze', [x, g.addConst('a', i64([]))])],
    ['Cast to the same dtype', (g, x) => one(g, 'Cast', [x], { to: 1 })],
    ['Pad with zero pads', (g, x) => one(g, 'Pad', [x, g.addConst('p', i64([0, 0, 0, 0]))], { mode: 'reflect' })],
    ['Flatten of 2-D', (g, x) => one(g, 'Flatten', [x])],
    ['Concat of one input', (g, x) => one(g, 'Concat', [x], { axis: 1 })],
    ['x * 1', (g, x) => one(g, 'Mul', [x, g.addConst('one', fill([3], 1))])],
    ['1 * x', (g, x) => one(g, 'Mul', [g.addConst('one', fill([1], 1)), x])],
    ['x + 0', (g, x) => one(g, 'Add', [x, g.addConst('zero', fill([2, 3], 0))])],
    ['x - 0', (g, x) => one(g, 'Sub', [x, g.addConst('zero', fill([], 0))])],
    ['x / 1', (g, x) => one(g, 'Div', [x, g.addConst('one', fill([1, 1], 1))])],
    ['Tile by ones', (g, x) => one(g, 'Tile', [x, g.addConst('rep', i64([1, 1]))])],
    ['Expand to the same shape', (g, x) => one(g, 'Expand', [x, g.addConst('s', i64([2, 3]))])],
  ];
  for (const [what, build] of cases) {
    it(`removes ${what}; the graph output keeps its name`, () => {
      const { g, x } = graph();
      const r = one(g, 'Relu', [x]);
      const y = build(g, r);
      g.outputs = [y];
      const name = y.name;
      const feeds = { x: f32([2, 3], [1, -2, 3, -4, 5, -6]) };
      const before = runGraph(g, feeds)[name]!.toNumbers();
      run(g, eliminateIdentity);
      expect(ops(g)).toEqual(['Relu']);
      expect(g.outputs[0]!.name).toBe(name);
      expect(g.initializers).toEqual([]);
      expect(runGraph(g, feeds)[name]!.toNumbers()).toEqual(before);
    });
  }

  const kept: [string, (g: Graph, x: Value) => Value, Dim[]?][] = [
    ['x + 0 that broadcasts x to a bigger shape', (g, x) => one(g, 'Add', [x, g.addConst('zero', fill([4, 2, 3], 0))])],
    ['x * c with c not all ones', (g, x) => one(g, 'Mul', [x, g.addConst('c', f32([3], [1, 1, 2]))])],
    ['Transpose with a real perm', (g, x) => one(g, 'Transpose', [x], { perm: [1, 0] })],
    ['Reshape to another shape', (g, x) => one(g, 'Reshape', [x, g.addConst('s', i64([3, 2]))])],
    ['Cast to another dtype', (g, x) => one(g, 'Cast', [x], { to: 11 })],
    ['Pad with a non-zero pad', (g, x) => one(g, 'Pad', [x, g.addConst('p', i64([0, 1, 0, 0]))])],
    ['Dropout in training mode', (g, x) => one(g, 'Dropout', [x, g.addConst('r', Tensor.scalar('float32', 0.3)), g.addConst('t', Tensor.fromArray('bool', [], [1]))])],
    ['Squeeze of a symbolic dim (it may be 1 at run time)', (g, x) => one(g, 'Squeeze', [x]), ['N', 3]],
  ];
  for (const [what, build, shape] of kept) {
    it(`keeps ${what}`, () => {
      const { g, x } = graph(shape ?? [2, 3]);
      g.outputs = [build(g, one(g, 'Relu', [x]))];
      const before = ops(g);
      const r = run(g, eliminateIdentity);
      expect(ops(g)).toEqual(before);
      expect(r.changes).toEqual({});
    });
  }

  it('keeps an Identity between a graph input and a graph output (the output would lose its name)', () => {
    const { g, x } = graph();
    g.outputs = [one(g, 'Identity', [x])];
    const r = run(g, eliminateIdentity);
    expect(ops(g)).toEqual(['Identity']);
    expect(r.skipped).toEqual({ 'graph output would lose its name': 1 });
  });
  it('removes an Identity that is not an output even when its input is a graph input', () => {
    const { g, x } = graph();
    g.outputs = [one(g, 'Relu', [one(g, 'Identity', [x])])];
    run(g, eliminateIdentity);
    expect(ops(g)).toEqual(['Relu']);
    expect(g.nodes[0]!.inputs[0]).toBe(x);
  });
});
