import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Graph, Node, Value, Tensor, runGraph, inferShapes, verify, printGraph, LayercError, loadOnnxFile } from '../src/index.ts';
import { MODELS } from './fixtures.ts';

describe('IR core', () => {
  it('builds, infers, verifies, prints and runs a graph', () => {
    const g = new Graph('t');
    const x = g.addInput('x', { dtype: 'float32', shape: ['N', 3] });
    const r = g.addNode('Relu', [x], {}, { name: 'relu1' });
    const s = g.addNode('LeakyRelu', [r.outputs[0]], { alpha: 0.5 }, { name: 'lrelu' });
    g.outputs.push(s.outputs[0]);
    inferShapes(g);
    verify(g);
    expect(s.outputs[0].type.shape).toEqual(['N', 3]);
    expect(printGraph(g)).toContain('LeakyRelu(%relu1) {alpha=0.5}');
    const out = runGraph(g, { x: Tensor.fromArray('float32', [1, 3], [-2, 0, 3]) });
    expect(Array.from(out.lrelu.data)).toEqual([0, 0, 3]);
  });

  it('replaceAllUses keeps use lists right and keeps output names', () => {
    const g = new Graph('t');
    const x = g.addInput('x', { dtype: 'float32', shape: [2] });
    const a = g.addNode('Relu', [x], {}, { name: 'a' });
    const b = g.addNode('Sigmoid', [a.outputs[0]], {}, { name: 'b' });
    g.outputs.push(b.outputs[0]);
    const c = g.addNode('Tanh', [a.outputs[0]], {}, { name: 'c' });
    g.replaceAllUses(b.outputs[0], c.outputs[0]);
    g.removeNode(b);
    inferShapes(g);
    verify(g);
    expect(g.outputs[0]).toBe(c.outputs[0]);
    expect(g.outputs[0].name).toBe('b');
    expect(a.outputs[0].users).toEqual([c]);
  });
});

// verify(): each invariant broken on purpose (by hand, bypassing the Graph API) gives LC034 naming it.
describe('verify(graph) invariants', () => {
  const chain = () => {
    const g = new Graph('t');
    const x = g.addInput('x', { dtype: 'float32', shape: [2] });
    const a = g.addNode('Relu', [x], {}, { name: 'a' });
    const b = g.addNode('Sigmoid', [a.outputs[0]], {}, { name: 'b' });
    g.outputs.push(b.outputs[0]);
    inferShapes(g);
    return { g, x, a, b };
  };
  const broken = (g: Graph): LayercError => {
    try { verify(g); } catch (e) { expect(e).toBeInstanceOf(LayercError); return e as LayercError; }
    throw new Error('verify accepted a broken graph');
  };

  it('accepts a well-formed graph', () => expect(() => verify(chain().g)).not.toThrow());
  it('nodes out of topological order', () => {
    const { g } = chain();
    g.nodes.reverse();
    const e = broken(g);
    expect([e.code, e.context.node]).toEqual(['LC034', 'b']);
    expect(e.message).toContain('used before it is defined');
  });
  it('a use list that misses a consumer', () => {
    const { g, a } = chain();
    a.outputs[0].users.length = 0;
    expect(broken(g).message).toContain("use list of 'a' misses node 'b'");
  });
  it('a use list naming a node that does not use the value', () => {
    const { g, x, b } = chain();
    x.users.push(b);
    expect(broken(g).message).toMatch(/lists user 'b' that does not use it|use list/);
  });
  it('a user that was removed from the graph', () => {
    const { g, a } = chain();
    const ghost = new Node('ghost', 'Relu', '', {});
    ghost.inputs.push(a.outputs[0]);
    a.outputs[0].users.push(ghost);
    expect(broken(g).message).toContain("lists user 'ghost' that is not in the graph");
  });
  it('an output whose producer link is wrong', () => {
    const { g, a, b } = chain();
    a.outputs[0].producer = b;
    expect(broken(g).message).toContain('does not point back to its producer');
  });
  it('duplicate node names, unknown ops, undefined graph outputs', () => {
    const d = chain();
    d.b.name = 'a';
    expect(broken(d.g).message).toContain("node name 'a' is used twice");
    const u = chain();
    u.b.op = 'NoSuchOp';
    expect(broken(u.g).message).toContain('unknown op NoSuchOp');
    const o = chain();
    o.g.outputs.push(new Value('dangling', { dtype: 'float32', shape: [2] }));
    expect(broken(o.g).message).toContain("graph output 'dangling' is not defined");
  });
  it('an output typed differently from what its op gives (dtype, shape, rank, untyped)', () => {
    for (const type of [{ dtype: 'float64', shape: [2] }, { dtype: 'float32', shape: [3] }, { dtype: 'float32', shape: [2, 1] }, { dtype: 'float32', shape: null }] as const) {
      const { g, a } = chain();
      a.outputs[0].type = { dtype: type.dtype, shape: type.shape ? [...type.shape] : null };
      const e = broken(g);
      expect([e.code, e.context.node]).toEqual(['LC034', 'a']);
      expect(e.message).toContain("output 'a' is typed");
      expect(e.message).toContain('but Relu gives float32[2]');
    }
  });
  it('an initializer without a tensor', () => {
    const { g } = chain();
    const w = g.addConst('w', Tensor.fromArray('float32', [2], [1, 2]));
    w.const = null;
    expect(broken(g).message).toContain("initializer 'w' has no tensor");
  });
});

