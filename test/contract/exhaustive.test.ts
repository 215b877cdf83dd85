// The step-kind dispatch of the fused-node contract is exhaustive at compile time (src/ops/fused-contract.ts):
// a StepHandlers record or an operand-kind table without one of the kinds does not type-check (the lines
// marked ts-expect-error below fail `tsc --noEmit`, which `npm test` runs, if that ever stops being true),
// and at run time onStep dispatches each kind to its own handler while assertNever refuses an unknown one.
import { describe, expect, it } from 'vitest';
import { STEP_KINDS, assertNever, onStep, type EpilogueStep, type StepHandlers } from '../../src/ops/fused-contract.ts';

const label: StepHandlers<string> = { add: (s) => `add ${s.input}`, mul: (s) => `mul ${s.input}`, act: (s) => `act ${s.name}`, gelu: (s) => `gelu ${s.approximate}`,
  layernorm: (s) => `layernorm ${s.scale} ${s.bias}` };

// @ts-expect-error a handler record without 'mul' is a type error
const missingMul: StepHandlers<string> = { add: () => '', act: () => '', gelu: () => '', layernorm: () => '' };
// @ts-expect-error a handler record without 'gelu' is a type error
const missingGelu: StepHandlers<string> = { add: () => '', mul: () => '', act: () => '', layernorm: () => '' };
// @ts-expect-error a handler record without the row-wise 'layernorm' is a type error
const missingLayerNorm: StepHandlers<string> = { add: () => '', mul: () => '', act: () => '', gelu: () => '' };
void missingLayerNorm;
// @ts-expect-error a step table without 'mul' is a type error
const missingRow: typeof STEP_KINDS = { add: STEP_KINDS.add };
void missingMul; void missingGelu; void missingRow;

describe('fused-node contract: step kinds', () => {
  it('onStep sends each kind to its own handler', () => {
    const steps: EpilogueStep[] = [{ kind: 'add', input: 2 }, { kind: 'mul', input: 3 }, { kind: 'act', name: 'Relu', params: {} }, { kind: 'gelu', approximate: 'tanh' },
      { kind: 'layernorm', scale: 4, bias: null, epsilon: 1e-5 }];
    expect(steps.map((s) => onStep(s, label))).toEqual(['add 2', 'mul 3', 'act Relu', 'gelu tanh', 'layernorm 4 null']);
  });

  it('STEP_KINDS rows carry the reference semantics, the ONNX op and the label', () => {
    expect(STEP_KINDS.add.ref(2, 3)).toBe(5);
    expect(STEP_KINDS.mul.ref(2, 3)).toBe(6);
    expect([STEP_KINDS.add.onnx, STEP_KINDS.mul.onnx]).toEqual(['Add', 'Mul']);
  });

  it('assertNever refuses a value its switch did not expect', () => {
    expect(() => assertNever({ kind: 'sub' } as never, 'epilogue step')).toThrow(/unhandled epilogue step: \{"kind":"sub"\}/);
  });
});
