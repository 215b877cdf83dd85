// The 'js' backend: shape-specialized kernels (WebAssembly SIMD GEMM micro-kernels plus generated JS),
// a static memory plan, and worker threads over one shared memory. `threads` defaults to the core count.
import type { Backend, BackendOptions, CompiledModel } from '../backend.ts';
import { isStatic, type Graph } from '../../src/ir/graph.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { buildProgram, type Program } from './program.ts';
import { runProgram } from './executor.ts';
import { lowerForJsKernels } from './lower.ts';
import { nodeBuiltin } from '../../src/node-builtin.ts';
import { dropoutStream } from '../../src/random.ts';

export { JS_FUSION } from './fusion.ts';

export const SIMD_AVAILABLE = WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]));

/** The core count in Node; 1 elsewhere (in-process workers need Node: see executor.ts). */
export function defaultThreads(): number { return Math.max(1, nodeBuiltin?.('node:os').availableParallelism() ?? 1); }

export interface JsOptions extends BackendOptions {
  /** Use the wasm SIMD kernels (default: when the engine supports SIMD). */
  simd?: boolean;
  /** Apply the backend's own BN folding and epilogue fusion first (default true). */
  lower?: boolean;
  /** false: fused epilogues run in the JS tail pass instead of the wasm kernels (tests; default true). */
  simdEpilogue?: boolean;
}

function buildOptions(opts: JsOptions) {
  return { threads: opts.threads ?? defaultThreads(), training: !!opts.training, simd: opts.simd ?? SIMD_AVAILABLE, simdEpilogue: opts.simdEpilogue };
}

export function compileProgram(graph: Graph, opts: JsOptions = {}): Program {
  return buildProgram(opts.lower === false ? graph : lowerForJsKernels(graph), buildOptions(opts));
}

export async function compileJs(graph: Graph, opts: JsOptions = {}): Promise<CompiledModel> {
  if (!graph.inputs.every((v) => isStatic(v.type.shape))) return specializeOnRun(graph, opts);
  return compileStatic(graph, opts);
}

/** Every value's shape is known: kernels. A shape that depends on input values (Pad with computed pads,
 *  Reshape to a computed shape): the whole graph runs on the reference interpreter, and info says so. */
async function compileStatic(graph: Graph, opts: JsOptions): Promise<CompiledModel> {
  const g = opts.lower === false ? graph : lowerForJsKernels(graph);
  const dynamic = g.nodes.flatMap((n) => n.outputs).find((v) => !isStatic(v.type.shape));
  if (!dynamic) return runProgram(buildProgram(g, buildOptions(opts)), { training: opts.training, seed: opts.seed });
  const why = `value '${dynamic.name}' of ${dynamic.producer?.op} has a data-dependent shape`;
  const random = dropoutStream(opts.seed);
  return {
    info: { fallback: `reference interpreter (${why})` },
    async run(feeds) { return runGraph(graph, feeds, { training: opts.training, random }); },
    async dispose() {},
  };
}

/**
 * A graph with symbolic input dims (a batch N) is specialized when it is run: the feeds' shapes are
 * substituted, shapes re-inferred on a copy, and the program compiled and cached per input-shape signature.
 */
function specializeOnRun(graph: Graph, opts: JsOptions): CompiledModel {
  const cache = new Map<string, Promise<CompiledModel>>();
  let last: CompiledModel | undefined;
  return {
    info: { specialized: 'per input shape' },
    async run(feeds) {
      const key = graph.inputs.map((v) => feeds[v.name]?.shape.join('x') ?? '?').join(',');
      let m = cache.get(key);
      if (!m) {
        const g = cloneGraph(graph);
        for (const v of g.inputs) { const t = feeds[v.name]; if (t) v.type = { ...v.type, shape: [...t.shape] }; }
        inferShapes(g);
        m = compileStatic(g, opts);
        cache.set(key, m);
      }
      last = await m;
      const out = await last.run(feeds);
      this.info = last.info;
      return out;
    },
    async dispose() { for (const m of cache.values()) await (await m).dispose(); cache.clear(); },
  };
}

const js: Backend = { name: 'js', compile: compileJs };
export default js;