// The printer is the text form tests compare: same graph, same text, whatever order attributes were set in.
describe('printGraph is stable', () => {
  it('prints an exact, documented form', () => {
    const g = new Graph('net');
    const x = g.addInput('x', { dtype: 'float32', shape: ['N', 3] });
    const w = g.addConst('w', Tensor.fromArray('float32', [4, 3], new Array(12).fill(0.5)), 'param');
    w.trainable = false;
    const gemm = g.addNode('Gemm', [x, w, null], { transB: 1, alpha: 0.25 }, { name: 'fc' });
    g.outputs.push(gemm.outputs[0]);
    inferShapes(g);
    expect(printGraph(g)).toBe([
      'graph net(%x: float32[N, 3]) -> (%fc)',
      '  const %w: float32[4, 3] role=param frozen',
      '  %fc: float32[N, 4] = Gemm(%x, %w, _) {alpha=0.25, transB=1}  # fc',
    ].join('\n'));
    expect(printGraph(g, { types: false })).toContain('  %fc = Gemm(%x, %w, _) {alpha=0.25, transB=1}  # fc');
  });
  it('attribute order does not matter; spans show only when asked', () => {
    const make = (attrs: Record<string, number>) => {
      const g = new Graph('t');
      const x = g.addInput('x', { dtype: 'float32', shape: [1, 2] });
      g.outputs.push(g.addNode('LeakyRelu', [x], attrs, { name: 'l', span: { file: 'm.layers', line: 2, column: 7 } }).outputs[0]);
      return g;
    };
    expect(printGraph(make({ alpha: 0.5, beta: 2 }))).toBe(printGraph(make({ beta: 2, alpha: 0.5 })));
    expect(printGraph(make({ alpha: 0.5 }))).not.toContain('@');
    expect(printGraph(make({ alpha: 0.5 }), { spans: true })).toContain('# l  @ m.layers:2:7');
  });
  it('two imports of the same fixture print identically', () => {
    const file = join(MODELS, 'squeezenet1_1', 'model.onnx');
    expect(printGraph(loadOnnxFile(file))).toBe(printGraph(loadOnnxFile(file)));
  });
});

describe('spans survive rewrites', () => {
  it('a node inserted before another inherits its span unless given one', () => {
    const g = new Graph('t');
    const x = g.addInput('x', { dtype: 'float32', shape: [2] });
    const span = { file: 'm.layers', line: 4, column: 3 };
    const r = g.addNode('Relu', [x], {}, { name: 'r', span });
    const pre = g.addNode('Sigmoid', [x], {}, { name: 'pre' }, r);
    const own = g.addNode('Tanh', [x], {}, { name: 'own', span: { line: 9, column: 1 } }, r);
    const after = g.addNode('Neg', [x], {}, { name: 'after' });
    expect(pre.span).toBe(span);
    expect(own.span).toEqual({ line: 9, column: 1 });
    expect(after.span).toBeUndefined();
  });
});
