// The 'js' backend: shape-specialized kernels (WebAssembly SIMD GEMM micro-kernels plus generated JS),
// a static memory plan, and worker threads over one shared memory. `threads` defaults to the core count.
// Specialization and lowering are the shared compile path's (../compile.ts); this module publishes the
// capabilities the caller lowers for, and builds a Program (./program.ts: kernel table + plan + emit) and
// its executor (./executor.ts) for a lowered, static graph.
import type { Backend, BackendOptions, CompiledModel } from '../backend.ts';
import type { Graph } from '../../src/ir/graph.ts';
import type { BackendCapabilities } from '../../src/ops/backend-capabilities.ts';
import { compileGraph } from '../compile.ts';
import { buildProgram, type Program } from './program.ts';
import { runProgram } from './executor.ts';
import { WorkerPool } from './worker-pool.ts';
import { SIMD_ACTIVATIONS } from './wasm/simd-act.ts';
import { JS_FUSION } from './fusion.ts';
import { nodeBuiltin } from '../../src/node-builtin.ts';
import { dropoutStream } from '../../src/random.ts';

export { JS_FUSION, WorkerPool };
export { releasePooledMemory } from './memory-pool.ts';

export const SIMD_AVAILABLE = WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]));

/** What fuses into one kernel (./fusion.ts); elementwise chains as one JS loop, except activations with a SIMD
 *  loop of their own. */
export const JS_CAPABILITIES: BackendCapabilities = {
  kernels: true,
  fusion: JS_FUSION,
  elementwiseChains: { separate: SIMD_ACTIVATIONS },
  attention: true,
};

/** The core count in Node; 1 elsewhere (in-process workers need Node: see executor.ts). */
export function defaultThreads(): number { return Math.max(1, nodeBuiltin?.('node:os').availableParallelism() ?? 1); }

export interface JsOptions extends BackendOptions {
  /** Use the wasm SIMD kernels (default: when the engine supports SIMD). */
  simd?: boolean;
  /** false: fused epilogues run in the JS tail pass instead of the wasm kernels (tests; default true). */
  simdEpilogue?: boolean;
  /** false: no Winograd convolutions (the direct kernels only; CLI --no-winograd). Default true. */
  winograd?: boolean;
  /** Force one Winograd tile size where Winograd applies (tests). */
  winogradTile?: 2 | 4;
  /** Force the small-map Winograd kernel (tiles as GEMM rows) on or off where Winograd applies (tests). */
  winogradSmall?: boolean;
  /** false: stride-2 convs never take Winograd by phase split (kernels/winograd-phase.ts). Default true. */
  winogradPhase?: boolean;
  /** Worker threads kept between compiled models (./worker-pool.ts; default: each model starts its own). */
  workers?: WorkerPool;
  /** 'nchw': no blocked layout; 'auto' (default): NCHWc4 regions where a depthwise conv gains (layout.ts; CLI --layout). */
  layout?: 'auto' | 'nchw';
  /** false: every Concat copies its inputs instead of its producers writing into its output (tests; default true). */
  concatInPlace?: boolean;
}

function buildOptions(opts: JsOptions) {
  return { threads: opts.threads ?? defaultThreads(), training: !!opts.training, simd: opts.simd ?? SIMD_AVAILABLE, simdEpilogue: opts.simdEpilogue,
    winograd: opts.winograd, winogradTile: opts.winogradTile, winogradSmall: opts.winogradSmall, winogradPhase: opts.winogradPhase, layout: opts.layout,
    concatInPlace: opts.concatInPlace };
}

/** The Program of a static graph, as given (the caller lowers it first: passes/pipelines.ts lowerInPlace). */
export function compileProgram(graph: Graph, opts: JsOptions = {}): Program {
  return buildProgram(graph, buildOptions(opts));
}

export async function compileJs(graph: Graph, opts: JsOptions = {}): Promise<CompiledModel> {
  return compileGraph(graph, opts, async (g, o) => runProgram(buildProgram(g, buildOptions(o)), { training: o.training, seed: o.seed, workers: o.workers }));
}

const js: Backend = { name: 'js', capabilities: JS_CAPABILITIES, compile: compileJs };
export default js;
