// fast-check properties of the cleanup passes on random graphs: elementwise ops, no-op reshapes/transposes/
// casts/pads, transpose round trips, torch-style shape-computation chains (Shape -> Gather -> Unsqueeze ->
// Concat -> Reshape), constant arithmetic, duplicated subexpressions, dead branches and broadcasting adds
// of zeros, with a static or symbolic batch dim. Properties:
//   run(cleanup(g)) == run(g) EXACTLY (these rewrites never change a computed value: folding runs the same
//   reference op on the same constants, merged nodes compute the same thing, x*1 and x+0 return x up to
//   the sign of zero, which === ignores), output names are kept, and cleanup is idempotent (a second run
//   changes nothing and prints the same graph).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph, type Dim, type Value } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { printGraph } from '../../src/ir/printer.ts';
import '../../src/ops/index.ts';
import { optimize } from '../../passes/index.ts';
import { lcg } from '../helpers/random.ts';

const CLEANUP = ['fold-constants', 'eliminate-identity', 'eliminate-common-subexpressions', 'eliminate-dead-code'];
const STEPS = ['unary', 'noop', 'noop', 'binary', 'roundtrip', 'chain', 'constArith', 'duplicate', 'duplicate', 'broadcastZero'] as const;

interface Case { steps: (typeof STEPS[number])[]; dims: number[]; symbolic: boolean; seed: number }

const caseArb: fc.Arbitrary<Case> = fc.record({
  steps: fc.array(fc.constantFrom(...STEPS), { minLength: 1, maxLength: 12 }),
  dims: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 4 }),
  symbolic: fc.boolean(),
  seed: fc.integer({ min: 1, max: 1e9 }),
});


