// The memory plan is checked by simulation: random graphs (chains, residual adds, views, elementwise
// ops, multi-output nodes, scratch, Concats, nested or sharing inputs) are "run" on a byte-tagged arena laid out by the plan. Every node
// first checks that each input's bytes still hold that input's content, then scratch is clobbered, then
// the output is written. A plan that lets two live buffers share bytes fails this, whatever the algorithm.
// A Concat planned in place (its inputs inside its output) writes nothing: its output's bytes must already hold
// its inputs' contents end to end.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph, type Node, type Value } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { planMemory, type MemoryPlan } from '../../runtime/plan.ts';

const numel = (v: Value) => (v.type.shape as number[]).reduce((x, y) => x * y, 1);

type Spec = { op: string; a: number; b: number; size: number; scratch: number; outs: number };

const OPS = ['Relu', 'Add', 'Reshape', 'Conv', 'Split', 'Mul', 'Concat', 'Concat'];

function buildGraph(specs: Spec[], inputs: number, outputsFrom: number[]): Graph {
  const g = new Graph('t');
  const vals: Value[] = [];
  for (let i = 0; i < inputs; i++) vals.push(g.addInput(`in${i}`, { dtype: 'float32', shape: [3 + i] }));
  const w = g.addConst('w', Tensor.zeros('float32', [4]));
  for (const s of specs) {
    const a = vals[s.a % vals.length]!, b = vals[s.b % vals.length]!;
    const sameShape = (v: Value) => ({ dtype: 'float32' as const, shape: [...(v.type.shape as number[])] });
    let n: Node;
    switch (s.op) {
      case 'Relu': n = g.addNode('Relu', [a]); n.outputs[0]!.type = sameShape(a); break;
      case 'Add': case 'Mul': n = g.addNode(s.op, [a, b]); n.outputs[0]!.type = sameShape(a); break;
      case 'Reshape': n = g.addNode('Reshape', [a]); n.outputs[0]!.type = { dtype: 'float32', shape: [1, ...(a.type.shape as number[])] }; break;
      case 'Concat': n = g.addNode('Concat', [a, b], { axis: 0 }); n.outputs[0]!.type = { dtype: 'float32', shape: [numel(a) + numel(b)] }; break;
      case 'Split': n = g.addNode('Split', [a], {}, { numOutputs: s.outs }); n.outputs.forEach((o) => (o.type = { dtype: 'float32', shape: [s.size] })); break;
      default: n = g.addNode('Conv', [a, w, b]); n.outputs[0]!.type = { dtype: 'float32', shape: [s.size] };
    }
    n.attrs = { ...n.attrs, scratch: s.scratch };
    vals.push(...n.outputs);
  }
  const nodeVals = vals.slice(inputs);
  g.outputs = [...new Set(outputsFrom.map((i) => nodeVals[i % nodeVals.length]!))];
  return g;
}

/** Runs the graph on a tagged arena; returns a description of the first clobbered read, or null. */
function simulate(g: Graph, plan: MemoryPlan): string | null {
  const mem: string[] = new Array(plan.peakBytes).fill('');
  /** What each value's bytes must hold: its own tag, or (an in-place Concat) its inputs' contents end to end. */
  const content = new Map<string, string[]>();
  const write = (name: string, tag: string) => {
    const s = plan.slots.get(name)!;
    for (let i = s.offset; i < s.offset + s.bytes; i++) mem[i] = tag;
    content.set(name, new Array(s.bytes).fill(tag));
  };
  const intact = (name: string) => {
    const s = plan.slots.get(name)!, c = content.get(name)!;
    for (let i = 0; i < s.bytes; i++) if (mem[s.offset + i] !== c[i]) return false;
    return true;
  };
  for (const v of g.inputs) write(v.name, v.name);
  for (const n of g.nodes) {
    for (const v of n.args) if (!v.isConst && !intact(v.name)) return `${n.name} reads clobbered ${v.name}`;
    if (plan.views.includes(n.name)) { content.set(n.outputs[0]!.name, content.get(n.inputs[0]!.name)!); continue; }
    if (plan.concats.includes(n.name)) {
      content.set(n.outputs[0]!.name, n.inputs.flatMap((v) => content.get(v!.name)!));
      if (!intact(n.outputs[0]!.name)) return `${n.name} in place: its inputs are not end to end in its output`;
      continue;
    }
    const sc = plan.scratch.get(n.name);
    if (sc) for (let i = sc.offset; i < sc.offset + sc.bytes; i++) mem[i] = 'scratch';
    if (sc) for (const v of n.args) if (!v.isConst && !intact(v.name)) return `${n.name}'s scratch clobbers ${v.name}`;
    for (const o of n.outputs) write(o.name, o.name);
  }
  for (const o of g.outputs) if (!intact(o.name)) return `output ${o.name} clobbered`;
  return null;
}

const specArb = fc.record({
  op: fc.constantFrom(...OPS), a: fc.nat(50), b: fc.nat(50), size: fc.integer({ min: 1, max: 40 }),
  scratch: fc.constantFrom(0, 0, 0, 16, 100), outs: fc.integer({ min: 1, max: 3 }),
});
const graphArb = fc.record({
  specs: fc.array(specArb, { minLength: 1, maxLength: 14 }),
  inputs: fc.integer({ min: 1, max: 3 }),
  outs: fc.array(fc.nat(20), { minLength: 1, maxLength: 3 }),
});

