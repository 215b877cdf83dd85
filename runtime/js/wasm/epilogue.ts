// The fused epilogue of every wasm kernel (packed GEMM, direct conv, depthwise), emitted in one place:
// the steps in order on one f32x4 accumulator while it is still in a register (src/ops/fused-contract.ts),
// activations from ./simd-act.ts. Operands differ only in where a kernel finds the vector for its
// accumulator, so each kernel passes one loader per operand layout (row, column, full, scalar), or null
// for a layout it cannot address; its factory declines such an epilogue (kernelTakes) before emitting.
// The row-wise layernorm step is not a SimdStep: a register holds 4 elements of a row, not the row, so
// splitEpilogue (../epilogue.ts) sends it and every step after it to the JS tail pass, run once rows are finished.
import { assertNever, type OperandStepKind } from '../../../src/ops/fused-contract.ts';
import type { Code } from './encode.ts';
import { simdActivation, type SimdPer, type SimdStep } from './simd-act.ts';

const SIMD_OP: { [K in OperandStepKind]: 'f32x4.add' | 'f32x4.mul' } = { add: 'f32x4.add', mul: 'f32x4.mul' };

/** Per layout: pushes the operand vector for this accumulator, given the operand's parameter slot. */
export type OperandLoaders = { [P in SimdPer]: ((slot: number) => void) | null };

/** Whether every operand step of `steps` has a layout in `layouts`. */
export function kernelTakes(steps: readonly SimdStep[], layouts: readonly SimdPer[]): boolean {
  return steps.every((s) => s.kind === 'act' || layouts.includes(s.per));
}

/** The number of operand parameters (one base address per operand step). */
export const operandParams = (steps: readonly SimdStep[]): number => steps.filter((s) => s.kind !== 'act').length;

/** Applies `steps` to the v128 local `acc` (`tmp` scratch, `zero` holds 0); operand slots count from `firstSlot`. */
export function emitSimdEpilogue(code: Code, steps: readonly SimdStep[], acc: number, tmp: number, zero: number, firstSlot: number, load: OperandLoaders): void {
  let slot = firstSlot;
  for (const st of steps) {
    switch (st.kind) {
      case 'act': simdActivation(code, st, acc, tmp, zero); break;
      case 'add':
      case 'mul': {
        const loader = load[st.per];
        if (!loader) throw new Error(`wasm epilogue: this kernel cannot address a ${st.per} operand (its factory should have declined)`);
        loader(slot++);
        code.set(tmp).get(acc).get(tmp).op(SIMD_OP[st.kind]).set(acc);
        break;
      }
      default: assertNever(st, 'epilogue step');
    }
  }
}
