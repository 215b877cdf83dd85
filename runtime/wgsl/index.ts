// The 'wgsl' backend. A graph is lowered first (shape arithmetic folded to constants, BN folded into convs,
// activations and residual adds absorbed into Fused epilogues: the same lowering as the js backend), then
// compiled by the executor (executor.ts). Symbolic input dims are specialized per input shape on first run;
// small integer inputs (a Reshape's shape, Pad's pads fed at run time) are specialized by value the same
// way, so the shapes they decide are static; a graph whose shapes still depend on input values runs on the
// reference interpreter, and info says so.
import type { Backend, BackendOptions, CompiledModel } from '../backend.ts';
import { isStatic, type Graph, type Value } from '../../src/ir/graph.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { lowerForJs } from '../js/lower.ts';
import { WGSL_FUSION } from './fusion.ts';
import { openDevice } from './device.ts';
import { buildExecutor, type ExecutorOptions } from './executor.ts';
import { emitNode } from './emit-node.ts';
import { dropoutStream } from '../../src/random.ts';

export { emitNode };
export { WGSL_FUSION } from './fusion.ts';

export interface WgslOptions extends BackendOptions, ExecutorOptions {
  /** A GPU object (navigator.gpu, or npm webgpu's create()); default: navigator.gpu or Dawn. */
  gpu?: GPU;
  /** Apply the backend lowering first (default true). */
  lower?: boolean;
}

export async function compileWgsl(graph: Graph, opts: WgslOptions = {}): Promise<CompiledModel> {
  if (!graph.inputs.every((v) => isStatic(v.type.shape)) || graph.inputs.some(isShapeLike)) return specializeOnRun(graph, opts);
  return compileStatic(graph, opts);
}

async function compileStatic(graph: Graph, opts: WgslOptions): Promise<CompiledModel> {
  // Both paths copy the graph: a copy's inputs never carry constants (training state fed as inputs keeps its
  // initial value in `const`), so they get buffers and are read from the feeds.
  const g = opts.lower === false ? cloneGraph(graph) : lowerForJs(graph, WGSL_FUSION);
  const dynamic = g.nodes.flatMap((n) => n.outputs).find((v) => !isStatic(v.type.shape));
  if (dynamic) {
    const why = `value '${dynamic.name}' of ${dynamic.producer?.op} has a data-dependent shape`;
    const random = dropoutStream(opts.seed);
    return {
      info: { fallback: `reference interpreter (${why})` },
      async run(feeds) { return runGraph(graph, feeds, { training: opts.training, random }); },
      async dispose() {},
    };
  }
  const { device, adapterName, cpu } = await openDevice(opts.gpu);
  try {
    const m = await buildExecutor(g, device, adapterName, opts, cpu);
    return { info: m.info, run: (f) => m.run(f), async dispose() { await m.dispose(); device.destroy(); } };
  } catch (e) { device.destroy(); throw e; }
}

const SHAPE_LIKE_MAX = 64;
/** An integer input small enough to be a shape, pads or axes: specialized by value. */
const isShapeLike = (v: Value) => v.type.dtype === 'int64' && isStatic(v.type.shape) && v.type.shape.reduce((a, b) => a * b, 1) <= SHAPE_LIKE_MAX;

/** Symbolic dims (a batch N): substitute the feeds' shapes on a copy, re-infer, compile and cache per signature. */
function specializeOnRun(graph: Graph, opts: WgslOptions): CompiledModel {
  const cache = new Map<string, Promise<CompiledModel>>();
  const model: CompiledModel = {
    info: { specialized: 'per input shape' },
    async run(feeds) {
      const key = graph.inputs.map((v) => `${feeds[v.name]?.shape.join('x') ?? '?'}${isShapeLike(v) ? `=${feeds[v.name]?.data.join(',')}` : ''}`).join(',');
      let m = cache.get(key);
      if (!m) {
        const g = cloneGraph(graph);
        for (const v of g.inputs) {
          const t = feeds[v.name];
          if (t) v.type = { ...v.type, shape: [...t.shape] };
          if (t && isShapeLike(v) && !g.outputs.includes(v)) g.replaceAllUses(v, g.addConst(g.uniqueName(`${v.name}_value`), t));
        }
        inferShapes(g);
        m = compileStatic(g, opts);
        cache.set(key, m);
      }
      const last = await m;
      const out = await last.run(feeds);
      model.info = { ...last.info, specialized: 'per input shape' };
      return out;
    },
    async dispose() { for (const m of cache.values()) await (await m).dispose(); cache.clear(); },
  };
  return model;
}

const wgsl: Backend = { name: 'wgsl', compile: (graph, opts) => compileWgsl(graph, opts) };
export default wgsl;
