// `ai.layerc::Fused`: a producer op (Conv, ConvTranspose, Gemm, MatMul) followed by an epilogue applied
// while its output is still in registers. Inputs are the base op's inputs, then the epilogue's operands.
// The epilogue contract (shared by the JS and WGSL emitters): one running `value` per output element;
//   { kind: 'add', input: k }   value += inputs[k]  (bias, residual; broadcast to the output shape)
//   { kind: 'mul', input: k }   value *= inputs[k]  (an unfolded per-channel scale)
//   { kind: 'act', name, params } value = ACTIVATIONS[name](value)
// Export (src/export/onnx.ts) writes a Fused node back as the standard ops it stands for.
import { Node, type JsonValue } from '../ir/graph.ts';
import { defineOp, findOp, resolveAttrs, type InferContext } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';
import { ACTIVATIONS, type ActivationParams } from './activations.ts';
import { broadcastBinary, broadcastShapes } from './util.ts';
import { lcError } from '../diagnostics.ts';

export type EpilogueStep =
  | { kind: 'add'; input: number }
  | { kind: 'mul'; input: number }
  | { kind: 'act'; name: string; params: ActivationParams };

export const FUSABLE_BASES = ['Conv', 'ConvTranspose', 'Gemm', 'MatMul'] as const;

export interface FusedAttrs {
  base: string;
  base_attrs: Record<string, JsonValue>;
  base_inputs: number;
  epilogue: EpilogueStep[];
}

export function fusedAttrs(attrs: Record<string, unknown>): FusedAttrs {
  return attrs as unknown as FusedAttrs;
}

/** A stand-in node for the base op so its own shape rule and reference run unchanged. */
export function baseNode(node: Node): Node {
  const a = fusedAttrs(node.attrs);
  const n = new Node(node.name, a.base, '', { ...(a.base_attrs as Record<string, never>) });
  n.inputs = node.inputs.slice(0, a.base_inputs);
  n.outputs = node.outputs;
  n.span = node.span;
  return n;
}

function checkEpilogue(a: FusedAttrs, nInputs: number): void {
  if (!(FUSABLE_BASES as readonly string[]).includes(a.base)) throw lcError('LC030', ['base', `cannot fuse into ${a.base}`]);
  if (!Array.isArray(a.epilogue)) throw lcError('LC030', ['epilogue', 'must be a list of steps']);
  for (const s of a.epilogue) {
    if (s.kind === 'act') {
      if (!ACTIVATIONS[s.name]) throw lcError('LC030', ['epilogue', `unknown activation ${s.name}`]);
    } else if (s.kind === 'add' || s.kind === 'mul') {
      if (!(s.input >= a.base_inputs && s.input < nInputs)) throw lcError('LC030', ['epilogue', `operand index ${s.input} out of range`]);
    } else throw lcError('LC030', ['epilogue', `unknown step ${JSON.stringify(s)}`]);
  }
}

defineOp({
  name: 'Fused',
  domain: 'ai.layerc',
  summary: 'Conv/ConvTranspose/Gemm/MatMul with a fused epilogue (bias, residual add, scale, activations)',
  attrs: {
    base: { type: 'string', required: true },
    base_attrs: { type: 'json', default: {} },
    base_inputs: { type: 'int', required: true },
    epilogue: { type: 'json', default: [] },
  },
  inputs: [1, Infinity],
  outputs: [1, 1],
  inferType(ctx: InferContext) {
    const a = fusedAttrs(ctx.attrs);
    checkEpilogue(a, ctx.node.inputs.length);
    const base = baseNode(ctx.node);
    const def = findOp(a.base)!;
    const [out] = def.inferType({ ...ctx, node: base, attrs: resolveAttrs(base, def), inputs: ctx.inputs.slice(0, a.base_inputs) });
    for (const s of a.epilogue) {
      if (s.kind === 'act') continue;
      const t = ctx.inputs[s.input];
      if (!t || !out.shape || !t.shape) continue;
      const b = broadcastShapes(out.shape, t.shape);
      if (!b || b.length !== out.shape.length || b.some((d, i) => d !== out.shape![i])) {
        ctx.fail('LC032', [`epilogue operand [${t.shape.join(', ')}] does not broadcast to the output [${out.shape.join(', ')}]`]);
      }
    }
    return [out];
  },
  evalRef(inputs, ctx) {
    const a = fusedAttrs(ctx.attrs);
    const base = baseNode(ctx.node);
    const def = findOp(a.base)!;
    let [value] = def.evalRef(inputs.slice(0, a.base_inputs), { ...ctx, node: base, attrs: resolveAttrs(base, def) });
    for (const s of a.epilogue) value = applyStep(value, s, inputs);
    return [value];
  },
});

export function applyStep(value: Tensor, s: EpilogueStep, inputs: (Tensor | null)[]): Tensor {
  if (s.kind === 'add') return broadcastBinary(value, inputs[s.input]!, (x, y) => x + y);
  if (s.kind === 'mul') return broadcastBinary(value, inputs[s.input]!, (x, y) => x * y);
  const act = ACTIVATIONS[s.name];
  const out = Tensor.zeros(value.dtype, value.shape);
  for (let i = 0; i < out.size; i++) out.data[i] = act.ref(value.data[i], s.params);
  return out;
}
