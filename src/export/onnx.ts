// IR Graph -> ONNX ModelProto (opset 18, IR version 8) using standard ops only, so any ONNX runtime loads
// it. `ai.layerc::Fused` nodes are written back as their base op followed by Add/Mul/activation nodes in
// epilogue order (Clip bounds become constant inputs), `ai.layerc::Attention` as its MatMul/Softmax chain
// (./attention.ts); other layerc-only ops have no standard form and are
// refused. Initializers are written as raw_data; inputs/outputs carry dtype and (symbolic) shapes.
import onnx from 'onnx-proto';
import type { AttrValue, Graph, Node, TensorType, Value } from '../ir/graph.ts';
import type { DType } from '../ir/dtype.ts';
import { findOp } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';
import { ACTIVATIONS } from '../ops/activations.ts';
import { fusedAttrs } from '../ops/fused.ts';
import { STEP_KINDS, onStep, type OperandStepKind } from '../ops/fused-contract.ts';
import { lcError } from '../diagnostics.ts';
import { ATTENTION } from '../ops/attention.ts';
import { attentionAsOnnx } from './attention.ts';
import { dtypeToOnnx, tensorToProto } from '../io/tensorproto.ts';

const P = onnx.onnx;
const A = P.AttributeProto.AttributeType;

export interface ExportOptions { producer?: string; docString?: string }

export function exportOnnx(graph: Graph, opts: ExportOptions = {}): Uint8Array {
  const extra: onnx.onnx.ITensorProto[] = [];
  const used = new Set<string>([...graph.values].map((v) => v.name));
  const fresh = (base: string) => { let n = base, i = 0; while (used.has(n)) n = `${base}_${++i}`; used.add(n); return n; };
  const nodes: onnx.onnx.INodeProto[] = [];
  for (const n of graph.nodes) {
    if (n.domain === 'ai.layerc' && n.op === 'Fused') nodes.push(...unfuse(n, fresh, extra));
    else if (n.domain === 'ai.layerc' && n.op === ATTENTION) nodes.push(...attentionAsOnnx(n, fresh, (v) => scalarConst(v, fresh, extra), nodeProto));
    else if (n.domain !== '') throw lcError('LC018', [`${n.domain}::${n.op}`], { node: n.name, op: n.op });
    else if (!n.domain && n.op === 'Upsample') {
      // Upsample is deprecated at opset 18: the same resize is Resize with asymmetric coordinates, nearest rounding down.
      nodes.push(nodeProto('Resize', n.name, [nameOf(n.inputs[0]), '', nameOf(n.inputs[1])], n.outputs.map((v) => v.name),
        { mode: n.attrs.mode ?? 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }));
    } else if (!n.domain && n.op === 'Gelu') nodes.push(...geluAsOpset18(n, fresh, extra));
    else if (!n.domain && n.op === 'GroupNormalization') nodes.push(...groupNormAsOpset18(n, fresh, extra));
    else nodes.push(nodeProto(n.op, n.name, n.inputs.map(nameOf), n.outputs.map((v) => v.name), opset18Attrs(n)));
  }
  const model: onnx.onnx.IModelProto = {
    irVersion: 8,
    producerName: opts.producer ?? 'layerc',
    docString: opts.docString,
    opsetImport: [{ domain: '', version: 18 }],
    graph: {
      name: graph.name,
      node: nodes,
      initializer: [...graph.initializers.map((v) => tensorToProto(v.const!, v.name)), ...extra],
      input: graph.inputs.map((v) => valueInfo(v.name, v.type)),
      output: graph.outputs.map((v) => valueInfo(v.name, v.type)),
    },
  };
  return P.ModelProto.encode(model).finish();
}

const nameOf = (v: Value | null) => (v ? v.name : '');

/** A float32 scalar initializer holding `v`; returns its name. */
function scalarConst(v: number, fresh: (b: string) => string, extra: onnx.onnx.ITensorProto[]): string {
  const name = fresh('scale');
  extra.push(tensorToProto(Tensor.scalar('float32', v), name));
  return name;
}

