// The differential runner: one model, every backend configuration, one verdict. Each variant (js with 1 and
// 2 threads, wgsl; each after -O0 and -O2) copies the graph, optimizes the copy, compiles it, runs the same
// feeds and compares every graph output with the reference interpreter within the derived bound of
// error-bound.ts. A compile or run error is a disagreement too. Shared by the CI property
// (test/props/backends.test.ts) and the long campaign (test/props/fuzz-backends.ts).
// A -O2 variant whose optimized graph is identical to the -O0 one (same nodes, attributes, names and
// constants; for wgsl also no MatMul-based node, whose tiled kernel form only -O2 runs) would compile to the
// same program: it is not run again, and the verdict lists it under `same` ("same graph").
import type { Graph } from '../../src/ir/graph.ts';
import type { GpuContext } from '../../runtime/wgsl/device.ts';
import type { Tensor } from '../../src/ir/tensor.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { optimize } from '../../passes/index.ts';
import { compileJs, type WorkerPool } from '../../runtime/js/index.ts';
import { compileWgsl, emitNode } from '../../runtime/wgsl/index.ts';
import type { CompiledModel } from '../../runtime/backend.ts';
import { referenceWithBounds, SAFETY, TINY } from './error-bound.ts';

/** `tiled`: wgsl with the GPU kernel forms (workgroup-memory tiled MatMul) even on a CPU adapter, which
 *  would otherwise pick the direct forms: -O2 runs them, -O0 the adapter's own choice, so both are checked. */
export interface Variant { backend: 'js' | 'wgsl'; level: 0 | 2; threads: number; tiled?: boolean }
export const variantName = (v: Variant) => `${v.backend}${v.backend === 'js' ? `/t${v.threads}` : ''}/O${v.level}${v.tiled ? '/tiled' : ''}`;

export const JS_VARIANTS: Variant[] = [1, 2].flatMap((threads) => [0, 2].map((level) => ({ backend: 'js' as const, level: level as 0 | 2, threads })));
export const WGSL_VARIANTS: Variant[] = [{ backend: 'wgsl', level: 0, threads: 1 }, { backend: 'wgsl', level: 2, threads: 1, tiled: true }];

export interface Disagreement {
  variant: string;
  output: string;
  /** Worst element: index, backend value, reference value, bound; or the error message. */
  index?: number; got?: number; want?: number; bound?: number;
  error?: string;
}

export interface Verdict {
  disagreements: Disagreement[];
  /** worst |got - want| / (SAFETY E) per variant */
  worst: Record<string, number>;
  /** -O2 variants not run: their optimized graph is the -O0 one (see the header). */
  same: string[];
}

/** What a caller running many models shares between them: an open WebGPU device (default: one per compiled
 *  model) and then its pipelines; js worker threads (default: each 2-thread model starts its own). */
export interface Shared { device?: GpuContext; workers?: WorkerPool }
export interface RunOptions extends Shared { training: boolean; seed?: number }

/** Pipelines by WGSL source per shared device, kept below ~4000 (cleared when full). */
const PIPELINES = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();
function pipelinesOf(device: GpuContext): Map<string, GPUComputePipeline> {
  let m = PIPELINES.get(device.device);
  if (!m || m.size > 4000) PIPELINES.set(device.device, (m = new Map()));
  return m;
}

/** The graph as a string: nodes (op, domain, attributes, input and output names), inputs, outputs and
 *  every constant's contents. Equal strings compile to the same program. */
export function graphFingerprint(g: Graph): string {
  const hash = (t: Tensor) => {
    const d = t.data, bits = d instanceof Float32Array ? new Int32Array(d.buffer, d.byteOffset, d.length) : Array.from(d as ArrayLike<number>, Number);
    let h = 0x811c9dc5;
    for (const x of bits) h = Math.imul(h ^ x, 16777619);
    return `${t.dtype}[${t.shape.join()}]${h >>> 0}`;
  };
  return JSON.stringify([g.inputs.map((v) => [v.name, v.type.shape]), g.initializers.map((v) => [v.name, v.const && hash(v.const)]),
    g.nodes.map((n) => [n.op, n.domain, n.attrs, n.inputs.map((v) => v?.name ?? ''), n.outputs.map((v) => v.name)]), g.outputs.map((v) => v.name)]);
}
const HAS_TILED_FORM = /MatMul|Gemm|Einsum|Attention/;

