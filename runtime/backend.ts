// The backend contract shared by the CLI, tests and benches: compile a graph once, run it many times.
// A backend publishes its capabilities; the caller turns them into a lowering pipeline
// (passes/pipelines.ts `lowering(backend.capabilities)`) and hands it in as `lower`, which the shared compile
// path (./compile.ts) runs on each shape-specialized copy. Without `lower` a backend compiles the graph as
// given. Backends load lazily so `--backend reference` never pulls in WebGPU or worker code.
import type { Graph } from '../src/ir/graph.ts';
import { REFERENCE_CAPABILITIES, type BackendCapabilities } from '../src/ops/backend-capabilities.ts';
import type { Tensor } from '../src/ir/tensor.ts';
import { runGraph } from '../src/ir/interpret.ts';
import { lcError, suggest } from '../src/diagnostics.ts';
import { dropoutStream } from '../src/random.ts';

export interface BackendOptions {
  /** Worker threads for the JS backend (default: number of cores). */
  threads?: number;
  /** Run in training mode (Dropout active, BatchNormalization training_mode honoured). */
  training?: boolean;
  /** Seed for anything random at run time: ONNX Dropout masks in training (src/random.ts dropoutStream; default 1). */
  seed?: number;
  /** The caller's lowering pipeline for this backend, run in place on each specialized copy. */
  lower?: (g: Graph) => void;
}

export interface CompiledModel {
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  /** Frees workers / GPU resources so the process can exit. */
  dispose(): Promise<void>;
  /** Human-readable facts for `layerc bench` (adapter name, peak arena bytes, ...). */
  info?: Record<string, string | number>;
}

export interface Backend {
  name: string;
  /** What the backend runs well; the caller's lowering pipeline is built from it. */
  capabilities: BackendCapabilities;
  compile(graph: Graph, opts?: BackendOptions): Promise<CompiledModel>;
}

const reference: Backend = {
  name: 'reference',
  capabilities: REFERENCE_CAPABILITIES,
  async compile(graph, opts = {}) {
    const random = dropoutStream(opts.seed);
    return {
      async run(feeds) { return runGraph(graph, feeds, { training: opts.training, random }); },
      async dispose() {},
    };
  },
};

/** Each backend's module, imported on first use (literal paths, so bundlers can split them out); each
 *  module's default export is its Backend. */
const LAZY: Record<string, () => Promise<{ default: Backend }>> = {
  js: () => import('./js/index.ts'),
  wgsl: () => import('./wgsl/index.ts'),
};

export const BACKEND_NAMES = ['reference', ...Object.keys(LAZY)];

export async function getBackend(name: string): Promise<Backend> {
  if (name === 'reference') return serialized(reference);
  const load = LAZY[name];
  if (!load) {
    const s = suggest(name, BACKEND_NAMES);
    throw lcError('LC002', [`unknown backend '${name}'${s ? ` (did you mean '${s}'?)` : ''}; choose one of ${BACKEND_NAMES.join(', ')}`]);
  }
  return serialized((await load()).default);
}

/**
 * A compiled model owns one arena, one set of GPU buffers and (in training) its state: two runs in flight
 * would share them. So runs of one model are queued, in call order (a failed run does not block the next),
 * and dispose waits for them; different models run independently.
 */
export function serializeRuns(m: CompiledModel): CompiledModel {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    get info() { return m.info; },
    run(feeds) {
      const r = tail.then(() => m.run(feeds));
      tail = r.catch(() => undefined);
      return r;
    },
    async dispose() { await tail; await m.dispose(); },
  };
}

/** One serialized wrapper per backend, so getBackend(name) always returns the same object. */
const SERIALIZED = new WeakMap<Backend, Backend>();
function serialized(b: Backend): Backend {
  let s = SERIALIZED.get(b);
  if (!s) {
    s = { name: b.name, capabilities: b.capabilities, compile: async (graph, opts) => serializeRuns(await b.compile(graph, opts)) };
    SERIALIZED.set(b, s);
  }
  return s;
}
