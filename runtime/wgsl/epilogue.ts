// The fused epilogue in WGSL, following the contract in src/ops/fused-contract.ts: one running `value`, steps in order.
// Activation math comes from the shared table (src/ops/activations.ts); parameters are baked as literals, so
// the pipeline cache (keyed by source) separates different parameter values.
// Operands bind after the kernel's own inputs as e0, e1, ...: a per-channel vector (a Conv/Gemm bias,
// indexed by the channel variable) or a tensor broadcast (numpy rules) to the output shape.
import { ACTIVATIONS, floatLiteral } from '../../src/ops/activations.ts';
import { onStep, type EpilogueStep, type OperandStepKind } from '../../src/ops/fused-contract.ts';
import { broadcastIndex, type Binding } from './shader.ts';

export interface Operand {
  /** The node input this operand is (epilogue steps name inputs by index). */
  input: number;
  /** 'chan': one value per output channel; else the operand's shape, broadcast to the output. */
  index: 'chan' | number[];
  /** Constant factor applied to the operand (Gemm's beta). */
  scale?: number;
}

/** The WGSL statement of each operand step kind on the running `value`. */
const WGSL_STEP: { [K in OperandStepKind]: (operand: string) => string } = {
  add: (o) => `value += ${o};`,
  mul: (o) => `value *= ${o};`,
};

export function operandBindings(ops: readonly Operand[]): Binding[] {
  return ops.map((_, i) => ({ name: `e${i}`, access: 'read' as const }));
}

/** `flat`/`chan`: WGSL expressions for the output element's flat index and channel; `out`: output shape. */
export function emitEpilogue(steps: readonly EpilogueStep[], ops: readonly Operand[], flat: string, chan: string, out: readonly number[], indent = '    '): string {
  const operand = (k: number): string => {
    const i = ops.findIndex((o) => o.input === k);
    if (i < 0) throw new Error(`WGSL epilogue: input ${k} is not a bound operand`);
    const o = ops[i]!;
    const read = `e${i}[${o.index === 'chan' ? chan : broadcastIndex(flat, out, o.index)}]`;
    return o.scale === undefined || o.scale === 1 ? read : `${floatLiteral(o.scale)} * ${read}`;
  };
  return steps.map((st) => indent + onStep(st, {
    add: (o) => WGSL_STEP.add(operand(o.input)),
    mul: (o) => WGSL_STEP.mul(operand(o.input)),
    act: (o) => {
      const a = ACTIVATIONS[o.name];
      if (!a) throw new Error(`WGSL epilogue: unknown activation '${o.name}'`);
      const p = Object.fromEntries(Object.entries({ ...a.params, ...o.params }).map(([k, v]) => [k, floatLiteral(v)]));
      return `value = ${a.wgsl('value', 'f32', p)};`;
    },
  })).join('\n');
}
