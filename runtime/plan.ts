// Static memory planning shared by the JS and WGSL backends.
//
// 1. Liveness: nodes run in graph order; node i is step i+1, graph inputs are defined at step 0 and graph
//    outputs stay live to the end (step n+1). A value lives from the step that defines it to its last use.
// 2. Aliasing: a value that is a view of its input (Reshape, Flatten, ...) joins the input's buffer; an
//    elementwise node may write its output over an input whose buffer dies at that very step (in place).
//    A Concat whose parts lie end to end in its output (nothing outer to the axis) may be planned as no copy:
//    each input's buffer moves inside the output's, at the input's offset, so its producer writes it in place.
//    Buffers are therefore groups of values (each at an offset inside its group), and a group lives over the
//    union of its members' ranges.
// 3. Placement: "greedy by size" (as in TFLite's arena planner): biggest buffer first, each placed at the
//    lowest aligned offset where it does not overlap any already-placed buffer whose live range intersects.
// Constants (weights) are not planned: backends keep them in a region of their own.
// Kernels may ask for per-node scratch (im2col, packed panels): it is a buffer live only at that step.
// The report gives the arena size (peak) and the lower bound no static plan can beat: the largest sum of
// bytes live at any one step; `largestTwo` is the yardstick (the two largest buffers live together).
import type { Graph, Node, Value } from '../src/ir/graph.ts';
import { byteSize } from '../src/ir/dtype.ts';
import { lcError } from '../src/diagnostics.ts';
import { inPlaceInputs, isViewNode } from '../src/ir/registry.ts';
import '../src/ops/index.ts'; // the traits read below

export interface PlanOptions {
  /** Offsets and sizes are multiples of this (default 64: a cache line, and SIMD friendly). */
  alignment?: number;
  /** Ops whose (single) output is the bytes of input 0 reinterpreted: it joins input 0's buffer. */
  isView?: (node: Node) => boolean;
  /** Which input the node's output may overwrite (the kernel reads each element before writing it), or -1. */
  inPlaceInput?: (node: Node) => number;
  /** Scratch bytes a node's kernel needs while it runs (0 for none). */
  scratchBytes?: (node: Node) => number;
  /** Whether a Concat may be planned without a copy (its inputs placed inside its output); default never. */
  concatInPlace?: (node: Node) => boolean;
}

export interface Slot { offset: number; bytes: number }

export interface LiveRange { start: number; end: number }

export interface MemoryPlan {
  /** Arena slot of every planned (non-constant) value, by value name. */
  slots: Map<string, Slot>;
  /** Scratch slot per node name (only nodes that asked for scratch). */
  scratch: Map<string, Slot>;
  /** Live range per value name, in steps (graph inputs start at 0, node i runs at step i + 1). */
  live: Map<string, LiveRange>;
  /** Node names whose output overwrites one of their inputs. */
  inPlace: string[];
  /** Node names whose output is a view of their input (no kernel needed). */
  views: string[];
  /** Concat node names whose inputs were placed inside their output (no kernel needed). */
  concats: string[];
  /** Arena size: the bytes a run needs for activations and scratch. */
  peakBytes: number;
  /** Max over steps of the bytes live at that step: no static plan can use less. */
  lowerBound: number;
  /** Max over steps of the two largest buffers live at that step. */
  largestTwo: number;
  /** Buffers after aliasing (each one region of the arena). */
  buffers: { values: string[]; start: number; end: number; offset: number; bytes: number }[];
}

/** Default: ops with the view trait are views (src/ir/registry.ts OpTraits). */
export const defaultIsView = isViewNode;

/** Default: an op's in-place inputs (elementwise: any) may be overwritten when they have the output's exact shape. */
export function defaultInPlaceInput(node: Node): number {
  const out = node.outputs[0]!;
  const ok = (i: number) => { const v = node.inputs[i]; return !!v && !v.isConst && sameBytes(v, out) && sameShape(v, out); };
  return inPlaceInputs(node).find(ok) ?? -1;
}

export function valueBytes(v: Value): number {
  const s = v.type.shape;
  if (!s || s.some((d) => typeof d !== 'number')) {
    throw lcError('LC076', [v.name, `shape [${s?.join(', ') ?? '?'}] is not static`], { node: v.producer?.name, op: v.producer?.op });
  }
  return (s as number[]).reduce((a, b) => a * b, 1) * byteSize(v.type.dtype);
}

