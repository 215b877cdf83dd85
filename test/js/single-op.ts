// One op on the js backend against the reference interpreter: the op must get a kernel (no reference fallback)
// and agree within |js - ref| <= 1e-4 + 1e-3 |ref| (`exact`: bit for bit, for ops that only move values).
// Inputs listed in `consts` (and every non-float input not listed in `fed`) become constants; the others are fed.
import { expect } from 'vitest';
import { Graph } from '../../src/ir/graph.ts';
import type { AttrValue } from '../../src/ir/graph.ts';
import type { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { compileJs, compileProgram } from '../../runtime/js/index.ts';
import { toleranceRatio } from './graphs.ts';

export interface SingleOpCase { op: string; inputs: (Tensor | null)[]; consts?: number[]; fed?: number[]; attrs?: Record<string, AttrValue>; outputs?: number; exact?: boolean }

export async function agree(c: SingleOpCase, threads = 1): Promise<void> {
  const g = new Graph('single');
  const feeds: Record<string, Tensor> = {};
  const ins = c.inputs.map((t, i) => {
    if (!t) return null;
    if (c.consts?.includes(i) || (t.dtype !== 'float32' && !c.fed?.includes(i))) return g.addConst(`c${i}`, t);
    feeds[`x${i}`] = t;
    return g.addInput(`x${i}`, { dtype: t.dtype, shape: [...t.shape] });
  });
  const n = g.addNode(c.op, ins, c.attrs ?? {}, { numOutputs: c.outputs ?? 1 });
  g.outputs = [...n.outputs];
  inferShapes(g);
  const label = `${c.op} ${c.inputs.map((t) => (t ? `[${t.shape.join(',')}]` : '-')).join(' ')} ${JSON.stringify(c.attrs ?? {})}`;
  const kinds = compileProgram(g, { threads }).kernels;
  expect(kinds.filter((k) => k.kind === 'reference').map((k) => k.op), `${label}: falls back`).toEqual([]);
  const ref = runGraph(g, feeds);
  const m = await compileJs(g, { threads });
  try {
    const got = await m.run(feeds);
    for (const v of g.outputs) {
      if (c.exact) expect(Array.from(got[v.name]!.data), `${label}: ${v.name}`).toEqual(Array.from(ref[v.name]!.data));
      else expect(toleranceRatio(got[v.name]!, ref[v.name]!), `${label}: ${v.name}`).toBeLessThanOrEqual(1);
    }
  } finally { await m.dispose(); }
}