/** The worst element of got vs want against a per-element bound (a tensor) or a per-tensor one (a number). */
export function worstElement(got: Tensor, want: Tensor, bound: Tensor | number): { ratio: number; index: number } {
  if (got.shape.join() !== want.shape.join()) return { ratio: Infinity, index: -1 };
  let ratio = 0, index = -1;
  for (let i = 0; i < want.size; i++) {
    const a = Number(got.data[i]), b = Number(want.data[i]);
    const tol = SAFETY * (typeof bound === 'number' ? bound : bound.data[i]!) + TINY;
    const r = Number.isNaN(a) !== Number.isNaN(b) ? Infinity : Number.isNaN(a) ? 0 : Math.abs(a - b) / tol;
    if (r > ratio) { ratio = r; index = i; }
  }
  return { ratio, index };
}

/** Runs the model on each variant and compares with the reference within the derived bounds. */
export async function compareBackends(graph: Graph, feeds: Record<string, Tensor>, variants: Variant[], shared: Shared = {}): Promise<Verdict> {
  const { ref, bounds } = referenceWithBounds(graph, feeds);
  return runOnVariants(graph, feeds, ref, (name) => bounds.get(name)!, variants, { training: false, ...shared });
}

/**
 * The variant loop shared by inference and training: per variant, copy the graph (for -O2: of the graph
 * optimized once per model), compile, run the feeds, compare every graph output with `ref` within `bound(output)` (per element or per
 * tensor; SAFETY applied by worstElement), dispose. A compile or run error is a disagreement.
 */
export async function runOnVariants(graph: Graph, feeds: Record<string, Tensor>, ref: Record<string, Tensor>, bound: (output: string) => Tensor | number,
  variants: Variant[], opts: RunOptions): Promise<Verdict> {
  const verdict: Verdict = { disagreements: [], worst: {}, same: [] };
  const unoptimized = graphFingerprint(graph);
  const ran = new Set<string>();
  // -O2 runs once per model; each variant compiles its own copy of the result.
  let optimized: { graph: Graph; same: boolean } | undefined;
  const optimizeOnce = () => {
    if (!optimized) { const o = cloneGraph(graph); optimize(o, { level: 2 }); optimized = { graph: o, same: graphFingerprint(o) === unoptimized }; }
    return optimized;
  };
  for (const v of variants) {
    const name = variantName(v);
    let g = graph;
    let m: CompiledModel | undefined;
    try {
      if (v.level === 2) {
        const o = optimizeOnce();
        g = o.graph;
        const twin = variantName({ ...v, level: 0, tiled: undefined });
        if (ran.has(twin) && o.same && !(v.tiled && g.nodes.some((n) => HAS_TILED_FORM.test(n.op)))) {
          verdict.same.push(name);
          verdict.worst[name] = verdict.worst[twin]!;
          continue;
        }
      }
      g = cloneGraph(g);
      m = await compileVariant(g, v, opts);
      const got = await m.run(feeds);
      ran.add(name);
      verdict.worst[name] = 0;
      graph.outputs.forEach((o, i) => {
        const out = got[g.outputs[i]!.name]!, want = ref[o.name]!, b = bound(o.name);
        const { ratio, index } = worstElement(out, want, b);
        verdict.worst[name] = Math.max(verdict.worst[name]!, ratio);
        if (ratio > 1) {
          verdict.disagreements.push({ variant: name, output: o.name, index, got: Number(out.data[index]), want: Number(want.data[index]),
            bound: SAFETY * (typeof b === 'number' ? b : Number(b.data[index])) });
        }
      });
    } catch (e) {
      verdict.disagreements.push({ variant: name, output: '*', error: (e as Error).message.split('\n')[0] });
    } finally { await m?.dispose(); }
  }
  return verdict;
}

export async function compileVariant(g: Graph, v: Variant, opts: RunOptions): Promise<CompiledModel> {
  const { device, workers, ...common } = opts;
  return v.backend === 'js' ? compileJs(g, { threads: v.threads, workers, ...common })
    : compileWgsl(g, { ...common, device, ...(device ? { pipelines: pipelinesOf(device) } : {}), ...(v.tiled ? { emit: (n, o) => emitNode(n, { ...o, tiled: true }) } : {}) });
}
