// The op registry: every op has ONE definition holding its attribute schema, its type/shape rule, its
// reference semantics (the oracle interpreter), its traits (elementwise, view, in place), its ONNX version
// history and, where it has one, its gradient. Adding an op means adding one `defineOp` call in
// src/ops/<family>.ts (and a `defineGrad` row if it is differentiable); nothing else switches on op names.
import type { AttrValue, Dim, Graph, Node, TensorType, Value } from './graph.ts';
import type { Tensor } from './tensor.ts';
import { lcError, type Code } from '../diagnostics.ts';

export type AttrType = 'int' | 'float' | 'string' | 'ints' | 'floats' | 'strings' | 'tensor' | 'graph' | 'json';

export interface AttrSpec {
  type: AttrType;
  /** Default per the ONNX spec; omitted with `required` or when absence has a meaning of its own. */
  default?: AttrValue;
  required?: boolean;
}

/** What a shape rule sees. */
export interface InferContext {
  node: Node;
  graph: Graph;
  attrs: Record<string, AttrValue>;
  /** Input types (null for an omitted optional input). */
  inputs: (TensorType | null)[];
  /** The compile-time value of input i, if it is a constant (or was folded to one). */
  constInput(i: number): Tensor | null;
  /** A fresh symbolic dimension for sizes that depend on data. */
  freshDim(hint: string): Dim;
  /** Throws a LayercError naming this node and op. */
  fail(code: Code, args: (string | number)[]): never;
}

/** What a reference implementation sees besides its input tensors. */
export interface EvalContext {
  node: Node;
  attrs: Record<string, AttrValue>;
  /** Deterministic randomness (Dropout in training mode). */
  random?: () => number;
  /** True when running the training graph (Dropout active). */
  training?: boolean;
}

/** Gradient context for reverse-mode autodiff (filled in by src/train/autodiff.ts). */
export interface VjpContext {
  node: Node;
  attrs: Record<string, AttrValue>;
  graph: Graph;
  /** Gradient values of the node's outputs (null where an output has no gradient). */
  dOut: (Value | null)[];
  /** Emits a node into the backward graph and returns its outputs. */
  emit(op: string, inputs: (Value | null)[], attrs?: Record<string, AttrValue>, numOutputs?: number, domain?: string): Value[];
}

/** What planners and backends may assume about an op without knowing it by name. */
export interface OpTraits {
  /**
   * Output element i depends only on element i of each (broadcast) input, read before it is written: the
   * output may overwrite any input of its own shape and dtype.
   */
  elementwise?: boolean;
  /**
   * A single output is input 0's bytes under another shape (reshape-like): no kernel. 'inference': only when not
   * training (Dropout: no training_mode input and the backend's training option off).
   */
  view?: boolean | 'inference';
  /** For ops that are not elementwise: the inputs the output may still overwrite (per-channel maps). */
  inPlace?: readonly number[];
  /**
   * Small inputs that parameterize the computation rather than carry data (Resize's roi, scales, sizes): a
   * backend wants their values at compile time, so a graph input fed only into them is specialized by value.
   */
  parameters?: readonly number[];
}

/** Reverse-mode rule: one gradient per input (null where there is none); the count is checked. */
export type GradRule = (ctx: VjpContext) => (Value | null)[];

export interface OpDef {
  name: string;
  /** '' for the standard ONNX domain, 'ai.layerc' for layerc's own ops. */
  domain?: string;
  summary: string;
  attrs: Record<string, AttrSpec>;
  /** Input count range (optional inputs may be null). */
  inputs: [min: number, max: number];
  /** Output count range. */
  outputs: [min: number, max: number];
  inferType(ctx: InferContext): TensorType[];
  evalRef(inputs: (Tensor | null)[], ctx: EvalContext): Tensor[];
  /** One gradient per input (null where there is none); the count is checked. Set here or by `defineGrad`. */
  vjp?: GradRule;
  traits?: OpTraits;
  /**
   * Default-domain ops: the oldest ONNX since-version layerc implements (onnx/docs/Changelog.md). For ops that
   * exist at opset 7 it is the version in effect there (older attribute forms are upgraded by
   * frontend/onnx-upgrade.ts); for later ops, the opset they first appear in. A model whose opset is below it
   * means a version we do not implement (LC019).
   */
  onnxSince?: number;
  /** True for ops whose result depends on more than their inputs (never folded or deduplicated). */
  impure?: boolean;
  /**
   * The output's value when the input TYPES alone determine it (ONNX shape inference's data propagation:
   * Shape of a statically shaped value), else null. Lets shape rules read e.g. Reshape(x, Shape(y)).
   */
  valueFromTypes?(inputs: (TensorType | null)[], attrs: Record<string, AttrValue>): Tensor | null;
  /**
   * Work of one evaluation in elementary steps (pooling: output elements x window taps), checked against the
   * maxNodeCost limit before the node runs (src/ir/budget.ts). Omitted: work is proportional to the tensors.
   */
  cost?(inputs: (TensorType | null)[], outputs: TensorType[], attrs: Record<string, AttrValue>): number | undefined;
}

