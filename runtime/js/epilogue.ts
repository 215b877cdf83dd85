// Fused epilogues for the GEMM-shaped kernels (contract: src/ops/fused-contract.ts; one running value per
// output element; add/mul operands, activations from src/ops/activations.ts). Each operand's kind (the
// contract's classifyOperand) is placed in the kernel's output viewed as [rows, cols]: per row (a conv
// channel), per column (a Gemm bias), the full output (a residual) or one scalar. The wasm kernel applies the
// leading steps it has SIMD forms for while the accumulators are in registers (./wasm/epilogue.ts); the rest
// (after the first activation without a SIMD form, or every step with simdEpilogue: false) runs as a JS tail
// pass generated from the activation table's `js` snippets.
import type { Node } from '../../src/ir/graph.ts';
import { classifyOperand as classifyShape, onStep, type EpilogueStep, type OperandKind, type OperandStepKind } from '../../src/ops/fused-contract.ts';
import { ACTIVATIONS } from '../../src/ops/activations.ts';
import { geluJsExpr } from '../../src/ops/js-expr.ts';
import { hasSimdActivation, type SimdPer, type SimdStep } from './wasm/simd-act.ts';
import { lit, staticShape } from './kernel.ts';

export type Per = SimdPer;

/** The JS statement of each operand step kind on the running value `v`. */
const JS_STEP: { [K in OperandStepKind]: (operand: string) => string } = {
  add: (o) => `v += ${o};`,
  mul: (o) => `v *= ${o};`,
};

/** Where the tail pass reads an operand of each layout, from its base index (`i`: flat index, `c`: column, `ch`: row's channel). */
const JS_OPERAND_AT: { [P in Per]: (base: string) => string } = {
  full: (b) => `${b} + i`,
  scalar: (b) => b,
  col: (b) => `${b} + c`,
  row: (b) => `${b} + ch`,
};

export interface Operand { input: number; per: Per }

/**
 * Where each operand kind (src/ops/fused-contract.ts classifyOperand) sits in a kernel's output viewed as
 * [rows, cols] with "row" axis `rowAxis` (conv: the channel axis 1, each row a channel plane; gemm: the axis
 * before the last) and the axes after it as columns; null: this layout cannot address it (the caller falls back).
 */
const LAYOUT_OF: { [K in OperandKind]: (rank: number, rowAxis: number) => Per | null } = {
  scalar: () => 'scalar',
  full: () => 'full',
  channel: (_rank, rowAxis) => (rowAxis === 1 ? 'row' : null),
  row: (_rank, rowAxis) => (rowAxis === 0 ? 'row' : null),
  column: (rank, rowAxis) => (rowAxis === rank - 2 ? 'col' : null),
};

/** How input `i` broadcasts onto an output of shape `out` whose row axis is `rowAxis` (see LAYOUT_OF). */
export function classifyOperand(node: Node, i: number, out: number[], rowAxis: number): Per | null {
  const kind = classifyShape(staticShape(node.inputs[i]), out);
  return kind && LAYOUT_OF[kind](out.length, rowAxis);
}

export interface SplitEpilogue {
  simd: SimdStep[];
  /** Operand input index per SIMD operand step, in order. */
  simdOperands: number[];
  /** Steps left for the JS pass (operands keep their input index). */
  tail: { step: EpilogueStep; per?: Per }[];
}

/** Classifies every operand (`declared`: the base bias, whose broadcast the contract fixes) and splits the
 *  steps at the first activation wasm has no form for. */
export function splitEpilogue(node: Node, steps: EpilogueStep[], out: number[], rowAxis: number, simd: boolean,
  declared: Record<number, Per> = {}): SplitEpilogue | null {
  const res: SplitEpilogue = { simd: [], simdOperands: [], tail: [] };
  let inTail = !simd;
  const operand = (st: { kind: OperandStepKind; input: number }): boolean => {
    const per = declared[st.input] ?? classifyOperand(node, st.input, out, rowAxis);
    if (!per) return false;
    if (inTail) res.tail.push({ step: st, per });
    else { res.simd.push({ kind: st.kind, per }); res.simdOperands.push(st.input); }
    return true;
  };
  for (const st of steps) {
    const ok = onStep(st, {
      act: (a) => {
        if (!ACTIVATIONS[a.name]) return false;
        if (!inTail && hasSimdActivation(a.name)) res.simd.push({ kind: 'act', name: a.name, params: a.params });
        else { inTail = true; res.tail.push({ step: a }); }
        return true;
      },
      gelu: (a) => { inTail = true; res.tail.push({ step: a }); return true; }, // no SIMD form: erf in the JS tail
      add: (o) => operand(o),
      mul: (o) => operand(o),
    });
    if (!ok) return null;
  }
  return res;
}

/** The SIMD steps that take an operand, in parameter order. */
export function operandSteps(steps: SimdStep[]): { kind: OperandStepKind; per: Per }[] {
  return steps.filter((s): s is { kind: OperandStepKind; per: Per } => s.kind !== 'act');
}

/**
 * JS for the tail pass over an output laid out as `rows` rows of `cols` (row r = rowBase + r, the row's
 * channel is (row % channels) for row operands), for rows [lo, hi). `yAt`/operand addresses are float
 * indices given as JS expressions.
 */
export function tailPassJs(tail: SplitEpilogue['tail'], o: { y: string; cols: number; channels: number; operand: (input: number) => string }): string {
  if (!tail.length) return '';
  const body: string[] = [];
  for (const { step, per } of tail) {
    body.push(onStep(step, {
      act: (st) => {
        const a = ACTIVATIONS[st.name]!;
        const p = Object.fromEntries(Object.entries({ ...a.params, ...st.params }).map(([k, v]) => [k, lit(v)]));
        return `v = ${a.js('v', p)};`;
      },
      gelu: (st) => `v = ${geluJsExpr('v', st.approximate)};`,
      add: (st) => JS_STEP.add(`F[${JS_OPERAND_AT[per!](o.operand(st.input))}]`),
      mul: (st) => JS_STEP.mul(`F[${JS_OPERAND_AT[per!](o.operand(st.input))}]`),
    }));
  }
  return `for (let r = lo; r < hi; r++) {
    const ch = r % ${o.channels};
    for (let c = 0, i = r * ${o.cols}; c < ${o.cols}; c++, i++) {
      let v = F[${o.y} + i];
      ${body.join('\n      ')}
      F[${o.y} + i] = v;
    }
  }`;
}
