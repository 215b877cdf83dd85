// One memory budget for every backend, checked BEFORE anything is allocated.
// - Per node: each output's rank, dims and element count (the per-tensor limits of src/limits.ts) and the
//   node's work (an op's `cost` rule: output elements x window taps for pooling) against maxNodeCost.
// - Per run: the bytes held at once against maxTotalBytes.
// Shapes fixed at compile time are checked when a backend compiles (`checkStaticGraph`: js arena, wgsl
// buffers). Shapes that depend on tensor VALUES (Range, Expand, Tile, ConstantOfShape, Pad, Reshape, Slice,
// Resize...) are checked at run time by asking the op's own shape rule, with the actual input tensors as
// its constants, what it will produce (`checkRuntimeShape`); the reference interpreter, the js fallback
// phases, the wgsl host steps and constant folding all evaluate a node through `evaluateNode`, so there is
// one check, not one per backend.
import type { Graph, Node, TensorType } from './graph.ts';
import { isStatic } from './graph.ts';
import type { Tensor } from './tensor.ts';
import { byteSize } from './dtype.ts';
import { getOp, resolveAttrs, type EvalContext, type OpDef } from './registry.ts';
import { LayercError, lcError } from '../diagnostics.ts';
import { checkShape, currentLimits, exceed, type Limits } from '../limits.ts';

const typeOf = (t: Tensor | null): TensorType | null => (t ? { dtype: t.dtype, shape: [...t.shape] } : null);
const elements = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
export const tensorBytes = (t: TensorType) => (isStatic(t.shape) ? elements(t.shape) * byteSize(t.dtype) : 0);

/** What the op's shape rule says the node makes from these actual inputs (null if the rule cannot tell). */
export function runtimeTypes(node: Node, def: OpDef, attrs: Record<string, unknown>, inputs: (Tensor | null)[], graph?: Graph): TensorType[] | null {
  try {
    return def.inferType({
      node, graph: graph as Graph, attrs: attrs as never,
      inputs: inputs.map(typeOf),
      constInput: (i) => inputs[i] ?? null,
      freshDim: (hint) => hint,
      fail: (code, args) => { throw lcError(code, args); },
    });
  } catch (e) {
    // A rule that refuses these inputs leaves the verdict to the kernel, whose error names the inputs.
    if (e instanceof LayercError) return null;
    throw e;
  }
}

/** Per-tensor limits on every statically known output, then the op's work against maxNodeCost. */
export function checkRuntimeShape(node: Node, def: OpDef, attrs: Record<string, unknown>, ins: (TensorType | null)[], outs: TensorType[],
  limits: Limits = currentLimits()): void {
  const ctx = { node: node.name, op: node.op, span: node.span };
  try {
    outs.forEach((t, i) => { if (t && isStatic(t.shape)) checkShape(t.shape, `output '${node.outputs[i]?.name ?? i}' of ${node.op}`, limits); });
    const cost = def.cost?.(ins, outs, attrs as never);
    if (cost !== undefined && cost > limits.maxNodeCost) exceed(`${node.op} does ${cost} units of work (output elements x window taps)`, 'maxNodeCost', limits);
  } catch (e) {
    throw e instanceof LayercError ? e.within(ctx) : e;
  }
}

/** Bytes a run holds at once; `admit` refuses a node whose outputs would take the total past the limit. */
export class RunBudget {
  private held = 0;
  constructor(readonly limits: Limits = currentLimits()) {}
  admit(node: Node, outs: TensorType[]): void {
    const bytes = outs.reduce((a, t) => a + (t ? tensorBytes(t) : 0), 0);
    if (this.held + bytes > this.limits.maxTotalBytes) {
      exceed(`node '${node.name}' (${node.op}) needs ${bytes} bytes while the run already holds ${this.held}`, 'maxTotalBytes', this.limits);
    }
  }
  hold(t: Tensor): void { this.held += t.data.byteLength; }
  release(t: Tensor): void { this.held -= t.data.byteLength; }
  get bytes(): number { return this.held; }
}

export interface EvaluateOptions extends Omit<EvalContext, 'node' | 'attrs'> {
  graph?: Graph;
  budget?: RunBudget;
  limits?: Limits;
}

/** Checks what the node will allocate, then runs its reference implementation. */
export function evaluateNode(node: Node, inputs: (Tensor | null)[], opts: EvaluateOptions = {}): Tensor[] {
  const def = getOp(node);
  const attrs = resolveAttrs(node, def);
  const limits = opts.budget?.limits ?? opts.limits ?? currentLimits();
  try {
    const outs = runtimeTypes(node, def, attrs, inputs, opts.graph);
    if (outs) {
      checkRuntimeShape(node, def, attrs, inputs.map(typeOf), outs, limits);
      opts.budget?.admit(node, outs);
    }
    return def.evalRef(inputs, { node, attrs, training: opts.training, random: opts.random });
  } catch (e) {
    if (e instanceof LayercError) throw e.within({ node: node.name, op: node.op, span: node.span, file: opts.graph?.source });
    throw e;
  }
}

/** Compile-time check of a graph whose shapes are static: every node as above, before any kernel is built. */
export function checkStaticGraph(graph: Graph, limits: Limits = currentLimits()): void {
  for (const node of graph.nodes) {
    const def = getOp(node);
    checkRuntimeShape(node, def, resolveAttrs(node, def), node.inputs.map((v) => v?.type ?? null), node.outputs.map((o) => o.type), limits);
  }
}

/** A backend's static plan (arena, buffers, the weights it copies) against the total, before allocating it. */
export function checkPlanBytes(bytes: number, what: string, limits: Limits = currentLimits()): void {
  if (bytes > limits.maxTotalBytes) exceed(`${what} needs ${bytes} bytes`, 'maxTotalBytes', limits);
}