function unfuse(n: Node, fresh: (b: string) => string, extra: onnx.onnx.ITensorProto[]): onnx.onnx.INodeProto[] {
  const a = fusedAttrs(n.attrs);
  const out: onnx.onnx.INodeProto[] = [];
  const final = n.outputs[0].name;
  const steps = a.epilogue;
  let cur = steps.length ? fresh(`${n.name}_${a.base.toLowerCase()}`) : final;
  out.push(nodeProto(a.base, n.name, n.inputs.slice(0, a.base_inputs).map(nameOf), [cur], a.base_attrs as Record<string, AttrValue>));
  steps.forEach((s, i) => {
    const dst = i === steps.length - 1 ? final : fresh(`${n.name}_ep${i}`);
    const nm = `${n.name}_ep${i}`;
    const operand = (st: { kind: OperandStepKind; input: number }): void => { out.push(nodeProto(STEP_KINDS[st.kind].onnx, nm, [cur, nameOf(n.inputs[st.input])], [dst], {})); };
    onStep<void>(s, {
      add: operand,
      mul: operand,
      act: (st) => {
        const act = ACTIVATIONS[st.name];
        if (!act) throw lcError('LC018', [`activation ${st.name}`], { node: n.name, op: 'Fused' });
        if (act.name === 'Clip') {
          const lo = fresh(`${nm}_min`), hi = fresh(`${nm}_max`);
          extra.push(tensorToProto(Tensor.scalar('float32', st.params.min ?? act.params.min), lo), tensorToProto(Tensor.scalar('float32', st.params.max ?? act.params.max), hi));
          out.push(nodeProto('Clip', nm, [cur, lo, hi], [dst], {}));
        } else {
          out.push(nodeProto(act.name, nm, [cur], [dst], { ...act.params, ...st.params }));
        }
      },
      gelu: (st) => { out.push(...geluNodes(cur, dst, n.outputs[0]!.type.dtype, st.approximate, nm, fresh, extra)); },
      layernorm: (st) => {
        const ins = [cur, nameOf(n.inputs[st.scale]), ...(st.bias === null ? [] : [nameOf(n.inputs[st.bias])])];
        out.push(nodeProto('LayerNormalization', nm, ins, [dst], { axis: -1, epsilon: st.epsilon }));
      },
    });
    cur = dst;
  });
  return out;
}

/** Gelu is opset 20: at opset 18 it is written as its definition, 0.5 x (1 + erf(x / sqrt 2)) or the tanh form
 *  0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). Also a fused epilogue's gelu step. */
function geluAsOpset18(n: Node, fresh: (b: string) => string, extra: onnx.onnx.ITensorProto[]): onnx.onnx.INodeProto[] {
  return geluNodes(nameOf(n.inputs[0]), n.outputs[0]!.name, n.inputs[0]!.type.dtype, String(n.attrs.approximate ?? 'none'), n.name, fresh, extra);
}

function geluNodes(x: string, y: string, dtype: DType, approximate: string, base: string, fresh: (b: string) => string, extra: onnx.onnx.ITensorProto[]): onnx.onnx.INodeProto[] {
  const out: onnx.onnx.INodeProto[] = [];
  const k = (v: number) => { const name = fresh(`${base}_c`); extra.push(tensorToProto(Tensor.scalar(dtype, v), name)); return name; };
  const emit = (op: string, ins: string[], last = false) => { const o = last ? y : fresh(`${base}_t`); out.push(nodeProto(op, fresh(`${base}_${op.toLowerCase()}`), ins, [o], {})); return o; };
  let inner: string;
  if (approximate === 'tanh') {
    const cube = emit('Mul', [emit('Mul', [x, x]), x]);
    inner = emit('Tanh', [emit('Mul', [emit('Add', [x, emit('Mul', [cube, k(0.044715)])]), k(Math.sqrt(2 / Math.PI))])]);
  } else inner = emit('Erf', [emit('Mul', [x, k(Math.SQRT1_2)])]);
  emit('Mul', [emit('Mul', [x, emit('Add', [inner, k(1)])]), k(0.5)], true);
  return out;
}

