// eliminate-dead-code: a node is live when one of its outputs is a graph output or feeds a live node.
// Liveness is marked backwards from the graph outputs (nodes are in topological order, so one reverse
// sweep suffices); dead nodes are removed users-first, then initializers nothing reads any more. Graph
// inputs and outputs are never removed, even when unused: they are the model's interface.
import type { Node } from '../src/ir/graph.ts';
import type { Pass } from './pass.ts';
import { Rewriter } from './rewriter.ts';

export const eliminateDeadCode: Pass = {
  name: 'eliminate-dead-code',
  summary: 'removes nodes whose outputs reach no graph output, and unused initializers',
  run(g, ctx) {
    const live = new Set<Node>();
    for (const o of g.outputs) if (o.producer) live.add(o.producer);
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const n = g.nodes[i]!;
      if (!live.has(n)) continue;
      for (const v of n.inputs) if (v?.producer) live.add(v.producer);
    }
    const rw = new Rewriter(g);
    let removed = 0;
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const n = g.nodes[i]!;
      if (live.has(n)) continue;
      rw.remove(n);
      removed++;
      ctx.count('dead nodes removed');
    }
    const outputs = new Set(g.outputs), inputs = new Set(g.inputs);
    for (const v of g.initializers) {
      if (v.users.length || outputs.has(v) || inputs.has(v)) continue;
      rw.dropIfUnused(v);
      removed++;
      ctx.count('unused initializers removed');
    }
    rw.flush();
    return removed > 0;
  },
};
