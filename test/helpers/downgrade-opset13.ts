// What `torch.onnx.export(model, ..., opset_version=13)` writes for a transformer, made from an opset-17
// export without torch (there is none on this machine). torch (1.13, torch/onnx/symbolic_opset9.py) has no
// LayerNormalization below opset 17: `native_layer_norm` writes
//   mean = ReduceMean(x, axes=[-k..-1], keepdims=1); d = Sub(x, mean); var = ReduceMean(Pow(d, 2.0), axes);
//   y = Div(d, Sqrt(Add(var, eps))); y = Mul(y, weight); y = Add(y, bias)
// (the axes an attribute at opset 13, an input from opset 18), and `gelu` writes, at every opset below 20,
//   none:  Mul(Mul(x, Add(Erf(Div(x, sqrt 2)), 1)), 0.5)
//   tanh:  Mul(0.5, Mul(x, Add(1, Tanh(Mul(sqrt(2/pi), Add(x, Mul(0.044715, Mul(x, Mul(x, x)))))))))
// (operand order as torch's `mul`/`add` helpers write them; scalars are 0-d float Constant nodes).
// downgradeToOpset13 rewrites every LayerNormalization that way, drops what opset 13 does not know
// (Reshape's allowzero=0), and with { gelu: 'tanh' } turns each exact (Erf) GELU into the tanh form (a
// different function: compare such a model with itself, not with the fixture's expected outputs).
// Command line: npx tsx test/helpers/downgrade-opset13.ts IN.onnx OUT.onnx [--gelu tanh]
import onnx from 'onnx-proto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type NodeProto = onnx.onnx.INodeProto;
const P = onnx.onnx;
const A = P.AttributeProto.AttributeType;

export interface DowngradeOptions { gelu?: 'erf' | 'tanh' }

/** Emits torch-style nodes with fresh names; scalars become 0-d float Constant nodes as torch writes them. */
export class Emitter {
  readonly nodes: NodeProto[] = [];
  private k = 0;
  constructor(private readonly prefix: string) {}
  private fresh(what: string): string { return `${this.prefix}/${what}_${this.k++}`; }
  scalar(v: number): string {
    const out = `${this.fresh('Constant')}_output_0`;
    const t = { dims: [], dataType: P.TensorProto.DataType.FLOAT, rawData: new Uint8Array(new Float32Array([v]).buffer) };
    this.nodes.push({ opType: 'Constant', name: this.fresh('Constant'), input: [], output: [out], attribute: [{ name: 'value', type: A.TENSOR, t }] });
    return out;
  }
  op(opType: string, input: string[], out?: string, attribute: onnx.onnx.IAttributeProto[] = []): string {
    const name = this.fresh(opType);
    const o = out ?? `${name}_output_0`;
    this.nodes.push({ opType, name, input, output: [o], attribute });
    return o;
  }
}

const intsAttr = (name: string, ints: number[]) => ({ name, type: A.INTS, ints });
const intAttr = (name: string, i: number) => ({ name, type: A.INT, i });

/** torch's opset-9..16 layer_norm over the last `k` axes; `out` names the final value. */
export function torchLayerNorm(e: Emitter, x: string, weight: string | null, bias: string | null, eps: number, k: number, out: string): void {
  const axes = [intsAttr('axes', Array.from({ length: k }, (_, i) => i - k)), intAttr('keepdims', 1)];
  const mean = e.op('ReduceMean', [x], undefined, axes);
  const d = e.op('Sub', [x, mean]);
  const variance = e.op('ReduceMean', [e.op('Pow', [d, e.scalar(2)])], undefined, axes);
  const last = !weight && !bias;
  let y = e.op('Div', [d, e.op('Sqrt', [e.op('Add', [variance, e.scalar(eps)])])], last ? out : undefined);
  if (weight) y = e.op('Mul', [y, weight], bias ? undefined : out);
  if (bias) e.op('Add', [y, bias], out);
}

/** torch's gelu(approximate='none') below opset 20. */
export function torchGeluErf(e: Emitter, x: string, out: string): void {
  const erf = e.op('Erf', [e.op('Div', [x, e.scalar(Math.SQRT2)])]);
  e.op('Mul', [e.op('Mul', [x, e.op('Add', [erf, e.scalar(1)])]), e.scalar(0.5)], out);
}

/** torch's gelu(approximate='tanh') below opset 20. */
export function torchGeluTanh(e: Emitter, x: string, out: string): void {
  const cube = e.op('Mul', [x, e.op('Mul', [x, x])]);
  const inner = e.op('Mul', [e.scalar(Math.sqrt(2 / Math.PI)), e.op('Add', [x, e.op('Mul', [e.scalar(0.044715), cube])])]);
  e.op('Mul', [e.scalar(0.5), e.op('Mul', [x, e.op('Add', [e.scalar(1), e.op('Tanh', [inner])])])], out);
}