function sameBytes(a: Value, b: Value): boolean { return valueBytes(a) === valueBytes(b) && a.type.dtype === b.type.dtype; }
function sameShape(a: Value, b: Value): boolean { return a.type.shape!.join() === b.type.shape!.join(); }

const align = (x: number, a: number) => Math.ceil(x / a) * a;

/** Byte offsets of a Concat's inputs in its output when they lie end to end (every axis before `axis` is 1), else null. */
function concatOffsets(n: Node): number[] | null {
  const y = n.outputs[0]!.type.shape as number[];
  let axis = Number(n.attrs.axis ?? 0);
  if (axis < 0) axis += y.length;
  if (n.outputs.length !== 1 || y.slice(0, axis).some((d) => d !== 1)) return null;
  let at = 0;
  return n.inputs.map((v) => { const o = at; at += v ? valueBytes(v) : 0; return o; });
}

interface Group { values: Value[]; start: number; end: number; bytes: number; scratchOf?: string }

export function planMemory(graph: Graph, opts: PlanOptions = {}): MemoryPlan {
  const alignment = opts.alignment ?? 64;
  const isView = opts.isView ?? defaultIsView;
  const inPlaceInput = opts.inPlaceInput ?? defaultInPlaceInput;
  const last = graph.nodes.length + 1;

  // Live ranges of every non-constant value.
  const live = new Map<string, LiveRange>();
  const planned = (v: Value | null): v is Value => v !== null && !v.isConst;
  for (const v of graph.inputs) if (planned(v)) live.set(v.name, { start: 0, end: 0 });
  graph.nodes.forEach((n, i) => {
    for (const v of n.inputs) if (planned(v)) {
      const r = live.get(v.name);
      if (!r) throw lcError('LC014', [v.name], { node: n.name, op: n.op });
      r.end = Math.max(r.end, i + 1);
    }
    for (const o of n.outputs) live.set(o.name, { start: i + 1, end: i + 1 });
  });
  for (const o of graph.outputs) { const r = live.get(o.name); if (r) r.end = last; }

  // Alias groups.
  /** Byte offset of a value inside its group (0 but for a Concat's parts). */
  const delta = new Map<string, number>();
  const groupOf = new Map<string, Group>();
  const groups: Group[] = [];
  const newGroup = (v: Value): Group => {
    const r = live.get(v.name)!;
    const g: Group = { values: [v], start: r.start, end: r.end, bytes: valueBytes(v) };
    groups.push(g);
    groupOf.set(v.name, g);
    delta.set(v.name, 0);
    return g;
  };
  const join = (g: Group, v: Value, at = 0) => {
    const r = live.get(v.name)!;
    g.values.push(v);
    g.end = Math.max(g.end, r.end);
    groupOf.set(v.name, g);
    delta.set(v.name, at);
  };
  const boundary = new Set([...graph.inputs, ...graph.outputs].map((v) => v.name));
  const merged = new Set<Group>();
  /** The Concat's input groups, moved inside its output's group at their offsets, if all of them can be. */
  const concatInPlace = (n: Node): boolean => {
    const offs = opts.concatInPlace?.(n) ? concatOffsets(n) : null;
    const gs = n.inputs.map((v) => (v && planned(v) ? groupOf.get(v.name) : undefined));
    // Each part the whole of its own group (distinct, no graph input or output in it), on an alignment boundary.
    if (!offs || boundary.has(n.outputs[0]!.name) || offs.some((o) => o % alignment)) return false;
    const whole = (g: Group | undefined, i: number) => !!g && delta.get(n.inputs[i]!.name) === 0 && g.bytes === valueBytes(n.inputs[i]!);
    if (gs.some((g, i) => !whole(g, i) || g!.values.some((v) => boundary.has(v.name))) || new Set(gs).size !== gs.length) return false;
    const out = newGroup(n.outputs[0]!);
    gs.forEach((g, i) => {
      for (const v of g!.values) { join(out, v, offs[i]! + (delta.get(v.name) ?? 0)); }
      out.start = Math.min(out.start, g!.start);
      out.end = Math.max(out.end, g!.end);
      merged.add(g!);
    });
    return true;
  };
  for (const v of graph.inputs) if (planned(v)) newGroup(v);
  const inPlace: string[] = [], views: string[] = [], concats: string[] = [];
  graph.nodes.forEach((n, i) => {
    const step = i + 1;
    const x = n.inputs[0];
    if (n.outputs.length === 1 && planned(x ?? null) && isView(n) && valueBytes(x!) === valueBytes(n.outputs[0]!)) {
      join(groupOf.get(x!.name)!, n.outputs[0]!, delta.get(x!.name));
      views.push(n.name);
      return;
    }
    if (n.op === 'Concat' && !n.domain && concatInPlace(n)) { concats.push(n.name); return; }
    const k = n.outputs.length === 1 ? inPlaceInput(n) : -1;
    const src = k >= 0 ? n.inputs[k] : null;
    // Overwriting is safe only when nothing reads the input's buffer after this step, and the input is
    // not read twice by this node through another operand (x + x is fine: each element is read first).
    if (src && planned(src) && groupOf.get(src.name)!.end === step && valueBytes(src) === valueBytes(n.outputs[0]!)) {
      join(groupOf.get(src.name)!, n.outputs[0]!, delta.get(src.name));
      inPlace.push(n.name);
      return;
    }
    for (const o of n.outputs) newGroup(o);
  });
  const scratch = new Map<string, Slot>();
  const scratchGroups: Group[] = [];
  for (let i = groups.length - 1; i >= 0; i--) if (merged.has(groups[i]!)) groups.splice(i, 1);
  graph.nodes.forEach((n, i) => {
    const b = opts.scratchBytes?.(n) ?? 0;
    if (b > 0) {
      const g: Group = { values: [], start: i + 1, end: i + 1, bytes: b, scratchOf: n.name };
      groups.push(g);
      scratchGroups.push(g);
    }
  });

  // Greedy by size placement.
  const offsets = new Map<Group, number>();
  const placed: Group[] = [];
  const order = [...groups].sort((a, b) => b.bytes - a.bytes || a.start - b.start);
  let peak = 0;
  for (const g of order) {
    const size = align(Math.max(g.bytes, 1), alignment);
    const busy = placed.filter((p) => p.start <= g.end && g.start <= p.end)
      .map((p) => [offsets.get(p)!, offsets.get(p)! + align(Math.max(p.bytes, 1), alignment)] as const)
      .sort((a, b) => a[0] - b[0]);
    let offset = 0;
    for (const [lo, hi] of busy) {
      if (offset + size <= lo) break;
      offset = Math.max(offset, hi);
    }
    offsets.set(g, offset);
    placed.push(g);
    peak = Math.max(peak, offset + size);
  }

  // The yardsticks.
  let lowerBound = 0, largestTwo = 0;
  for (let s = 0; s <= last; s++) {
    const here = groups.filter((g) => g.start <= s && s <= g.end).map((g) => g.bytes).sort((a, b) => b - a);
    lowerBound = Math.max(lowerBound, here.reduce((a, b) => a + b, 0));
    largestTwo = Math.max(largestTwo, (here[0] ?? 0) + (here[1] ?? 0));
  }

  const slots = new Map<string, Slot>();
  for (const g of groups) for (const v of g.values) slots.set(v.name, { offset: offsets.get(g)! + (delta.get(v.name) ?? 0), bytes: valueBytes(v) });
  for (const g of scratchGroups) scratch.set(g.scratchOf!, { offset: offsets.get(g)!, bytes: g.bytes });
  return {
    slots, scratch, live, inPlace, views, concats, peakBytes: peak, lowerBound, largestTwo,
    buffers: groups.map((g) => ({ values: g.values.map((v) => v.name), start: g.start, end: g.end, offset: offsets.get(g)!, bytes: g.bytes })),
  };
}

/** One line for logs and `layerc bench`: arena vs the lower bound. */
export function describePlan(p: MemoryPlan): string {
  const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  return `arena ${kib(p.peakBytes)} (lower bound ${kib(p.lowerBound)}, largest two live ${kib(p.largestTwo)}; ` +
    `${p.inPlace.length} in place, ${p.views.length} views)`;
}
