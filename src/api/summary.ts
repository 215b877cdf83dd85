// A model summary in the spirit of Keras' model.summary(): one row per layer (node) with its name (the DSL
// name for .layers models), op, output shape and the values it owns, split three ways: trainable parameters,
// non-trainable (frozen) parameters, and state (BatchNorm running statistics, which training updates but no
// gradient touches). Constants that are not parameters (shape tensors, scalars, integer tables) are counted
// apart, never as parameters. Each initializer counts once, at its first consumer; Identity chains are seen
// through, and a running statistic that PyTorch's exporter aliased to another tensor (`Identity(gamma)`)
// still counts as that layer's state.
import type { Graph, Node, Value } from '../ir/graph.ts';
import { isFloat } from '../ir/dtype.ts';

export interface LayerSummary {
  name: string;
  op: string;
  /** Output shapes, e.g. `[N, 6, 24, 24]` (several outputs joined by `, `). */
  output: string;
  trainable: number;
  nonTrainable: number;
  state: number;
}

export interface ModelSummary {
  name: string;
  layers: LayerSummary[];
  totals: { trainable: number; nonTrainable: number; state: number; constants: number };
}

const STATE_ROLES = new Set(['running_mean', 'running_var', 'optimizer', 'step']);
const isBnStat = (n: Node, i: number) => n.op === 'BatchNormalization' && !n.domain && (i === 3 || i === 4);

/** The initializer behind a value (through Identity nodes), or null. */
function source(v: Value): Value | null {
  while (!v.const && v.producer?.op === 'Identity' && !v.producer.domain) v = v.producer.inputs[0]!;
  return v.const ? v : null;
}

export function summary(g: Graph): ModelSummary {
  const counted = new Set<Value>();
  const totals = { trainable: 0, nonTrainable: 0, state: 0, constants: 0 };
  const layers: LayerSummary[] = [];
  for (const n of g.nodes) {
    if (n.op === 'Identity' && !n.domain) continue;
    const row: LayerSummary = { name: n.name, op: n.domain ? `${n.domain}::${n.op}` : n.op, output: n.outputs.map((o) => shapeText(o)).join(', '), trainable: 0, nonTrainable: 0, state: 0 };
    n.inputs.forEach((input, i) => {
      const v = input && source(input);
      if (!v) return;
      const size = v.const!.size;
      if (isBnStat(n, i) || (v.role && STATE_ROLES.has(v.role))) {
        if (v === input && counted.has(v)) return; // an aliased statistic is its own tensor: count it here
        counted.add(v);
        row.state += size;
        return;
      }
      if (counted.has(v)) return;
      counted.add(v);
      if (v.role === 'param' || (isFloat(v.const!.dtype) && v.const!.rank > 0)) {
        if (v.trainable === false) row.nonTrainable += size; else row.trainable += size;
      } else totals.constants += size;
    });
    totals.trainable += row.trainable; totals.nonTrainable += row.nonTrainable; totals.state += row.state;
    layers.push(row);
  }
  return { name: g.name, layers, totals };
}

function shapeText(v: Value): string {
  return v.type.shape ? `[${v.type.shape.join(', ')}]` : '?';
}

const num = (x: number) => x.toLocaleString('en-US');

/** The summary as a table, Keras-style, with the totals under it. */
export function formatSummary(s: ModelSummary): string {
  const head = ['Layer (op)', 'Output shape', 'Trainable', 'Non-trainable', 'State'];
  const rows = s.layers.map((l) => [`${l.name} (${l.op})`, l.output, num(l.trainable), num(l.nonTrainable), num(l.state)]);
  const width = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c < 2 ? cell.padEnd(width[c]) : cell.padStart(width[c]))).join('  ').trimEnd();
  const rule = '─'.repeat(width.reduce((a, b) => a + b + 2, -2));
  const t = s.totals;
  return [`Model: "${s.name}"`, rule, line(head), rule, ...rows.map(line), rule,
    `Total parameters: ${num(t.trainable + t.nonTrainable)} (trainable ${num(t.trainable)}, non-trainable ${num(t.nonTrainable)})`,
    `State: ${num(t.state)} (BatchNorm running statistics)`,
    `Constants: ${num(t.constants)} values (shape tensors and other non-parameter initializers)`].join('\n');
}
