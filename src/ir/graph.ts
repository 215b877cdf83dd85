// The IR: a graph of nodes kept in topological order over typed values. A value knows its producer and
// its users (torch.fx style), so rewiring keeps use lists right. Constants (weights, running statistics)
// are values with `const` set; training state carries a `role`. Every edit goes through the methods here.
import type { DType } from './dtype.ts';
import type { Tensor } from './tensor.ts';
import type { SourceSpan } from '../diagnostics.ts';
import { lcError } from '../diagnostics.ts';

/** A dimension: a fixed size or a symbol (e.g. 'N'). */
export type Dim = number | string;

export interface TensorType {
  dtype: DType;
  /** null while not yet inferred. */
  shape: Dim[] | null;
}

/** What a piece of explicit state is for (training state is named and typed, never implicit). */
export type StateRole = 'param' | 'running_mean' | 'running_var' | 'optimizer' | 'step';

/** Attribute values. 'json' carries layerc-internal structured attributes (e.g. a fused epilogue). */
export type AttrValue = number | string | number[] | string[] | Tensor | Graph | JsonValue;
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export class Value {
  producer: Node | null = null;
  readonly users: Node[] = [];
  /** Set for initializers (weights, running stats): the value is known at compile time. */
  const: Tensor | null = null;
  role?: StateRole;
  /** false freezes a parameter (fine-tuning); undefined means trainable when role is 'param'. */
  trainable?: boolean;
  constructor(public name: string, public type: TensorType) {}
  get isConst(): boolean { return this.const !== null; }
}

export interface NodeOptions {
  name?: string;
  domain?: string;
  /** Source position (DSL). Default: the span of `before`, since a node a pass inserts before another
   *  almost always rewrites it, so errors and `inspect` still point at the user's line after passes. */
  span?: SourceSpan;
  /** Names for the outputs (default: derived from the node name). */
  outputNames?: string[];
  /** Number of outputs (default: outputNames.length or 1). */
  numOutputs?: number;
}

export class Node {
  inputs: (Value | null)[] = [];
  outputs: Value[] = [];
  span?: SourceSpan;
  /** The node a rewrite decomposed into this one (simplify-inference's BN -> Mul/Add), so a later pass reports
   *  what it folded in the user's terms ("BatchNormalization folded into Conv"). */
  origin?: { op: string; name: string };
  constructor(public name: string, public op: string, public domain: string, public attrs: Record<string, AttrValue>) {}
  /** The non-null inputs. */
  get args(): Value[] { return this.inputs.filter((v): v is Value => v !== null); }
  input(i: number): Value | null { return this.inputs[i] ?? null; }
}

export class Graph {
  nodes: Node[] = [];
  inputs: Value[] = [];
  outputs: Value[] = [];
  /** Initializers in insertion order (values with const set that are not graph inputs). */
  initializers: Value[] = [];
  /** Opset the graph's standard ops follow (the frontend upgrades older forms to this). */
  opset = 18;
  /** Where the graph came from (file path), used in error messages. */
  source?: string;
  private readonly byName = new Map<string, Value>();
  private counter = 0;

  constructor(public name = 'main') {}

  value(name: string): Value | undefined { return this.byName.get(name); }
  get values(): IterableIterator<Value> { return this.byName.values(); }

  /** A fresh value name not used in this graph, derived from `base` (node names are a separate namespace). */
  uniqueName(base: string): string {
    if (!this.byName.has(base)) return base;
    let name: string;
    do name = `${base}_${++this.counter}`; while (this.byName.has(name));
    return name;
  }
  private nodeNames = new Set<string>();

  private newValue(name: string, type: TensorType): Value {
    if (this.byName.has(name)) throw lcError('LC034', [`duplicate value name '${name}'`]);
    const v = new Value(name, type);
    this.byName.set(name, v);
    return v;
  }

  addInput(name: string, type: TensorType): Value {
    const v = this.newValue(name, type);
    this.inputs.push(v);
    return v;
  }

  addConst(name: string, t: Tensor, role?: StateRole): Value {
    const v = this.newValue(this.uniqueName(name), { dtype: t.dtype, shape: [...t.shape] });
    v.const = t;
    if (role) v.role = role;
    this.initializers.push(v);
    return v;
  }

  /** Replaces a constant's tensor in place (same value, same users). */
  setConst(v: Value, t: Tensor): void {
    v.const = t;
    v.type = { dtype: t.dtype, shape: [...t.shape] };
  }

  /**
   * Creates a node and its output values. It is appended at the end unless `before` is given;
   * inserting before the first user of its outputs keeps topological order.
   */
  addNode(op: string, inputs: (Value | null)[], attrs: Record<string, AttrValue> = {}, opts: NodeOptions = {}, before?: Node): Node {
    const name = this.uniqueNodeName(opts.name ?? op.toLowerCase());
    const node = new Node(name, op, opts.domain ?? '', attrs);
    node.span = opts.span ?? before?.span;
    const count = opts.outputNames?.length ?? opts.numOutputs ?? 1;
    for (let i = 0; i < count; i++) {
      const outName = opts.outputNames?.[i] || this.uniqueName(count === 1 ? name : `${name}_${i}`);
      const v = this.newValue(outName, { dtype: 'float32', shape: null });
      v.producer = node;
      node.outputs.push(v);
    }
    for (const v of inputs) this.attach(node, v);
    if (before) this.nodes.splice(this.indexOf(before), 0, node);
    else this.nodes.push(node);
    return node;
  }

