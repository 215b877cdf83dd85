// The fused-node contract (`ai.layerc::Fused`), owned here and read by every consumer: the reference op
// (./fused.ts), the fusion pass (passes/fuse-epilogue.ts), the JS/wasm and WGSL epilogue emitters, the ONNX
// export and the picture (src/cli/viz.ts). It declares, as data:
//   BASE_OPS      the base ops and their optional bias input (Conv/ConvTranspose B, Gemm C; MatMul has none);
//   STEP_KINDS    the epilogue step kinds with their reference semantics, ONNX op and picture label;
//   OperandKind   how an epilogue operand broadcasts onto the output (classifyOperand);
//   FusionCapabilities  what a backend runs fused (bases, operand kinds per base, activations, the bases that
//                 take the row-wise layernorm step): each backend
//                 exports one as a plain object; the caller hands it to the fusion pass.
// A Fused node is a base op whose inputs come first, then the operands of its epilogue: one running value
// per output element, steps applied in order. The base's own optional input is NOT an epilogue step: its
// broadcast is the base op's (a Conv bias is one value per output channel whatever its rank; Gemm C
// broadcasts numpy-style to [M, N] and is scaled by beta), while an epilogue operand broadcasts numpy-style
// to the output. Backends apply the bias as a step of their own and take its broadcast from BASE_OPS, never
// from an input index: a bias-free base puts its first epilogue operand at that index (issue #13: a
// residual read as a per-channel bias).
// Every consumer handles the step kinds through a StepHandlers record (onStep), so adding a kind to
// EpilogueStep without handling it in a backend is a type error, not a silent `kind === 'add' ? add : mul`.
import type { Node } from '../ir/graph.ts';
import { ACTIVATIONS, type ActivationParams } from './activations.ts';

/** One epilogue step as stored in the node's `epilogue` attribute; operands are node input indices. */
export type EpilogueStep =
  | { kind: 'add'; input: number }
  | { kind: 'mul'; input: number }
  | { kind: 'act'; name: string; params: ActivationParams }
  // Gelu (opset 20) is its own kind: its parameter is a string (approximate), and erf needs more than a snippet.
  | { kind: 'gelu'; approximate: 'none' | 'tanh' }
  // LayerNormalization over the LAST axis (a row-wise step: every element of a row is needed before any is
  // written): (v - mean) / sqrt(var + epsilon) * scale[j] (+ bias[j]), mean and biased variance of the row,
  // j the position along the row; `scale`/`bias` are node inputs holding exactly one value per row element.
  // At most one per epilogue (a kernel finishes the row once: checked by the Fused op's shape rule).
  | LayerNormStep;

/** The row-wise step: ONNX LayerNormalization(axis = -1) of the running value (see EpilogueStep). */
export interface LayerNormStep { kind: 'layernorm'; scale: number; bias: number | null; epsilon: number }

/** The step kinds that take an operand (node input `input`, broadcast to the output). */
export type OperandStepKind = Exclude<EpilogueStep['kind'], 'act' | 'gelu' | 'layernorm'>;

/** The node inputs a step reads (its operand, or the layernorm's scale and bias), in order. */
export function stepInputs(step: EpilogueStep): number[] {
  return onStep<number[]>(step, {
    add: (s) => [s.input], mul: (s) => [s.input], act: () => [], gelu: () => [],
    layernorm: (s) => (s.bias === null ? [s.scale] : [s.scale, s.bias]),
  });
}

/** The fusion capability name of the gelu step (FusionCapabilities.activations lists it beside the table's). */
export const GELU_ACTIVATION = 'Gelu';

/** One handler per step kind, each typed with its own step: a missing kind is a compile error. */
export type StepHandlers<R> = { [K in EpilogueStep['kind']]: (step: Extract<EpilogueStep, { kind: K }>) => R };

/** Dispatches `step` to its kind's handler. */
export function onStep<R>(step: EpilogueStep, handlers: StepHandlers<R>): R {
  return (handlers[step.kind] as (s: EpilogueStep) => R)(step);
}