describe('memory plan', () => {
  it('never lets a live buffer be overwritten, and the arena is at least the lower bound (fast-check)', () => {
    let placedConcats = 0;
    fc.assert(fc.property(graphArb, fc.boolean(), ({ specs, inputs, outs }, concats) => {
      const g = buildGraph(specs, inputs, outs);
      const plan = planMemory(g, { alignment: 8, scratchBytes: (n) => Number(n.attrs.scratch ?? 0), concatInPlace: () => concats });
      expect(simulate(g, plan)).toBeNull();
      if (!concats) expect(plan.concats).toEqual([]);
      placedConcats += plan.concats.length;
      expect(plan.peakBytes).toBeGreaterThanOrEqual(plan.lowerBound);
      expect(plan.lowerBound).toBeGreaterThanOrEqual(plan.largestTwo);
      for (const s of plan.slots.values()) {
        expect(s.offset % 8).toBe(0);
        expect(s.offset + s.bytes).toBeLessThanOrEqual(plan.peakBytes);
      }
    }), { numRuns: 600, seed: 42 });
    expect(placedConcats).toBeGreaterThan(10); // the in-place Concats were exercised, not only declined
  });

  it('the property can fail: a plan that puts everything at offset 0 is caught', () => {
    const g = buildGraph([{ op: 'Conv', a: 0, b: 0, size: 5, scratch: 0, outs: 1 }, { op: 'Add', a: 0, b: 1, size: 5, scratch: 0, outs: 1 }], 1, [1]);
    const plan = planMemory(g, { alignment: 4 });
    for (const s of plan.slots.values()) s.offset = 0;
    expect(simulate(g, plan)).toMatch(/clobber/);
  });

  it('a chain of same-size convs and relus needs exactly two buffers; relu runs in place', () => {
    const specs: Spec[] = [];
    // a, b index [input, n0, n1, ...]: each node takes the previous value.
    for (let i = 0; i < 6; i++) specs.push({ op: i % 2 ? 'Relu' : 'Conv', a: i, b: i, size: 16, scratch: 0, outs: 1 });
    const g = buildGraph(specs, 1, [5]);
    g.inputs[0]!.type.shape = [16];
    const plan = planMemory(g, { alignment: 64 });
    expect(plan.inPlace.length).toBe(3);
    expect(plan.peakBytes).toBe(2 * 64);
    expect(plan.lowerBound).toBe(2 * 64);
  });

  it('does not overwrite an input still used later (residual)', () => {
    // x -> conv -> relu(x) would clobber x, which the add reads afterwards.
    const g = new Graph('res');
    const x = g.addInput('x', { dtype: 'float32', shape: [8] });
    const r = g.addNode('Relu', [x]); r.outputs[0]!.type = { dtype: 'float32', shape: [8] };
    const a = g.addNode('Add', [r.outputs[0]!, x]); a.outputs[0]!.type = { dtype: 'float32', shape: [8] };
    g.outputs = [a.outputs[0]!];
    const plan = planMemory(g, { alignment: 4 });
    expect(plan.inPlace).toEqual([a.name]);
    expect(plan.slots.get(r.outputs[0]!.name)!.offset).not.toBe(plan.slots.get('x')!.offset);
    expect(simulate(g, plan)).toBeNull();
  });

  it('a value read by two Concats is placed inside the first only; the second copies', () => {
    const g = new Graph('two-concats');
    const x = g.addInput('x', { dtype: 'float32', shape: [4] });
    const w = g.addConst('w', Tensor.zeros('float32', [4]));
    // Convs (never in place): no part's buffer holds the graph input.
    const conv = (v: Value) => { const n = g.addNode('Conv', [v, w]); n.outputs[0]!.type = { dtype: 'float32', shape: [4] }; return n.outputs[0]!; };
    const concat = (a: Value, b: Value) => { const n = g.addNode('Concat', [a, b], { axis: 0 }); n.outputs[0]!.type = { dtype: 'float32', shape: [8] }; return n.outputs[0]!; };
    const a = conv(x), b = conv(x), c = conv(x);
    const first = concat(a, b), second = concat(b, c);
    const yf = g.addNode('Relu', [first]), ys = g.addNode('Relu', [second]);
    for (const n of [yf, ys]) n.outputs[0]!.type = { dtype: 'float32', shape: [8] };
    g.outputs = [yf.outputs[0]!, ys.outputs[0]!];
    const plan = planMemory(g, { alignment: 4, concatInPlace: () => true });
    expect(plan.concats).toEqual([first.producer!.name]);
    expect(plan.slots.get(b.name)!.offset).toBe(plan.slots.get(first.name)!.offset + 16);
    expect(simulate(g, plan)).toBeNull();
  });

  it('names the value whose shape is not static (LC076)', () => {
    const g = new Graph('dyn');
    const x = g.addInput('x', { dtype: 'float32', shape: ['N', 3] });
    const r = g.addNode('Relu', [x]);
    r.outputs[0]!.type = { dtype: 'float32', shape: ['N', 3] };
    g.outputs = [r.outputs[0]!];
    expect(() => planMemory(g)).toThrow(expect.objectContaining({ code: 'LC076' }));
  });
});
