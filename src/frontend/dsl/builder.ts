// The per-layer emitter handed to each layer-table row: adds nodes with the layer's span and name,
// infers their shapes at once (so a shape error points at the DSL layer that broke) and creates
// parameters whose initial values are filled in later by init.ts.
import type { Graph, Node, Value, AttrValue, Dim, StateRole } from '../../ir/graph.ts';
import { Tensor } from '../../ir/tensor.ts';
import { inferNode, shapeToString } from '../../ir/infer.ts';
import { LayercError, lcError, type SourceSpan } from '../../diagnostics.ts';
import { checkShape, currentLimits, exceed } from '../../limits.ts';

/** Bytes of the weights a program has created so far, per graph being built. */
const WEIGHT_BYTES = new WeakMap<Graph, number>();

/** 'small': uniform with std 0.02 (a position embedding, like ViT's truncated normal of std 0.02). */
export type InitKind = 'weight' | 'zeros' | 'ones' | 'small';
export interface PendingParam { value: Value; kind: InitKind; fanIn: number; fanOut: number; node?: Node }

export class LayerBuilder {
  nodes: Node[] = [];
  params: Value[] = [];
  constructor(readonly graph: Graph, readonly name: string, readonly layer: string, readonly span: SourceSpan,
    readonly pending: PendingParam[], readonly trainable: boolean) {}

  /** Adds one node named after the layer (a second node gets a suffix) and infers its output type. */
  node(op: string, inputs: (Value | null)[], attrs: Record<string, AttrValue> = {}): Value {
    const n = this.graph.addNode(op, inputs, attrs, { name: this.nodes.length ? `${this.name}.${op.toLowerCase()}` : this.name, span: this.span });
    this.nodes.push(n);
    let types;
    try {
      types = inferNode(this.graph, n);
    } catch (e) {
      if (e instanceof LayercError) throw this.fail(e.message);
      // A shape rule that crashes on odd input is a bug there, but the user still gets a located error.
      throw this.fail(`internal error in the ${op} shape rule: ${(e as Error).message}`);
    }
    n.outputs.forEach((o, i) => { if (types[i]) o.type = types[i]; });
    for (const p of this.pending) if (!p.node && this.params.includes(p.value)) p.node = n;
    return n.outputs[0];
  }

  /** A parameter or running statistic `<layer>.<suffix>`; weights get their values in init.ts. */
  param(suffix: string, shape: number[], role: StateRole, kind: InitKind, fanIn = 0, fanOut = 0, trainable = this.trainable): Value {
    try {
      // Before allocating: a typo like dense(100000000) must not exhaust memory, nor four layers each under
      // the per-tensor limit together (all weights of a program count against the total budget).
      const n = checkShape(shape, `${this.name}.${suffix}`);
      const limits = currentLimits();
      const total = (WEIGHT_BYTES.get(this.graph) ?? 0) + n * 4;
      if (total > limits.maxTotalBytes) exceed(`the weights up to ${this.name}.${suffix} take ${total} bytes`, 'maxTotalBytes', limits);
      WEIGHT_BYTES.set(this.graph, total);
    } catch (e) {
      if (e instanceof LayercError) throw e.within({ span: this.span, file: this.span.file, node: this.name });
      throw e;
    }
    const t = Tensor.zeros('float32', shape);
    if (kind === 'ones') t.data.fill(1);
    const v = this.graph.addConst(`${this.name}.${suffix}`, t, role);
    if (!trainable) v.trainable = false; // a frozen BN's running stats too: split-train-infer keeps that BN in eval mode
    this.params.push(v);
    this.pending.push({ value: v, kind, fanIn, fanOut });
    return v;
  }

  /** A small non-trainable constant input (Clip bounds, Dropout ratio). */
  scalar(suffix: string, x: number): Value {
    return this.graph.addConst(`${this.name}.${suffix}`, Tensor.scalar('float32', x));
  }

  shape(x: Value): Dim[] {
    if (!x.type.shape) throw this.fail(`the input shape of ${this.layer} is unknown`);
    return x.type.shape;
  }

  /** A dimension that must be a fixed number (channels, features). */
  fixedDim(x: Value, axis: number, what: string): number {
    const s = this.shape(x);
    const d = s[axis];
    if (typeof d !== 'number') throw this.fail(`${what} of the input ${shapeToString(s)} must be a fixed size, got ${String(d)}`);
    return d;
  }

  /** An argument's value is out of its range whatever the input (LC043), e.g. `batchnorm(momentum=1.5)`. */
  badArgument(arg: string, message: string): LayercError {
    return lcError('LC043', [`'${arg}'`, `${this.layer} '${this.name}'`, message], { span: this.span, file: this.span.file, node: this.name });
  }

  fail(message: string): LayercError {
    return lcError('LC048', [`${this.layer} '${this.name}'`, message], { span: this.span, file: this.span.file, node: this.name });
  }
}
