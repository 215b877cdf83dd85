// Graph -> Program: picks a kernel per node from the kernel table (or the reference fallback), plans the arena (runtime/plan.ts),
// lays out one WebAssembly.Memory as [control words | weights | arena], and emits one wasm module plus one
// JS source holding every phase function with all shapes and addresses baked in. The same Program is
// run in-process (./executor.ts) or written out by `layerc compile --target js` (./emit-module.ts).
import type { Graph, Node, Value } from '../../src/ir/graph.ts';
import { planMemory, type MemoryPlan } from '../plan.ts';
import { inPlaceInputs, isViewNode } from '../../src/ir/registry.ts';
import { encodeModule, type Code, type WasmFunction } from './wasm/encode.ts';
import { KERNELS, kernelKey } from './kernels/index.ts';
import { staticShape, type BuildOptions, type EmitContext, type KernelBuild, type KernelConst, type Phase } from './kernel.ts';
import { lcError } from '../../src/diagnostics.ts';
import { checkPlanBytes, checkStaticGraph } from '../../src/ir/budget.ts';
import { planLayout } from './layout.ts';
import { blockedKernel } from './kernels/blocked.ts';
import { MAX_PAGES } from './memory-pool.ts';

export const CONTROL_BYTES = 64;
const ALIGN = 64;
const align = (x: number) => Math.ceil(x / ALIGN) * ALIGN;
/** One character per byte (latin1 is one-to-one): a function body as a map key. */
const BYTES_AS_TEXT = new TextDecoder('latin1');

export interface IoSlot { name: string; offset: number; dtype: string; shape: number[] }

export interface Program {
  memoryBytes: number;
  /** Byte address where the arena starts (plan offsets are relative to it). */
  arena: number;
  /** Byte address of the weights region (after the arena). */
  weightsStart: number;
  /** Float32 constants to write into memory before the first run (kernel.ts writeConst). */
  weights: { offset: number; data: KernelConst }[];
  inputs: IoSlot[];
  outputs: IoSlot[];
  /** Outputs that are constants of the graph (returned as is). */
  constOutputs: Map<string, Value>;
  wasm: Uint8Array;
  /** Body of `new Function(source)`: returns an array of phase functions (F, W, tid, nt) or fallback indices. */
  source: string;
  /** Nodes the fallback phases run with their reference implementation. */
  refs: Node[];
  plan: MemoryPlan;
  /** One line per node: its kernel or 'reference'. */
  kernels: { node: string; op: string; kind: string }[];
  threads: number;
  /** Node name per phase index (for profiles). */
  phaseNodes: string[];
}

/** The node's kernel from the table, or null (no row, or the kernel declines: reference fallback). */
function buildKernel(node: Node, opts: BuildOptions): KernelBuild | null {
  return KERNELS[kernelKey(node)]?.(node, opts) ?? null;
}

