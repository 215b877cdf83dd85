// A pass that writes a wrong type fails at that pass: runPass verifies types against a fresh inference and
// never re-infers behind the pass's back. The Rewriter re-derives only the users of rewired values.
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { LayercError } from '../../src/diagnostics.ts';
import { runPass, type Pass } from '../../passes/pass.ts';
import { Rewriter } from '../../passes/rewriter.ts';
import '../../src/ops/index.ts';

function reluSigmoid(): Graph {
  const g = new Graph('t');
  const x = g.addInput('x', { dtype: 'float32', shape: ['N', 4] });
  const r = g.addNode('Relu', [x], {}, { name: 'r' });
  const s = g.addNode('Sigmoid', [r.outputs[0]!], {}, { name: 's' });
  g.outputs.push(s.outputs[0]!);
  return inferShapes(g);
}

/** Relu(x) -> Tanh(x), with the new node typed by `type` (a correct pass copies Relu's output type). */
const swapRelu = (type: (old: { dtype: string; shape: unknown }) => object): Pass => ({
  name: 'swap-relu',
  summary: 'test pass',
  run(g, ctx) {
    const rw = new Rewriter(g);
    const relu = g.nodes.find((n) => n.op === 'Relu')!;
    const t = rw.addNode('Tanh', [relu.inputs[0]!], {}, { name: 'tanh' }, relu);
    t.outputs[0]!.type = type(relu.outputs[0]!.type) as never;
    rw.replaceAllUses(relu.outputs[0]!, t.outputs[0]!);
    rw.remove(relu);
    rw.flush();
    ctx.count('swapped');
    return true;
  },
});

describe('runPass checks the types a pass writes', () => {
  it('a correctly typed rewrite passes', () => {
    const g = reluSigmoid();
    expect(runPass(g, swapRelu((t) => ({ ...t }))).changes).toEqual({ swapped: 1 });
    expect(g.nodes.map((n) => n.op)).toEqual(['Tanh', 'Sigmoid']);
  });
  for (const [what, type] of [
    ['wrong shape', { dtype: 'float32', shape: ['N', 5] }],
    ['wrong dtype', { dtype: 'float64', shape: ['N', 4] }],
    ['untyped (shape null)', { dtype: 'float32', shape: null }],
  ] as const) {
    it(`a pass that writes a ${what} fails verification naming the node`, () => {
      const g = reluSigmoid();
      let err: unknown;
      try { runPass(g, swapRelu(() => type)); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(LayercError);
      expect((err as LayercError).code).toBe('LC034');
      expect((err as LayercError).context.node).toBe('tanh');
      expect((err as LayercError).message).toContain('but Tanh gives float32[N, 4]');
    });
  }
  it('a pass that reports no change is still checked for structure (types are re-checked only after a change)', () => {
    const g = reluSigmoid();
    const quiet: Pass = { name: 'quiet', summary: 'test', run(gr) { gr.nodes[1]!.inputs[0]!.users.length = 0; return false; } };
    let err: unknown;
    try { runPass(g, quiet); } catch (e) { err = e; }
    expect((err as LayercError).code).toBe('LC034');
    expect((err as LayercError).message).toContain("use list of 'r");
  });
  it('the rewriter re-infers the users of a rewired value (a merge that changes a symbolic dim)', () => {
    const g = new Graph('t');
    const x = g.addInput('x', { dtype: 'float32', shape: ['N', 4] });
    const y = g.addInput('y', { dtype: 'float32', shape: ['M', 4] });
    const r = g.addNode('Relu', [x], {}, { name: 'r' });
    g.outputs.push(r.outputs[0]!);
    inferShapes(g);
    const pass: Pass = { name: 'rewire', summary: 'test', run(gr) { const rw = new Rewriter(gr); rw.setInput(r, 0, y); rw.flush(); return true; } };
    runPass(g, pass);
    expect(r.outputs[0]!.type.shape).toEqual(['M', 4]);
  });
});
