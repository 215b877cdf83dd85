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
      // Row-wise: the tail pass runs after the kernel has finished every row; its rows are whole last-axis rows
      // only when the columns are exactly the last axis (a gemm; a conv's columns are a whole plane: decline).
      layernorm: (a) => { inTail = true; res.tail.push({ step: a }); return rowAxis === out.length - 2; },
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
 * indices given as JS expressions. Elementwise steps run in one loop over the row; a layernorm step (only where
 * the row is the output's last axis: splitEpilogue) first takes the row's mean and biased variance in float64,
 * two passes as the LayerNormalization kernel (./kernels/row-norms.ts), then starts the next loop from
 * (v - mean) * invStd * scale[c] (+ bias[c]).
 */
export function tailPassJs(tail: SplitEpilogue['tail'], o: { y: string; cols: number; channels: number; operand: (input: number) => string }): string {
  if (!tail.length) return '';
  // One loop per run of elementwise steps: `start` is v's first value, `stats` what the row needs before it.
  const loops: { start: string; body: string[]; stats?: string }[] = [{ start: `F[${o.y} + i]`, body: [] }];
  for (const { step, per } of tail) {
    const body = loops.at(-1)!.body;
    onStep<void>(step, {
      act: (st) => {
        const a = ACTIVATIONS[st.name]!;
        const p = Object.fromEntries(Object.entries({ ...a.params, ...st.params }).map(([k, v]) => [k, lit(v)]));
        body.push(`v = ${a.js('v', p)};`);
      },
      gelu: (st) => { body.push(`v = ${geluJsExpr('v', st.approximate)};`); },
      add: (st) => { body.push(JS_STEP.add(`F[${JS_OPERAND_AT[per!](o.operand(st.input))}]`)); },
      mul: (st) => { body.push(JS_STEP.mul(`F[${JS_OPERAND_AT[per!](o.operand(st.input))}]`)); },
      layernorm: (st) => {
        const bias = st.bias === null ? '' : ` + F[${o.operand(st.bias)} + c]`;
        loops.push({ start: `(F[${o.y} + i] - lnMean) * lnInv * F[${o.operand(st.scale)} + c]${bias}`, body: [],
          stats: `let lnSum = 0;
    for (let i = r * ${o.cols}, e = i + ${o.cols}; i < e; i++) lnSum += F[${o.y} + i];
    const lnMean = lnSum / ${o.cols};
    let lnSq = 0;
    for (let i = r * ${o.cols}, e = i + ${o.cols}; i < e; i++) { const d = F[${o.y} + i] - lnMean; lnSq += d * d; }
    const lnInv = 1 / Math.sqrt(lnSq / ${o.cols} + ${lit(st.epsilon)});` });
      },
    });
  }
  const loop = (l: typeof loops[number]) => `${l.stats ?? ''}
    for (let c = 0, i = r * ${o.cols}; c < ${o.cols}; c++, i++) {
      let v = ${l.start};
      ${l.body.join('\n      ')}
      F[${o.y} + i] = v;
    }`;
  // A loop with nothing to do (no step before the layernorm) is left out.
  return `for (let r = lo; r < hi; r++) {
    const ch = r % ${o.channels};
    ${loops.filter((l, k) => k > 0 || l.body.length).map(loop).join('\n    ')}
  }`;
}
