import { describe, expect, it } from 'vitest';
import { Graph, Tensor, runGraph, inferShapes, verify, printGraph } from '../src/index.ts';

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
    verify(g);
    expect(g.outputs[0]).toBe(c.outputs[0]);
    expect(g.outputs[0].name).toBe('b');
    expect(a.outputs[0].users).toEqual([c]);
  });
});
