// The reference interpreter: runs a graph node by node with each op's `evalRef`. Plain and slow on
// purpose; it is the oracle every optimization and backend is checked against.
import type { Graph } from './graph.ts';
import type { Tensor } from './tensor.ts';
import { lcError } from '../diagnostics.ts';
import { evaluateNode, RunBudget } from './budget.ts';
import type { Limits } from '../limits.ts';

export interface RunOptions {
  training?: boolean;
  random?: () => number;
  /** Called with every value computed (for feature-map dumps and debugging). */
  onValue?: (name: string, t: Tensor) => void;
  /** Limits for this run (default: currentLimits()). */
  limits?: Limits;
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
  // Values die after their last use: the budget counts what is held, and the interpreter frees it.
  const budget = new RunBudget(opts.limits);
  const lastUse = new Map<string, number>();
  graph.nodes.forEach((n, i) => { for (const v of n.inputs) if (v) lastUse.set(v.name, i); });
  for (const o of graph.outputs) lastUse.set(o.name, Infinity);
  const computed = new Set<string>();
  graph.nodes.forEach((node, step) => {
    const inputs = node.inputs.map((v) => {
      if (!v) return null;
      const t = env.get(v.name);
      if (!t) throw lcError('LC014', [v.name], { node: node.name, op: node.op, file: graph.source });
      return t;
    });
    const outs = evaluateNode(node, inputs, { graph, budget, training: opts.training, random: opts.random });
    node.outputs.forEach((o, i) => {
      if (outs[i]) {
        if (computed.has(o.name)) budget.release(env.get(o.name)!);
        env.set(o.name, outs[i]);
        computed.add(o.name);
        budget.hold(outs[i]);
        opts.onValue?.(o.name, outs[i]);
      }
    });
    for (const v of [...node.inputs, ...node.outputs]) {
      if (v && computed.has(v.name) && (lastUse.get(v.name) ?? -1) <= step) {
        budget.release(env.get(v.name)!);
        env.delete(v.name);
        computed.delete(v.name);
      }
    }
  });
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
