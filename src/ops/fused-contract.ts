// The fused-node contract (`ai.layerc::Fused`), owned here and read by every consumer: the reference op
// (./fused.ts), the fusion pass (passes/fuse-epilogue.ts), the JS/wasm and WGSL epilogue emitters, the ONNX
// export and the picture (src/cli/viz.ts).
// A Fused node is a base op (Conv, ConvTranspose, Gemm, MatMul) whose inputs come first, then the operands of
// its epilogue: one running value per output element, steps applied in order. The base's own optional input
// (Conv/ConvTranspose B, Gemm C) is NOT an epilogue step: its broadcast is the base op's (a Conv bias is one
// value per output channel whatever its rank; Gemm C broadcasts numpy-style to [M, N] and is scaled by beta),
// while an epilogue operand broadcasts numpy-style to the output. Backends apply the bias as a step of their
// own, and must take its broadcast from BASE_OPS — never guess it from an input index: a bias-free base puts
// its first epilogue operand at that index (a residual read as a per-channel bias was issue #13).
import type { Node } from '../ir/graph.ts';
import type { ActivationParams } from './activations.ts';

/** One epilogue step as stored in the node's `epilogue` attribute; operands are node input indices. */
export type EpilogueStep =
  | { kind: 'add'; input: number }
  | { kind: 'mul'; input: number }
  | { kind: 'act'; name: string; params: ActivationParams };

export type BaseOp = 'Conv' | 'ConvTranspose' | 'Gemm' | 'MatMul';

export interface BaseOpDecl {
  /** The base op's optional input added after the product, or null (MatMul has none). */
  bias: {
    input: number;
    /** 'channel': one value per output channel (axis 1); 'numpy': broadcast to the output like an Add. */
    broadcast: 'channel' | 'numpy';
    /** Factor applied to the bias (Gemm's beta). */
    scale(attrs: Record<string, unknown>): number;
  } | null;
}

export const BASE_OPS: Record<BaseOp, BaseOpDecl> = {
  Conv: { bias: { input: 2, broadcast: 'channel', scale: () => 1 } },
  ConvTranspose: { bias: { input: 2, broadcast: 'channel', scale: () => 1 } },
  Gemm: { bias: { input: 2, broadcast: 'numpy', scale: (a) => Number(a.beta ?? 1) } },
  MatMul: { bias: null },
};

export const isBaseOp = (op: string): op is BaseOp => Object.hasOwn(BASE_OPS, op);

/** A base op or Fused node seen the same way: base, its attributes, its bias (when present), the epilogue. */
export interface FusedView {
  base: BaseOp;
  attrs: Record<string, unknown>;
  /** Number of node inputs that belong to the base op. */
  baseInputs: number;
  /** The present bias: its input index, broadcast and scale (from BASE_OPS). */
  bias: { input: number; broadcast: 'channel' | 'numpy'; scale: number } | null;
  epilogue: EpilogueStep[];
}

/** The view of a plain base-op node (no epilogue) or an `ai.layerc::Fused` node; null for anything else. */
export function fusedView(node: Node): FusedView | null {
  let base: string, attrs: Record<string, unknown>, baseInputs: number, epilogue: EpilogueStep[];
  if (node.domain === 'ai.layerc' && node.op === 'Fused') {
    const a = node.attrs as Record<string, unknown>;
    base = String(a.base);
    attrs = (a.base_attrs ?? {}) as Record<string, unknown>;
    baseInputs = Number(a.base_inputs);
    epilogue = (a.epilogue ?? []) as EpilogueStep[];
  } else if (!node.domain) {
    base = node.op; attrs = node.attrs as Record<string, unknown>; baseInputs = node.inputs.length; epilogue = [];
  } else return null;
  if (!isBaseOp(base)) return null;
  const decl = BASE_OPS[base].bias;
  const present = decl && decl.input < baseInputs && node.inputs[decl.input];
  const bias = present ? { input: decl.input, broadcast: decl.broadcast, scale: decl.scale(attrs) } : null;
  return { base, attrs, baseInputs, bias, epilogue };
}