  private uniqueNodeName(base: string): string {
    let name = base;
    while (this.nodeNames.has(name)) name = `${base}_${++this.counter}`;
    this.nodeNames.add(name);
    return name;
  }

  private attach(node: Node, v: Value | null): void {
    node.inputs.push(v);
    if (v) v.users.push(node);
  }

  indexOf(node: Node): number {
    const i = this.nodes.indexOf(node);
    if (i < 0) throw lcError('LC034', [`node '${node.name}' is not in graph '${this.name}'`]);
    return i;
  }

  /** Rewires input `i` of `node` to `v`, keeping use lists right. */
  setInput(node: Node, i: number, v: Value | null): void {
    const old = node.inputs[i];
    if (old) removeOne(old.users, node);
    while (node.inputs.length <= i) node.inputs.push(null);
    node.inputs[i] = v;
    if (v) v.users.push(node);
  }

  /**
   * Makes every user of `from` use `to` instead. If `from` is a graph output, `to` takes its place and,
   * when `to` is a plain intermediate, its name too, so the graph's interface keeps its names.
   */
  replaceAllUses(from: Value, to: Value): void {
    if (from === to) return;
    for (const user of [...from.users]) {
      for (let i = 0; i < user.inputs.length; i++) if (user.inputs[i] === from) this.setInput(user, i, to);
    }
    const outIdx = this.outputs.indexOf(from);
    if (outIdx >= 0) {
      const renamable = to.producer !== null && !this.outputs.includes(to) && !from.producer?.outputs.includes(to);
      for (let i = 0; i < this.outputs.length; i++) if (this.outputs[i] === from) this.outputs[i] = to;
      if (renamable) {
        const name = from.name;
        this.rename(from, this.uniqueName(`${name}__replaced`));
        this.rename(to, name);
      }
    }
  }

  rename(v: Value, name: string): void {
    if (v.name === name) return;
    if (this.byName.has(name)) throw lcError('LC034', [`cannot rename '${v.name}' to existing name '${name}'`]);
    this.byName.delete(v.name);
    v.name = name;
    this.byName.set(name, v);
  }

  /** Removes a node whose outputs have no users and are not graph outputs. */
  removeNode(node: Node): void {
    for (const o of node.outputs) {
      if (o.users.length || this.outputs.includes(o)) {
        throw lcError('LC034', [`cannot remove node '${node.name}': output '${o.name}' is still used`]);
      }
    }
    for (const v of node.inputs) if (v) removeOne(v.users, node);
    this.nodes.splice(this.indexOf(node), 1);
    this.nodeNames.delete(node.name);
    for (const o of node.outputs) { this.byName.delete(o.name); o.producer = null; }
  }

  /** Drops an initializer that nothing uses any more. Returns whether it was removed. */
  removeConstIfUnused(v: Value): boolean {
    if (v.users.length || this.outputs.includes(v) || this.inputs.includes(v)) return false;
    const i = this.initializers.indexOf(v);
    if (i < 0) return false;
    this.initializers.splice(i, 1);
    this.byName.delete(v.name);
    return true;
  }

  /** Registers a value created outside addNode/addInput/addConst (used by frontends that name things). */
  registerValue(name: string, type: TensorType): Value { return this.newValue(name, type); }

  /** Moves a graph input to the initializers (an ONNX input that also has an initializer). */
  markInitializer(v: Value, t: Tensor): void {
    v.const = t;
    if (!v.type.shape) v.type = { dtype: t.dtype, shape: [...t.shape] };
    const i = this.inputs.indexOf(v);
    if (i >= 0) this.inputs.splice(i, 1);
    if (!this.initializers.includes(v)) this.initializers.push(v);
  }

  /** Re-sorts nodes topologically (stable: keeps the existing order where it is already valid). */
  topoSort(): void {
    const indeg = new Map<Node, number>();
    for (const n of this.nodes) indeg.set(n, 0);
    for (const n of this.nodes) for (const v of n.inputs) if (v?.producer && indeg.has(v.producer)) indeg.set(n, indeg.get(n)! + 1);
    const order: Node[] = [];
    const ready = this.nodes.filter((n) => indeg.get(n) === 0);
    const pos = new Map(this.nodes.map((n, i) => [n, i]));
    while (ready.length) {
      ready.sort((a, b) => pos.get(a)! - pos.get(b)!);
      const n = ready.shift()!;
      order.push(n);
      for (const o of n.outputs) for (const u of new Set(o.users)) {
        if (!indeg.has(u)) continue;
        const c = indeg.get(u)! - countIn(u, o);
        indeg.set(u, c);
        if (c === 0) ready.push(u);
      }
    }
    if (order.length !== this.nodes.length) {
      const stuck = this.nodes.find((n) => !order.includes(n))!;
      throw lcError('LC015', [`node '${stuck.name}' (${stuck.op})`], { node: stuck.name, op: stuck.op, file: this.source });
    }
    this.nodes = order;
  }
}

function countIn(node: Node, v: Value): number {
  let c = 0;
  for (const x of node.inputs) if (x === v) c++;
  return c;
}

function removeOne<T>(arr: T[], x: T): void {
  const i = arr.indexOf(x);
  if (i >= 0) arr.splice(i, 1);
}

export function isStatic(shape: Dim[] | null): shape is number[] {
  return shape !== null && shape.every((d) => typeof d === 'number');
}
