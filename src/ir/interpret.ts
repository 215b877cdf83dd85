// The reference interpreter: runs a graph node by node with each op's `evalRef`. Plain and slow on
// purpose; it is the oracle every optimization and backend is checked against.
import type { Graph } from './graph.ts';
import type { Tensor } from './tensor.ts';
import { getOp, resolveAttrs, type EvalContext } from './registry.ts';
import { LayercError, lcError } from '../diagnostics.ts';

export interface RunOptions {
  training?: boolean;
  random?: () => number;
  /** Called with every value computed (for feature-map dumps and debugging). */
  onValue?: (name: string, t: Tensor) => void;
}

export function runGraph(graph: Graph, feeds: Record<string, Tensor>, opts: RunOptions = {}): Record<string, Tensor> {
  const env = new Map<string, Tensor>();
  for (const v of graph.initializers) if (v.const) env.set(v.name, v.const);
  for (const v of graph.inputs) {
    const t = feeds[v.name];
    if (!t) {
      if (v.const) continue;
      throw lcError('LC036', [v.name, 'no value was given for this graph input'], { file: graph.source });
    }
    checkFeed(graph, v.name, v.type.shape, t);
    env.set(v.name, t);
  }
  for (const node of graph.nodes) {
    const def = getOp(node);
    const inputs = node.inputs.map((v) => {
      if (!v) return null;
      const t = env.get(v.name);
      if (!t) throw lcError('LC014', [v.name], { node: node.name, op: node.op, file: graph.source });
      return t;
    });
    const ctx: EvalContext = { node, attrs: resolveAttrs(node, def), training: opts.training, random: opts.random };
    let outs: Tensor[];
    try {
      outs = def.evalRef(inputs, ctx);
    } catch (e) {
      if (e instanceof LayercError) throw e.within({ node: node.name, op: node.op, span: node.span, file: graph.source });
      throw e;
    }
    node.outputs.forEach((o, i) => {
      if (outs[i]) {
        env.set(o.name, outs[i]);
        opts.onValue?.(o.name, outs[i]);
      }
    });
  }
  const result: Record<string, Tensor> = {};
  for (const o of graph.outputs) {
    const t = env.get(o.name);
    if (!t) throw lcError('LC014', [o.name], { file: graph.source });
    result[o.name] = t;
  }
  return result;
}

function checkFeed(graph: Graph, name: string, shape: (number | string)[] | null, t: Tensor): void {
  if (!shape) return;
  const bad = t.shape.length !== shape.length || shape.some((d, i) => typeof d === 'number' && d !== t.shape[i]);
  if (bad) {
    throw lcError('LC032', [`input '${name}' expects shape [${shape.join(', ')}], got [${t.shape.join(', ')}]`], { file: graph.source });
  }
}
