// `ai.layerc::Fused`: the op definition (shape rule, reference semantics) of the fused node whose contract
// is declared in ./fused-contract.ts: a base op (Conv, ConvTranspose, Gemm, MatMul) followed by an epilogue
// applied while its output is still in registers. Inputs are the base op's inputs, then the epilogue's
// operands; each step's reference semantics is its STEP_KINDS row (operands) or ACTIVATIONS row, gelu's and
// layernorm's (LayerNormalization over the last axis, computed as that op's reference computes it).
// Export (src/export/onnx.ts) writes a Fused node back as the standard ops it stands for.
import { Node, type JsonValue } from '../ir/graph.ts';
import { defineOp, findOp, resolveAttrs, type InferContext } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';
import { ACTIVATIONS } from './activations.ts';
import { broadcastBinary, broadcastShapes } from './util.ts';
import { lcError } from '../diagnostics.ts';
import { STEP_KINDS, isBaseOp, onStep, stepInputs, type EpilogueStep } from './fused-contract.ts';
import { rowStats } from './group-norms.ts';
import { gelu } from './math.ts';

export type { EpilogueStep } from './fused-contract.ts';

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
  if (!isBaseOp(a.base)) throw lcError('LC030', ['base', `cannot fuse into ${a.base}`]);
  if (!Array.isArray(a.epilogue)) throw lcError('LC030', ['epilogue', 'must be a list of steps']);
  const operand = (s: { input: number }) => {
    if (!(s.input >= a.base_inputs && s.input < nInputs)) throw lcError('LC030', ['epilogue', `operand index ${s.input} out of range`]);
  };
  if (a.epilogue.filter((s) => s?.kind === 'layernorm').length > 1) throw lcError('LC030', ['epilogue', 'at most one layernorm step']);
  for (const s of a.epilogue) {
    if (!s || !Object.hasOwn({ ...STEP_KINDS, act: 1, gelu: 1, layernorm: 1 }, s.kind)) throw lcError('LC030', ['epilogue', `unknown step ${JSON.stringify(s)}`]);
    onStep(s, {
      add: operand,
      mul: operand,
      act: (st) => { if (!ACTIVATIONS[st.name]) throw lcError('LC030', ['epilogue', `unknown activation ${st.name}`]); },
      gelu: (st) => { if (st.approximate !== 'none' && st.approximate !== 'tanh') throw lcError('LC030', ['epilogue', `gelu approximate must be "none" or "tanh"`]); },
      layernorm: (st) => {
        operand({ input: st.scale });
        if (st.bias !== null) operand({ input: st.bias });
        if (!(Number.isFinite(st.epsilon) && st.epsilon >= 0)) throw lcError('LC030', ['epilogue', 'layernorm epsilon must be a number >= 0']);
      },
    });
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
      for (const k of stepInputs(s)) {
        const t = ctx.inputs[k];
        if (!t || !out.shape || !t.shape) continue;
        if (s.kind === 'layernorm') {
          // One value per element of a row: its size is the output's last dimension.
          const n = out.shape.at(-1), size = t.shape.reduce<number | null>((p, d) => (p !== null && typeof d === 'number' ? p * d : null), 1);
          if (typeof n === 'number' && size !== null && size !== n) ctx.fail('LC032', [`layernorm scale/bias [${t.shape.join(', ')}] must hold one value per element of the last axis (${n})`]);
          continue;
        }
        const b = broadcastShapes(out.shape, t.shape);
        if (!b || b.length !== out.shape.length || b.some((d, i) => d !== out.shape![i])) {
          ctx.fail('LC032', [`epilogue operand [${t.shape.join(', ')}] does not broadcast to the output [${out.shape.join(', ')}]`]);
        }
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
  const operand = (st: { kind: keyof typeof STEP_KINDS; input: number }) => broadcastBinary(value, inputs[st.input]!, STEP_KINDS[st.kind].ref);
  return onStep(s, {
    add: operand,
    mul: operand,
    act: (st) => {
      const act = ACTIVATIONS[st.name]!;
      const out = Tensor.zeros(value.dtype, value.shape);
      for (let i = 0; i < out.size; i++) out.data[i] = act.ref(value.data[i], st.params);
      return out;
    },
    gelu: (st) => {
      const out = Tensor.zeros(value.dtype, value.shape);
      for (let i = 0; i < out.size; i++) out.data[i] = gelu(value.data[i], st.approximate);
      return out;
    },
    layernorm: (st) => layerNormRows(value, inputs[st.scale]!, st.bias === null ? null : inputs[st.bias]!, st.epsilon),
  });
}

/** LayerNormalization over the last axis, as the op's reference (statistics in float64, two passes). */
function layerNormRows(value: Tensor, scale: Tensor, bias: Tensor | null, eps: number): Tensor {
  const len = value.shape.at(-1) ?? 1, rows = len === 0 ? 0 : value.size / len;
  const { mean, invStd } = rowStats(value.data, rows, eps);
  const out = Tensor.zeros(value.dtype, value.shape);
  for (let r = 0; r < rows; r++) {
    for (let j = 0, k = r * len; j < len; j++, k++) out.data[k] = (value.data[k] - mean[r]) * invStd[r] * scale.data[j] + (bias ? bias.data[j] : 0);
  }
  return out;
}