/** The exact GELU chains Div(x, c) -> Erf -> Add -> Mul(x, ·) -> Mul (as torch writes them): [x, out, nodes]. */
function erfGelus(nodes: NodeProto[]): [string, string, NodeProto[]][] {
  const producer = new Map<string, NodeProto>(), users = new Map<string, NodeProto[]>();
  for (const n of nodes) {
    for (const o of n.output ?? []) producer.set(o, n);
    for (const i of n.input ?? []) users.set(i, [...(users.get(i) ?? []), n]);
  }
  const only = (v: string) => { const u = users.get(v) ?? []; return u.length === 1 ? u[0]! : null; };
  const found: [string, string, NodeProto[]][] = [];
  for (const erf of nodes.filter((n) => n.opType === 'Erf')) {
    const div = producer.get(erf.input![0]!);
    const add = only(erf.output![0]!), m1 = add && only(add.output![0]!), m2 = m1 && only(m1.output![0]!);
    if (div?.opType !== 'Div' || add?.opType !== 'Add' || m1?.opType !== 'Mul' || m2?.opType !== 'Mul') continue;
    const x = div.input![0]!;
    if (!m1.input!.includes(x)) continue;
    found.push([x, m2.output![0]!, [div, erf, add, m1, m2]]);
  }
  return found;
}

/** Drops Constant nodes nothing reads any more (what the replaced chains used). */
function dropDeadConstants(nodes: NodeProto[], outputs: Set<string>): NodeProto[] {
  const read = new Set([...nodes.flatMap((n) => n.input ?? []), ...outputs]);
  return nodes.filter((n) => n.opType !== 'Constant' || (n.output ?? []).some((o) => read.has(o)));
}

export function downgradeToOpset13(bytes: Uint8Array, opts: DowngradeOptions = {}): Uint8Array {
  const m = P.ModelProto.decode(bytes);
  const g = m.graph!;
  const rank = new Map<string, number>();
  for (const v of [...(g.input ?? []), ...(g.valueInfo ?? []), ...(g.output ?? [])]) {
    const dims = v.type?.tensorType?.shape?.dim;
    if (dims) rank.set(v.name!, dims.length);
  }
  const replaced = new Map<NodeProto, NodeProto[]>();
  if (opts.gelu === 'tanh') {
    for (const [x, out, chain] of erfGelus(g.node ?? [])) {
      const e = new Emitter(chain[0]!.name!.replace(/\/[^/]*$/, '') + '/gelu_tanh');
      torchGeluTanh(e, x, out);
      chain.forEach((n, i) => replaced.set(n, i === chain.length - 1 ? e.nodes : []));
    }
  }
  const nodes: NodeProto[] = [];
  for (const n of g.node ?? []) {
    const r = replaced.get(n);
    if (r) { nodes.push(...r); continue; }
    if (n.opType === 'LayerNormalization') {
      const attr = (k: string) => n.attribute?.find((a) => a.name === k);
      const axis = Number(attr('axis')?.i ?? -1), eps = attr('epsilon')?.f ?? 1e-5;
      const r = rank.get(n.input![0]!);
      // The normalized axes [axis, rank): torch writes them as the negative suffix [-k .. -1].
      const k = axis < 0 ? -axis : r !== undefined ? r - axis : NaN;
      if (!Number.isInteger(k) || k < 1) throw new Error(`${n.name}: cannot tell how many trailing axes axis=${axis} normalizes`);
      const e = new Emitter(n.name!.replace(/\/LayerNormalization$/, ''));
      torchLayerNorm(e, n.input![0]!, n.input![1] || null, n.input![2] || null, eps, k, n.output![0]!);
      nodes.push(...e.nodes);
      continue;
    }
    if (n.opType === 'Reshape') n.attribute = (n.attribute ?? []).filter((a) => !(a.name === 'allowzero' && Number(a.i ?? 0) === 0));
    nodes.push(n);
  }
  g.node = dropDeadConstants(nodes, new Set((g.output ?? []).map((o) => o.name!)));
  m.opsetImport = [{ domain: '', version: 13 }];
  return P.ModelProto.encode(m).finish();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [inp, out, flag, value] = process.argv.slice(2);
  if (!inp || !out) throw new Error('usage: npx tsx test/helpers/downgrade-opset13.ts IN.onnx OUT.onnx [--gelu tanh]');
  writeFileSync(out, downgradeToOpset13(readFileSync(inp), flag === '--gelu' ? { gelu: value as 'erf' | 'tanh' } : {}));
}