/**
 * GroupNormalization-21 (per-channel scale and bias) has no opset-18 form: GroupNormalization-18 scales per
 * group. It is written as PyTorch's exporter writes GroupNorm: InstanceNormalization of x reshaped to
 * [N, G, -1] (unit scale, zero bias), reshaped back, then x scale[c] + bias[c].
 */
function groupNormAsOpset18(n: Node, fresh: (b: string) => string, extra: onnx.onnx.ITensorProto[]): onnx.onnx.INodeProto[] {
  const [x, scale, bias] = n.inputs.map(nameOf), rank = n.inputs[0]!.type.shape!.length, dtype = n.inputs[0]!.type.dtype;
  const G = Number(n.attrs.num_groups), out: onnx.onnx.INodeProto[] = [];
  const k = (t: Tensor) => { const name = fresh(`${n.name}_c`); extra.push(tensorToProto(t, name)); return name; };
  const emit = (op: string, ins: string[], attrs: Record<string, AttrValue> = {}, last = false) => {
    const o = last ? n.outputs[0]!.name : fresh(`${n.name}_t`);
    out.push(nodeProto(op, fresh(`${n.name}_${op.toLowerCase()}`), ins, [o], attrs));
    return o;
  };
  const grouped = emit('Reshape', [x, k(Tensor.fromArray('int64', [3], [0, G, -1]))]);
  const unit = (v: number) => k(Tensor.fromArray(dtype, [G], new Array(G).fill(v)));
  const normed = emit('InstanceNormalization', [grouped, unit(1), unit(0)], { epsilon: Number(n.attrs.epsilon ?? 1e-5) });
  const back = emit('Reshape', [normed, emit('Shape', [x])]);
  const perChannel = k(Tensor.fromArray('int64', [rank - 2], Array.from({ length: rank - 2 }, (_, i) => i + 1)));
  emit('Add', [emit('Mul', [back, emit('Unsqueeze', [scale, perChannel])]), emit('Unsqueeze', [bias, perChannel])], {}, true);
  return out;
}

/** The node's attributes as opset 18 requires them: an equal Split must state num_outputs there. */
function opset18Attrs(n: Node): Record<string, AttrValue> {
  if (!n.domain && n.op === 'Split' && !n.inputs[1] && n.attrs.num_outputs === undefined) return { ...n.attrs, num_outputs: n.outputs.length };
  return n.attrs;
}

function nodeProto(op: string, name: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue>): onnx.onnx.INodeProto {
  const specs = findOp(op)?.attrs ?? {};
  const attribute = Object.entries(attrs).map(([k, v]) => attrProto(op, k, v, specs[k]?.type, name));
  while (inputs.length && inputs[inputs.length - 1] === '') inputs.pop();
  return { opType: op, name, input: inputs, output: outputs, attribute };
}

function attrProto(op: string, name: string, v: AttrValue, type: string | undefined, node: string): onnx.onnx.IAttributeProto {
  const t = type ?? (typeof v === 'string' ? 'string'
    : Array.isArray(v) ? (v.every((x) => Number.isInteger(x)) ? 'ints' : 'floats')
      : typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : v instanceof Tensor ? 'tensor' : 'json');
  switch (t) {
    case 'int': return { name, type: A.INT, i: v as number };
    case 'float': return { name, type: A.FLOAT, f: v as number };
    case 'string': return { name, type: A.STRING, s: new TextEncoder().encode(v as string) };
    case 'ints': return { name, type: A.INTS, ints: v as number[] };
    case 'floats': return { name, type: A.FLOATS, floats: v as number[] };
    case 'strings': return { name, type: A.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    case 'tensor': return { name, type: A.TENSOR, t: tensorToProto(v as Tensor, '') };
    default: throw lcError('LC018', [`attribute ${name} of ${op} (type ${t})`], { node, op });
  }
}

function valueInfo(name: string, t: TensorType): onnx.onnx.IValueInfoProto {
  const shape = t.shape ? { dim: t.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined;
  return { name, type: { tensorType: { elemType: dtypeToOnnx(t.dtype), shape } } };
}