const registry = new Map<string, OpDef>();

const key = (domain: string, name: string) => (domain ? `${domain}::${name}` : name);

export function defineOp(def: OpDef): OpDef {
  const k = key(def.domain ?? '', def.name);
  if (registry.has(k)) throw new Error(`op ${k} is defined twice`);
  registry.set(k, def);
  return def;
}

/**
 * Registers `op`'s gradient rule (tables of rules live beside the ops: src/ops/gradients*.ts). Throws when the
 * op is not defined yet or already has a rule, so a typo or a second rule cannot go unnoticed.
 */
export function defineGrad(op: string, rule: GradRule, domain = ''): void {
  const def = findOp(op, domain);
  if (!def) throw new Error(`defineGrad: op ${key(domain, op)} is not defined`);
  if (def.vjp) throw new Error(`defineGrad: op ${key(domain, op)} already has a gradient rule`);
  def.vjp = rule;
}

/** The inputs whose buffer `node`'s single output may reuse (traits.elementwise: all of them). */
export function inPlaceInputs(node: Node): readonly number[] {
  const t = findOp(node.op, node.domain)?.traits;
  if (!t || node.outputs.length !== 1) return [];
  return t.elementwise ? node.inputs.map((_, i) => i) : t.inPlace ?? [];
}

/** True when every use of `v` is a parameter input of its user (OpTraits.parameters). */
export function onlyParameter(v: Value): boolean {
  return v.users.length > 0 && v.users.every((n) => {
    const p = findOp(n.op, n.domain)?.traits?.parameters ?? [];
    return n.inputs.every((x, i) => x !== v || p.includes(i));
  });
}

/** True when `node` is a view of its input 0 (no kernel, no copy) in a run with the given training option. */
export function isViewNode(node: Node, training = false): boolean {
  const view = findOp(node.op, node.domain)?.traits?.view;
  if (node.outputs.length !== 1 || !view) return false;
  return view === true || (!training && !node.inputs[2]);
}

export function findOp(name: string, domain = ''): OpDef | undefined {
  return registry.get(key(domain === 'ai.onnx' ? '' : domain, name));
}

export function getOp(node: Node): OpDef {
  const def = findOp(node.op, node.domain);
  if (!def) throw lcError('LC011', [node.op, node.domain || 'ai.onnx', ''], { node: node.name, op: node.op });
  return def;
}

export function allOps(): OpDef[] { return [...registry.values()]; }

/** The node's attributes with the op's defaults filled in, checked against the schema. */
export function resolveAttrs(node: Node, def: OpDef = getOp(node)): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const [name, spec] of Object.entries(def.attrs)) {
    const v = node.attrs[name];
    if (v === undefined) {
      if (spec.required) throw lcError('LC030', [name, 'required attribute is missing'], { node: node.name, op: node.op });
      if (spec.default !== undefined) out[name] = spec.default;
      continue;
    }
    if (!attrMatches(spec.type, v)) {
      throw lcError('LC030', [name, `expected ${spec.type}, got ${describe(v)}`], { node: node.name, op: node.op });
    }
    out[name] = v;
  }
  for (const name of Object.keys(node.attrs)) {
    if (!(name in def.attrs)) throw lcError('LC030', [name, `unknown attribute for ${node.op}`], { node: node.name, op: node.op });
  }
  return out;
}

function attrMatches(t: AttrType, v: AttrValue): boolean {
  switch (t) {
    case 'int': case 'float': return typeof v === 'number';
    case 'string': return typeof v === 'string';
    case 'ints': case 'floats': return Array.isArray(v) && v.every((x) => typeof x === 'number');
    case 'strings': return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'tensor': return typeof v === 'object' && v !== null && 'data' in v && 'shape' in v;
    case 'graph': return typeof v === 'object' && v !== null && 'nodes' in v;
    case 'json': return true;
  }
}

function describe(v: AttrValue): string {
  if (Array.isArray(v)) return 'a list';
  return typeof v;
}
