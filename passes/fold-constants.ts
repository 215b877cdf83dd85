// fold-constants: evaluates, at compile time, every node whose inputs are all constants, with the op's own
// reference implementation, and replaces it by an initializer. Shape of a value whose (selected) dims are
// static is a constant too. One sweep in topological order re-infers each node's type before trying to fold
// it, so the exporter chains (torch's Shape -> Gather -> Unsqueeze -> Concat -> Reshape flatten) collapse in
// a single pass: the folded Concat makes the Reshape's target constant, its output static, and the next
// Shape of it foldable. Impure ops (Dropout, random generators) are never evaluated; results larger than
// `maxElements` are left as computations so a model's size cannot blow up (e.g. a huge ConstantOfShape).
// A fold that makes a Resize's scales or sizes constant is counted on its own (--report).
import type { Graph, Node, Value } from '../src/ir/graph.ts';
import { sizeOf, Tensor } from '../src/ir/tensor.ts';
import { findOp, resolveAttrs } from '../src/ir/registry.ts';
import { inferNode } from '../src/ir/infer.ts';
import { LayercError } from '../src/diagnostics.ts';
import { evaluateNode } from '../src/ir/budget.ts';
import type { Pass, PassContext } from './pass.ts';
import { Rewriter } from './rewriter.ts';

export const DEFAULT_MAX_ELEMENTS = 1 << 20;

export interface FoldOptions {
  /** Largest folded result, in elements (default 1M). */
  maxElements?: number;
}

type Counter = Pick<PassContext, 'count' | 'skip'>;
const NO_COUNTER: Counter = { count() {}, skip() {} };

/**
 * Folds constant computations in place and re-infers types along the way; returns how many nodes became
 * constants. The ONNX importer and backend lowerings call this directly.
 */
export function foldConstantsInPlace(g: Graph, opts: FoldOptions = {}, ctx: Counter = NO_COUNTER): number {
  const max = opts.maxElements ?? DEFAULT_MAX_ELEMENTS;
  let folded = 0;
  const rw = new Rewriter(g);
  const renames: [Value, string][] = [];
  for (const node of [...g.nodes]) {
    const types = inferNode(g, node);
    node.outputs.forEach((o, i) => { if (types[i]) o.type = types[i]!; });
    const result = evaluate(g, node, max, ctx);
    if (!result) continue;
    ctx.count(node.op === 'Shape' && !node.inputs[0]!.isConst ? 'Shape of a static shape folded' : 'nodes folded to constants');
    if (node.outputs.some(isResizeTarget)) ctx.count('Resize scales/sizes folded to a constant');
    renames.push(...replaceByConstants(g, rw, node, result));
    folded++;
  }
  rw.flush();
  for (const [c, name] of renames) g.rename(c, name);
  return folded;
}

/** Whether `v` is the scales or sizes input of a Resize (or Upsample's scales): the end of an exporter's
 *  Shape -> Gather -> Mul -> Concat chain, whose folding gives the resize kernel static output dims. */
const isResizeTarget = (v: Value): boolean => v.users.some((u) => !u.domain
  && ((u.op === 'Resize' && (u.inputs[2] === v || u.inputs[3] === v)) || (u.op === 'Upsample' && u.inputs[1] === v)));

/**
 * Gather(Shape(x), constant indices) picking only static dims of x is a constant even when x has a symbolic dim
 * elsewhere (torch's F.interpolate under a dynamic batch reads H and W this way); null otherwise.
 */
function staticDimsGathered(node: Node): Tensor | null {
  const shape = node.inputs[0]?.producer, idx = node.inputs[1]?.const;
  if (node.op !== 'Gather' || node.domain || Number(node.attrs.axis ?? 0) !== 0 || !idx || shape?.op !== 'Shape' || shape.domain) return null;
  const dims = shape.inputs[0]?.type.shape;
  if (!dims) return null;
  const r = dims.length, clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = clamp(Number(shape.attrs.start ?? 0)), end = clamp(shape.attrs.end === undefined ? r : Number(shape.attrs.end));
  const sel = dims.slice(start, Math.max(start, end));
  const picked = idx.toNumbers().map((i) => sel[i < 0 ? i + sel.length : i]);
  return picked.every((d): d is number => typeof d === 'number') ? Tensor.fromArray('int64', [...idx.shape], picked) : null;
}

/** The node's outputs as tensors when it can be folded, else null (with the reason counted as a skip). */
function evaluate(g: Graph, node: Node, max: number, ctx: Counter): Tensor[] | null {
  const def = findOp(node.op, node.domain);
  if (!def) return null;
  const args = node.inputs.filter((v): v is Value => v !== null);
  // Shape of a static shape: the value follows from the input types alone (the op's data-propagation rule).
  const fromTypes = def.valueFromTypes?.(node.inputs.map((v) => v?.type ?? null), resolveAttrs(node, def)) ?? staticDimsGathered(node);
  // A graph input with a default initializer can be overridden at run time: not a constant.
  if (!fromTypes && !args.every((v) => v.isConst && !g.inputs.includes(v))) return null;
  if (def.impure) return ctx.skip('impure op'), null;
  if (node.outputs.some((o) => g.outputs.includes(o))) return ctx.skip('result is a graph output'), null;
  if (Object.values(node.attrs).some((a) => typeof a === 'object' && a !== null && 'nodes' in a)) return null;
  // The inferred types are exact once every input is constant: refuse big results before computing them.
  if (node.outputs.some((o) => o.type.shape && o.type.shape.every((d) => typeof d === 'number') && sizeOf(o.type.shape as number[]) > max)) {
    return ctx.skip(`result larger than ${max} elements`), null;
  }
  if (fromTypes) return [fromTypes];
  let outs: Tensor[];
  try {
    outs = evaluateNode(node, node.inputs.map((v) => v?.const ?? null), { graph: g });
  } catch (e) {
    // A computation that fails now fails at run time too; leave it there, where the error names its inputs.
    if (e instanceof LayercError) return ctx.skip('evaluation failed'), null;
    throw e;
  }
  if (node.outputs.some((_, i) => !outs[i])) return null;
  if (outs.some((t) => t.size > max)) return ctx.skip(`result larger than ${max} elements`), null;
  // Identity-like ops return their input tensor itself: the new initializer gets its own storage.
  const ins = new Set(node.inputs.map((v) => v?.const));
  return outs.map((t) => (ins.has(t) ? t.clone() : t));
}

/**
 * Each output becomes an initializer; it takes the output's name once the node is gone (names downstream stay
 * stable), so the (constant, name) pairs are returned for after the rewriter's flush.
 */
function replaceByConstants(g: Graph, rw: Rewriter, node: Node, outs: Tensor[]): [Value, string][] {
  const made = node.outputs.map((o, i) => {
    const c = g.addConst(`${o.name}_folded`, outs[i]!);
    rw.replaceAllUses(o, c);
    return [c, o.name] as [Value, string];
  });
  for (const v of node.args) rw.dropIfUnused(v);
  rw.remove(node);
  return made;
}

export const foldConstants: Pass = {
  name: 'fold-constants',
  summary: 'evaluates nodes whose inputs are all constants (and Shape of static shapes) at compile time',
  options: { maxElements: { default: DEFAULT_MAX_ELEMENTS, doc: 'largest folded result in elements' } },
  run(g, ctx) {
    return foldConstantsInPlace(g, { maxElements: ctx.options.maxElements as number }, ctx) > 0;
  },
};