export function buildProgram(graph: Graph, opts: BuildOptions): Program {
  for (const v of [...graph.inputs, ...graph.outputs]) staticShape(v);
  checkStaticGraph(graph);
  // 1. Kernels (or fallback) per node; views need neither.
  const builds = new Map<Node, KernelBuild | null>();
  const isView = (n: Node) => isViewNode(n, opts.training);
  const firstPlan = planMemory(graph, { isView });
  const views = new Set(firstPlan.views);
  // The layout pass (./layout.ts): nodes writing (or GlobalAveragePool reading) NCHWc4 values take blocked kernels.
  const blocked = planLayout(graph, opts);
  for (const n of graph.nodes) if (!views.has(n.name)) builds.set(n, (blocked.size ? blockedKernel(n, blocked) : null) ?? buildKernel(n, opts));
  const plan = planMemory(graph, {
    isView,
    inPlaceInput: (n) => (builds.get(n) ? inPlaceOf(n) : -1),
    scratchBytes: (n) => { const b = builds.get(n); return align(b?.sharedScratchBytes ?? 0) + (b?.scratchBytes ?? 0) * (b?.scratchShared ? 1 : opts.threads); },
    // A channel Concat at batch 1 (SqueezeNet's fire modules) costs no copy: its producers write into its output.
    concatInPlace: () => opts.concatInPlace !== false,
  });
  const concats = new Set(plan.concats);

  // 2. Memory: [control words | arena | weights]. Weights go after the arena so that constants are placed
  // only when a kernel asks for their address (a conv reads its packed copy, never the original).
  const arena = CONTROL_BYTES;
  const weightsStart = align(arena + plan.peakBytes + 64);
  let cursor = weightsStart;
  const weights: Program['weights'] = [];
  const constAt = new Map<Value, number>();
  const place = (data: KernelConst) => {
    const off = cursor;
    weights.push({ offset: off, data });
    cursor = align(cursor + data.length * 4 + 16);
    return off;
  };

  // 3. Emit.
  const wasmFns: WasmFunction[] = [];
  const wasmByBytes = new Map<string, string>();
  const nameOf = new Map<Code, string>();
  const codes = new Map<Function, Map<string, Code>>(); // ctx.code's bodies by emitter and params
  const lines: string[] = ['"use strict";', 'const phases = [];'];
  const refs: Node[] = [];
  const phaseNodes: string[] = [];
  const kernels: Program['kernels'] = [];
  let names = 0;
  for (const n of graph.nodes) {
    if (views.has(n.name)) { kernels.push({ node: n.name, op: n.op, kind: 'view' }); continue; }
    if (concats.has(n.name)) { kernels.push({ node: n.name, op: n.op, kind: 'concat in place' }); continue; }
    const b = builds.get(n);
    if (!b) {
      refs.push(n);
      lines.push(`phases.push(${refs.length - 1}); // ${n.name} (${n.op}): reference fallback`);
      phaseNodes.push(n.name);
      kernels.push({ node: n.name, op: n.op, kind: 'reference' });
      continue;
    }
    const renames = new Map<string, string>();
    const ctx: EmitContext = {
      at(v) {
        if (!v) throw new Error('js backend: address of a missing input');
        if (v.const && v.type.dtype === 'float32') {
          let c = constAt.get(v);
          if (c === undefined) { c = place(v.const.data as Float32Array); constAt.set(v, c); }
          return c;
        }
        const s = plan.slots.get(v.name);
        if (!s) throw lcError('LC075', ['js', `${n.name} (${n.op})`, `value ${v.name} has no float32 storage`], { node: n.name, op: n.op });
        return arena + s.offset;
      },
      sharedScratch: arena + (plan.scratch.get(n.name)?.offset ?? 0),
      scratch: arena + (plan.scratch.get(n.name)?.offset ?? 0) + align(b.sharedScratchBytes ?? 0),
      consts: (b.consts ?? []).map(place),
      threads: opts.threads,
      wasmName: (base) => `${base}${names++}`,
      code(emit, params) {
        let byParams = codes.get(emit);
        if (!byParams) codes.set(emit, (byParams = new Map()));
        const key = codeKey(params);
        let c = byParams.get(key);
        if (!c) byParams.set(key, (c = emit(params)));
        return c;
      },
    };
    const em = b.emit(ctx);
    // Identical wasm functions (same shapes and epilogue) are emitted once: the same body (ctx.code), or equal bytes.
    for (const f of em.wasm ?? []) {
      let existing = nameOf.get(f.code);
      if (!existing) {
        const key = f.code.params.join() + ':' + BYTES_AS_TEXT.decode(f.code.encode());
        existing = wasmByBytes.get(key);
        nameOf.set(f.code, existing ?? f.name);
        if (!existing) { wasmByBytes.set(key, f.name); wasmFns.push(f); continue; }
      }
      renames.set(f.name, existing);
    }
    lines.push(`// ${n.name} (${n.op}): ${b.kind}`);
    em.phases.forEach((p: Phase, i) => {
      // One pass over the phase's source: a kernel may emit thousands of calls (a Concat of 20,000 inputs).
      const js = renames.size ? (p.js ?? '').replace(/\bW\.(\w+)\(/g, (call, name: string) => {
        const to = renames.get(name);
        return to === undefined ? call : `W.${to}(`;
      }) : p.js ?? '';
      lines.push(`phases.push(function ${safe(n.name)}_${i}(F, W, tid, nt) {\n    ${js}\n});`);
      phaseNodes.push(n.name);
    });
    kernels.push({ node: n.name, op: n.op, kind: b.kind });
  }
  lines.push('return phases;');
  const memoryBytes = align(cursor + 64);
  checkPlanBytes(memoryBytes, 'the js backend\'s memory (arena and weights)');
  const pages = Math.ceil(memoryBytes / 65536);
  const wasm = encodeModule(wasmFns, { initial: pages, maximum: MAX_PAGES, shared: opts.threads > 1 }); // any pooled memory that fits imports

  const io = (v: Value): IoSlot => ({ name: v.name, offset: arena + plan.slots.get(v.name)!.offset, dtype: v.type.dtype, shape: staticShape(v) });
  const constOutputs = new Map(graph.outputs.filter((v) => v.isConst).map((v) => [v.name, v]));
  return {
    memoryBytes: pages * 65536, arena, weightsStart, weights, inputs: graph.inputs.filter((v) => !v.isConst).map(io),
    outputs: graph.outputs.filter((v) => !v.isConst).map(io), constOutputs, wasm, source: lines.join('\n'),
    refs, plan, kernels, threads: opts.threads, phaseNodes,
  };
}

/** ctx.code's key for an emitter's params: JSON, with -0, NaN and the infinities (JSON's 0 and null) spelled apart
 *  ('#-0', '#NaN', ...; strings get a '$' so that none reads the same). */
export const codeKey = (params: unknown): string => JSON.stringify(params, (_k, v: unknown) =>
  (typeof v === 'string' ? `$${v}` : typeof v === 'number' && (Object.is(v, -0) || !Number.isFinite(v)) ? `#${Object.is(v, -0) ? '-0' : v}` : v));

const safe = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, '_$1');

/**
 * The op's in-place inputs (registry traits): JS kernels of elementwise and per-channel ops read element i
 * before writing element i, so the output may overwrite a float32 input of its exact shape.
 */
function inPlaceOf(n: Node): number {
  const out = n.outputs[0]!.type.shape!.join();
  return inPlaceInputs(n).find((i) => n.inputs[i] && !n.inputs[i]!.isConst && n.inputs[i]!.type.shape!.join() === out && n.inputs[i]!.type.dtype === 'float32') ?? -1;
}
