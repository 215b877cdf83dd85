// InferenceSession: the onnxruntime-style entry point (`await InferenceSession.create(model, options)`,
// `await session.run({ input: tensor })`, `await session.release()`), so code written for onnxruntime-web or
// onnxruntime-node moves over by changing the import. A session loads the model (a path or URL, the bytes of an
// .onnx file, or a Graph), optimizes it (-O2 unless told otherwise) and compiles it for one backend, once; `run`
// checks the feeds against the model's inputs and returns every output as a Tensor.
import { Graph, type Value } from '../ir/graph.ts';
import { Tensor } from '../ir/tensor.ts';
import type { DType, TypedArray } from '../ir/dtype.ts';
import { typeToString } from '../ir/printer.ts';
import { lcError } from '../diagnostics.ts';
import { nodeBuiltin } from '../node-builtin.ts';
import { importOnnx, loadOnnxFile } from '../frontend/onnx.ts';
import { compile, optimize, type CompiledModel, type OptLevel, type Target } from './pipeline.ts';

/** A path (Node) or URL (browser) of an .onnx or .layers model, the bytes of an .onnx model, or a Graph. */
export type ModelSource = string | URL | Uint8Array | ArrayBuffer | Graph;

export interface SessionOptions {
  /** 'js' (default: generated kernels, WebAssembly SIMD), 'wgsl' (WebGPU) or 'reference' (the interpreter). */
  backend?: Target;
  /** onnxruntime's spelling of `backend`: the first of 'webgpu' -> wgsl, 'wasm' | 'cpu' -> js. */
  executionProviders?: (string | { name: string })[];
  /** Optimization level before compiling (default 2); 0 runs the model exactly as loaded. */
  optimize?: OptLevel;
  /** onnxruntime's spelling of `optimize`: 'disabled' 0, 'basic' 1, 'extended' | 'all' 2. */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Worker threads of the js backend (default: the core count in Node, 1 in a browser). */
  threads?: number;
  /** Seed of a .layers model's weight initialization (default 0). */
  seed?: number;
}

/** What `run` accepts per input: a layerc Tensor, or anything shaped like an onnxruntime Tensor. */
export type TensorLike = Tensor | { data: TypedArray; dims: readonly number[]; type?: string };

const PROVIDERS: Record<string, Target> = { webgpu: 'wgsl', wasm: 'js', cpu: 'js', js: 'js', wgsl: 'wgsl', reference: 'reference' };
const ORT_LEVELS: Record<string, OptLevel> = { disabled: 0, basic: 1, extended: 2, all: 2 };

export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private compiled: CompiledModel | null;

  private constructor(readonly graph: Graph, compiled: CompiledModel, readonly backend: Target) {
    this.compiled = compiled;
    this.inputNames = graph.inputs.map((v) => v.name);
    this.outputNames = graph.outputs.map((v) => v.name);
  }

  static async create(model: ModelSource, options: SessionOptions = {}): Promise<InferenceSession> {
    const backend = options.backend ?? providerBackend(options.executionProviders) ?? 'js';
    const level = options.optimize ?? (options.graphOptimizationLevel ? ORT_LEVELS[options.graphOptimizationLevel] : 2);
    if (level !== 0 && level !== 1 && level !== 2) throw lcError('LC002', [`optimize must be 0, 1 or 2, got ${String(options.optimize ?? options.graphOptimizationLevel)}`]);
    const loaded = await loadSource(model, options.seed ?? 0);
    const graph = optimize(loaded, level);
    const compiled = await compile(graph, backend, { threads: options.threads, seed: options.seed });
    return new InferenceSession(graph, compiled, backend);
  }

  /** Runs the model; every input must be fed. Returns every output by name. */
  async run(feeds: Record<string, TensorLike>): Promise<Record<string, Tensor>> {
    if (!this.compiled) throw lcError('LC002', ['this InferenceSession was released']);
    const inputs: Record<string, Tensor> = {};
    for (const v of this.graph.inputs) inputs[v.name] = checkFeed(v, feeds[v.name], Object.keys(feeds));
    return this.compiled.run(inputs);
  }

  /** Frees the backend's workers or GPU resources; the session cannot run afterwards. */
  async release(): Promise<void> {
    const c = this.compiled;
    this.compiled = null;
    await c?.dispose();
  }
}

function providerBackend(eps: SessionOptions['executionProviders']): Target | undefined {
  for (const ep of eps ?? []) {
    const name = typeof ep === 'string' ? ep : ep.name;
    if (PROVIDERS[name]) return PROVIDERS[name];
  }
  return undefined;
}

async function loadSource(model: ModelSource, seed: number): Promise<Graph> {
  if (model instanceof Graph) return model;
  if (model instanceof Uint8Array) return importOnnx(model);
  if (model instanceof ArrayBuffer) return importOnnx(new Uint8Array(model));
  const where = String(model);
  const layers = /\.layers$/i.test(where);
  const local = nodeBuiltin && !/^[a-z][a-z0-9+.-]*:\/\//i.test(where.replace(/^file:\/\//, ''));
  if (local) {
    const path = where.startsWith('file://') ? nodeBuiltin!('node:url').fileURLToPath(where) : where;
    if (layers) return (await import('../frontend/dsl.ts')).compileDslFile(path, { seed });
    return loadOnnxFile(path);
  }
  let response: Response;
  try { response = await fetch(where); } catch (e) { throw lcError('LC003', [where, (e as Error).message]); }
  if (!response.ok) throw lcError('LC003', [where, `HTTP ${response.status}`]);
  if (layers) return (await import('../frontend/dsl.ts')).compileDsl(await response.text(), where, { seed });
  return importOnnx(new Uint8Array(await response.arrayBuffer()), { file: where });
}

function checkFeed(v: Value, feed: TensorLike | undefined, given: string[]): Tensor {
  if (!feed) throw lcError('LC036', [`'${v.name}'`, `run() needs every model input (given: ${given.join(', ') || 'none'})`]);
  if (!(feed instanceof Tensor) && feed.data?.length !== feed.dims.reduce((a, b) => a * b, 1)) {
    throw lcError('LC032', [`feed '${v.name}' has ${feed.data?.length} values, its dims [${feed.dims.join(', ')}] need ${feed.dims.reduce((a, b) => a * b, 1)}`]);
  }
  const t = feed instanceof Tensor ? feed : new Tensor((feed.type ?? v.type.dtype) as DType, [...feed.dims], feed.data);
  const want = v.type.shape;
  const fits = !want || (want.length === t.shape.length && want.every((d, i) => typeof d !== 'number' || d === t.shape[i]));
  if (!fits) throw lcError('LC032', [`input '${v.name}' is ${typeToString(v.type)}, the feed has shape [${t.shape.join(', ')}]`]);
  if (t.dtype !== v.type.dtype) throw lcError('LC033', [`input '${v.name}' is ${v.type.dtype}, the feed is ${t.dtype}`]);
  return t;
}