/** For the `default` of a switch that covers every case: a new case makes this call a type error. */
export function assertNever(x: never, what: string): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(x)}`);
}

/** Per operand step kind: the reference semantics, the standard ONNX op it stands for, its picture label. */
export const STEP_KINDS: { [K in OperandStepKind]: {
  ref(value: number, operand: number): number;
  onnx: string;
  label: string;
  /** Whether the fusion pass takes a computed operand (a residual) or only a constant (an unfolded scale). */
  computedOperand: boolean;
} } = {
  add: { ref: (x, y) => x + y, onnx: 'Add', label: '+', computedOperand: true },
  mul: { ref: (x, y) => x * y, onnx: 'Mul', label: '×', computedOperand: false },
};

/** The operand step kind an ONNX op fuses as (Add -> add, Mul -> mul), or null. */
export function operandStepOf(onnxOp: string): OperandStepKind | null {
  return (Object.keys(STEP_KINDS) as OperandStepKind[]).find((k) => STEP_KINDS[k].onnx === onnxOp) ?? null;
}

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

/**
 * How an operand broadcasts onto the output (numpy rules; missing leading axes count as 1):
 *   scalar   every axis 1;
 *   full     the output's shape;
 *   channel  varies along axis 1 only, output rank >= 3 (N, C, spatial...: a per-channel bias or scale);
 *   column   varies along the last axis only (a Gemm/MatMul bias over features);
 *   row      varies along axis 0 only of a rank-2 output ([M, 1] onto [M, N]).
 */
export type OperandKind = 'scalar' | 'full' | 'channel' | 'column' | 'row';
export const OPERAND_KINDS: readonly OperandKind[] = ['scalar', 'full', 'channel', 'column', 'row'];

/** The operand kind of shape `s` broadcast onto `out`; null when it does not broadcast without growing `out`. */
export function classifyOperand<D>(s: readonly D[], out: readonly D[]): OperandKind | null {
  if (s.length > out.length) return null;
  const a: D[] = [...new Array<D>(out.length - s.length).fill(1 as D), ...s];
  const only = (axis: number) => a.every((d, k) => (k === axis ? d === out[k] : d === 1));
  if (a.every((d) => d === 1)) return 'scalar';
  if (a.every((d, k) => d === out[k])) return 'full';
  if (out.length >= 3 && only(1)) return 'channel';
  if (only(out.length - 1)) return 'column';
  if (out.length === 2 && only(0)) return 'row';
  return null;
}

/** What a backend runs as one fused kernel; declared by each backend, handed to the fusion pass by its caller. */
export interface FusionCapabilities {
  /** Base ops with the operand kinds their epilogue takes. A base not listed is not fused. */
  bases: Partial<Record<BaseOp, readonly OperandKind[]>>;
  /** Activations the epilogue runs (names in src/ops/activations.ts, and GELU_ACTIVATION for the gelu step). */
  activations: readonly string[];
  /**
   * Bases whose kernel finishes each whole output row (the last axis) before its epilogue goes on, so they take
   * the row-wise `layernorm` step; a base not listed keeps a following LayerNormalization a node of its own.
   */
  rowwise: readonly BaseOp[];
}

/** What every backend runs: the fusion used when no backend is named (layerc optimize -O2, ONNX export). */
export const PORTABLE_FUSION: FusionCapabilities = {
  bases: {
    Conv: ['scalar', 'full', 'channel'],
    Gemm: ['scalar', 'full', 'column'],
    MatMul: ['scalar', 'full', 'column'],
  },
  activations: [...Object.keys(ACTIVATIONS), GELU_ACTIVATION],
  rowwise: ['Gemm', 'MatMul'],
};

/** Whether an operand of kind `kind` onto base `base`'s output fuses under `caps`. */
export function fusesOperand(caps: FusionCapabilities, base: BaseOp, kind: OperandKind): boolean {
  return !!caps.bases[base]?.includes(kind);
}
