// The compile path every backend shares: specialize -> lower -> plan + emit.
//   specialize  a graph with symbolic input dims (a batch N) is compiled when it is run, per input-shape
//               signature: the feeds' shapes are substituted on a copy and shapes re-inferred. When shapes still
//               depend on input VALUES (a Reshape's target, Pad's pads, Resize's scales fed at run time), small
//               int64 inputs and small float inputs used only as op parameters (at most SHAPE_LIKE_MAX elements)
//               are substituted by value as well, so the shapes they decide become static (one compile per
//               value, cached, as onnxruntime re-plans per shape); a static graph whose shapes depend on such
//               inputs is specialized the same way.
//   lower       the caller's lowering pipeline (passes/pipelines.ts `lowering(capabilities)`, passed in as
//               `lower`; the runtime never imports a pass), run on each specialized copy because specialization
//               makes more shapes static and so more foldable;
//   build       the backend's part: plan memory and emit kernels for a graph whose every shape is static.
// A graph whose shapes still depend on input values after all that runs on the reference interpreter, and
// `info.fallback` says why. The input graph is never changed (every path works on a copy; a copy's inputs never
// carry constants, so training state fed as inputs is read from the feeds).
import { isStatic, type Graph, type Value } from '../src/ir/graph.ts';
import type { Tensor } from '../src/ir/tensor.ts';
import { inferShapes } from '../src/ir/infer.ts';
import { runGraph } from '../src/ir/interpret.ts';
import { onlyParameter } from '../src/ir/registry.ts';
import { isFloat } from '../src/ir/dtype.ts';
import { cloneGraph } from '../src/ir/clone.ts';
import { dropoutStream } from '../src/random.ts';
import type { BackendOptions, CompiledModel } from './backend.ts';

/** The backend's part of compiling: a lowered graph with static shapes -> a runnable model. */
export type BuildStatic<O> = (g: Graph, opts: O) => Promise<CompiledModel>;

export const SHAPE_LIKE_MAX = 64;
/** A candidate for specialization by value: a small input that is a shape, pads or axes (int64), or that only
 *  parameterizes its users (OpTraits.parameters: Resize's float scales and roi). */
export const isShapeLike = (v: Value) => isStatic(v.type.shape) && v.type.shape.reduce((a, b) => a * b, 1) <= SHAPE_LIKE_MAX &&
  (v.type.dtype === 'int64' || (isFloat(v.type.dtype) && onlyParameter(v)));

/** A lowered copy of `graph` with the feeds' shapes (and, with byValue, the shape-like feeds' values) substituted. */
export function specialize(graph: Graph, feeds: Record<string, Tensor> | null, byValue: boolean, lower?: (g: Graph) => void): Graph {
  const g = cloneGraph(graph);
  if (feeds) {
    for (const v of g.inputs) {
      const t = feeds[v.name];
      if (t) v.type = { ...v.type, shape: [...t.shape] };
      if (t && byValue && isShapeLike(v) && !g.outputs.includes(v)) g.replaceAllUses(v, g.addConst(g.uniqueName(`${v.name}_value`), t));
    }
    inferShapes(g);
  }
  lower?.(g);
  return g;
}

/** The first value whose shape is not static, or undefined. */
const dynamicValue = (g: Graph) => g.nodes.flatMap((n) => n.outputs).find((v) => !isStatic(v.type.shape));

function referenceFallback(graph: Graph, v: Value, opts: BackendOptions): CompiledModel {
  const why = `value '${v.name}' of ${v.producer?.op} has a data-dependent shape`;
  const random = dropoutStream(opts.seed); // the backends' one seeded Dropout stream
  return {
    info: { fallback: `reference interpreter (${why})` },
    async run(feeds) { return runGraph(graph, feeds, { training: opts.training, random }); },
    async dispose() {},
  };
}

/** Compiles `graph` for a backend whose static build is `build`. */
export async function compileGraph<O extends BackendOptions>(graph: Graph, opts: O, build: BuildStatic<O>): Promise<CompiledModel> {
  const shapeLike = graph.inputs.some(isShapeLike);
  if (graph.inputs.every((v) => isStatic(v.type.shape))) {
    const g = specialize(graph, null, false, opts.lower);
    const dynamic = dynamicValue(g);
    if (!dynamic) return build(g, opts);
    if (!shapeLike) return referenceFallback(graph, dynamic, opts);
    return specializeOnRun(graph, opts, build, true);
  }
  return specializeOnRun(graph, opts, build, undefined);
}

/**
 * Compiles per input signature on first use and caches it. `byValue` (also specialize shape-like inputs by
 * value) is decided on the first run when not given: only if shapes still depend on input values once the
 * input shapes are known (so int64 labels of a training batch never force a compile per batch).
 */
function specializeOnRun<O extends BackendOptions>(graph: Graph, opts: O, build: BuildStatic<O>, byValue: boolean | undefined): CompiledModel {
  const cache = new Map<string, Promise<CompiledModel>>();
  const shapeLike = graph.inputs.some(isShapeLike);
  const model: CompiledModel = {
    info: { specialized: 'per input shape' },
    async run(feeds) {
      let first: Graph | undefined;
      if (byValue === undefined) {
        first = specialize(graph, feeds, false, opts.lower);
        byValue = shapeLike && !!dynamicValue(first);
        if (byValue) first = undefined;
      }
      const key = graph.inputs.map((v) => `${feeds[v.name]?.shape.join('x') ?? '?'}${byValue && isShapeLike(v) ? `=${feeds[v.name]?.data.join(',')}` : ''}`).join(',');
      let m = cache.get(key);
      if (!m) {
        const g = first ?? specialize(graph, feeds, byValue, opts.lower);
        const dynamic = dynamicValue(g);
        m = dynamic ? Promise.resolve(referenceFallback(graph, dynamic, opts)) : build(g, opts);
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