function build(c: Case): { g: Graph; feeds: Record<string, Tensor> } {
  const rnd = lcg(c.seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const g = new Graph('random');
  const shape: Dim[] = c.symbolic ? ['N', ...c.dims.slice(1)] : [...c.dims];
  const x = g.addInput('x', { dtype: 'float32', shape });
  const pool: Value[] = [x];
  const i64 = (v: number[]) => g.addConst('k', Tensor.fromArray('int64', [v.length], v));
  const f32 = (s: number[], f: () => number) => g.addConst('c', Tensor.fromArray('float32', s, Array.from({ length: s.reduce((a, b) => a * b, 1) }, f)));
  const node = (op: string, ins: (Value | null)[], attrs = {}) => {
    const v = g.addNode(op, ins, attrs).outputs[0]!;
    inferShapes(g);
    return v;
  };
  const dimsOf = (v: Value) => v.type.shape!;
  // a symbolic last dim (left by a Reshape to a non-constant target) broadcasts a size-1 operand instead
  const last = (v: Value) => { const d = dimsOf(v).at(-1); return typeof d === 'number' ? d : 1; };
  for (const step of c.steps) {
    const v = pick(pool);
    const rank = dimsOf(v).length;
    let out: Value;
    switch (step) {
      case 'unary': out = node(pick(['Relu', 'Sigmoid', 'Tanh', 'Neg', 'Abs']), [v]); break;
      case 'noop': {
        const k = Math.floor(rnd() * 10);
        if (k === 0) out = node('Identity', [v]);
        else if (k === 1) out = node('Dropout', [v]);
        else if (k === 2) out = node('Cast', [v], { to: 1 });
        else if (k === 3) out = node('Pad', [v, i64(new Array(2 * rank).fill(0))]);
        else if (k === 4) out = node('Concat', [v], { axis: 0 });
        else if (k === 5) out = node('Transpose', [v], { perm: dimsOf(v).map((_, i) => i) });
        else if (k === 6) out = node('Reshape', [v, i64([0, ...dimsOf(v).slice(1, -1).map((d) => (typeof d === 'number' ? d : 0)), -1])]);
        else if (k === 7) out = node('Mul', [v, f32([last(v)], () => 1)]);
        else if (k === 8) out = node('Add', [f32([1], () => 0), v]);
        else out = node('Unsqueeze', [v, i64([])]);
        break;
      }
      case 'binary': {
        const same = pool.filter((p) => dimsOf(p).join() === dimsOf(v).join());
        const w = rnd() < 0.5 ? pick(same) : f32([last(v)], () => Math.round(rnd() * 8 - 4) / 4);
        out = node(pick(['Add', 'Mul', 'Sub']), [v, w]);
        break;
      }
      case 'roundtrip': {
        const perm = dimsOf(v).map((_, i) => i).sort(() => rnd() - 0.5);
        const inv = perm.map((_, i) => perm.indexOf(i));
        out = node('Transpose', [node('Transpose', [v], { perm })], { perm: inv });
        break;
      }
      case 'chain': {
        // torch.flatten(v, 1) as exported, then back to v's shape through Shape(v)
        const n0 = node('Gather', [node('Shape', [v]), g.addConst('zero', Tensor.scalar('int64', 0))], { axis: 0 });
        const target = node('Concat', [node('Unsqueeze', [n0, i64([0])]), i64([-1])], { axis: 0 });
        out = node('Reshape', [node('Reshape', [v, target]), node('Shape', [v])]);
        break;
      }
      case 'constArith': {
        const k = node('Mul', [f32([last(v)], () => Math.round(rnd() * 8) / 2), node('Add', [f32([1], () => 0.5), f32([last(v)], () => 1.5)])]);
        out = node('Add', [v, k]);
        break;
      }
      case 'duplicate': {
        const floats = g.nodes.filter((m) => m.outputs[0]!.type.dtype === 'float32');
        const n = pick(floats.length ? floats : [null]);
        out = n ? g.addNode(n.op, [...n.inputs], { ...n.attrs }, { numOutputs: n.outputs.length }).outputs[0]! : node('Relu', [v]);
        inferShapes(g);
        break;
      }
      case 'broadcastZero': out = node('Add', [v, f32([2, ...dimsOf(v).map((d) => (typeof d === 'number' ? d : 1))], () => 0)]); break;
    }
    pool.push(out);
  }
  const outs = [pool.at(-1)!];
  const other = pick(pool);
  if (!outs.includes(other)) outs.push(other);
  g.outputs = outs;
  inferShapes(g);
  const concrete = shape.map((d) => (typeof d === 'number' ? d : 3));
  const feeds = { x: Tensor.fromArray('float32', concrete, Array.from({ length: concrete.reduce((a, b) => a * b, 1) }, () => Math.round(rnd() * 16 - 8) / 4)) };
  return { g, feeds };
}

function exactlyEqual(a: Record<string, Tensor>, b: Record<string, Tensor>): string | null {
  if (Object.keys(a).join() !== Object.keys(b).join()) return `outputs ${Object.keys(a)} vs ${Object.keys(b)}`;
  for (const k of Object.keys(a)) {
    const [s, t] = [a[k]!, b[k]!];
    if (s.dtype !== t.dtype || s.shape.join() !== t.shape.join()) return `${k}: ${s.dtype}[${s.shape}] vs ${t.dtype}[${t.shape}]`;
    for (let i = 0; i < s.size; i++) if (s.data[i] !== t.data[i]) return `${k}[${i}]: ${s.data[i]} vs ${t.data[i]}`;
  }
  return null;
}

describe('cleanup passes on random graphs', () => {
  it('preserve every output exactly, keep output names, and are idempotent', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const { g, feeds } = build(c);
      const expected = runGraph(g, feeds);
      optimize(g, { passes: CLEANUP });
      const diff = exactlyEqual(expected, runGraph(g, feeds));
      if (diff) throw new Error(`${diff}\n${printGraph(g)}`);
      const once = printGraph(g);
      const again = optimize(g, { passes: CLEANUP });
      expect(again.reports.map((r) => r.changes)).toEqual(CLEANUP.map(() => ({})));
      expect(printGraph(g)).toBe(once);
    }), { numRuns: 150, seed: 4242 });
  });

  it('leave no Identity, no shape computation on static shapes, and no duplicate node', () => {
    fc.assert(fc.property(caseArb.filter((c) => !c.symbolic), (c) => {
      const { g } = build(c);
      optimize(g, { passes: CLEANUP });
      // (a no-op between the graph input and a graph output stays: the output would lose its name)
      const left = g.nodes.filter((n) => !g.outputs.includes(n.outputs[0]!) && ['Identity', 'Shape', 'Gather', 'Unsqueeze', 'Cast', 'Pad'].includes(n.op));
      expect(left.map((n) => n.op)).toEqual([]);
      // two graph outputs computed the same way stay two values (each keeps its name)
      const keys = g.nodes.filter((n) => !g.outputs.includes(n.outputs[0]!)).map((n) => `${n.op}|${n.inputs.map((v) => v?.name).join()}|${JSON.stringify(n.attrs)}`);
      expect(new Set(keys).size).toBe(keys.length);
    }), { numRuns: 100, seed: 777 });
  });
});
