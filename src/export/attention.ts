// ai.layerc::Attention (src/ops/attention.ts) written back as the standard ops it stands for, so any ONNX
// runtime runs what `layerc optimize` wrote: Transpose(K, last two axes) -> MatMul(Q, .) -> Mul(scale) ->
// Add(mask) -> Softmax(axis -1) -> MatMul(., V), with a Transpose for each layout perm (K's merged into its K^T
// Transpose; the output's last). The scale becomes a float32 scalar initializer (Mul is left
// out when it is 1); the result is what the fused node computes up to float32 rounding of each step.
import type onnx from 'onnx-proto';
import type { AttrValue, Node, Value } from '../ir/graph.ts';
import { layoutsOf } from '../ops/attention.ts';

type NodeProto = onnx.onnx.INodeProto;
export type MakeNode = (op: string, name: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue>) => NodeProto;

export function attentionAsOnnx(n: Node, fresh: (base: string) => string, scalar: (v: number) => string, node: MakeNode): NodeProto[] {
  const [q, k, v, mask] = n.inputs as (Value | null)[];
  const rank = k!.type.shape!.length, lay = layoutsOf(n.attrs);
  const swap = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
  const kp = lay.k?.length ? lay.k : swap.map((_, i) => i);
  const out: NodeProto[] = [];
  const emit = (op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, last = false) => {
    const o = last ? n.outputs[0]!.name : fresh(`${n.name}_${op.toLowerCase()}`);
    out.push(node(op, fresh(`${n.name}_${op.toLowerCase()}`), inputs, [o], attrs));
    return o;
  };
  const laid = (x: Value, p: readonly number[] | undefined) => (p?.length ? emit('Transpose', [x.name], { perm: [...p] }) : x.name);
  let s = emit('MatMul', [laid(q!, lay.q), emit('Transpose', [k!.name], { perm: swap.map((a) => kp[a]!) })]);
  const scale = Number(n.attrs.scale ?? 1);
  if (scale !== 1) s = emit('Mul', [s, scalar(scale)]);
  if (mask) s = emit('Add', [s, mask.name]);
  const y = emit('MatMul', [emit('Softmax', [s], { axis: -1 }), laid(v!, lay.v)], {}, !lay.y?.length);
  if (lay.y?.length) emit('Transpose', [y], { perm: [...lay.y] }, true);
  return out;
}
