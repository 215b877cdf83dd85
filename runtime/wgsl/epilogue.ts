// The fused epilogue in WGSL, following the contract in src/ops/fused-contract.ts: one running `value`, steps in order.
// Activation math comes from the shared table (src/ops/activations.ts); parameters are baked as literals, so
// the pipeline cache (keyed by source) separates different parameter values.
// Operands bind after the kernel's own inputs as e0, e1, ...: a per-channel vector (a Conv/Gemm bias,
// indexed by the channel variable) or a tensor broadcast (numpy rules) to the output shape.
// The row-wise layernorm step cannot run per element inside a tiled kernel (a thread holds one element of a row):
// splitAtRow cuts the epilogue there, the base kernel runs the steps before it, and emitRowEpilogue's second
// dispatch (one thread per row of the finished output, in place) runs the layernorm and the steps after it.
import { ACTIVATIONS, floatLiteral } from '../../src/ops/activations.ts';
import { onStep, type EpilogueStep, type LayerNormStep, type OperandStepKind } from '../../src/ops/fused-contract.ts';
import { broadcastIndex, declareBindings, dispatchSize, mainStart, type Binding } from './shader.ts';

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

/**
 * The gelu step as one block statement on `value` (no module-level helper needed): erf by Abramowitz-Stegun
 * 7.1.26 (|error| < 1.5e-7), as the elementwise Gelu kernel; the tanh form clamps tanh's argument (see Tanh).
 */
const WGSL_GELU: Record<'none' | 'tanh', () => string> = {
  none: () => '{ let gx = value * 0.70710678118654752; let gt = 1.0 / (1.0 + 0.3275911 * abs(gx)); '
    + 'let gy = 1.0 - ((((1.061405429 * gt - 1.453152027) * gt + 1.421413741) * gt - 0.284496736) * gt + 0.254829592) * gt * exp(-gx * gx); '
    + 'value = 0.5 * value * (1.0 + select(gy, -gy, gx < 0.0)); }',
  tanh: () => 'value = 0.5 * value * (1.0 + tanh(clamp(0.79788456080286536 * (value + 0.044715 * value * value * value), -20.0, 20.0)));',
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
    gelu: (o) => WGSL_GELU[o.approximate](),
    layernorm: () => { throw new Error('WGSL epilogue: a layernorm step runs in emitRowEpilogue (splitAtRow)'); },
  })).join('\n');
}

/** The epilogue cut at its row-wise step: the steps before it, the step, the steps after it (null: none). */
export function splitAtRow(steps: readonly EpilogueStep[]): { before: EpilogueStep[]; norm: LayerNormStep; after: EpilogueStep[] } | null {
  const k = steps.findIndex((s) => s.kind === 'layernorm');
  return k < 0 ? null : { before: steps.slice(0, k), norm: steps[k] as LayerNormStep, after: steps.slice(k + 1) };
}

/**
 * The dispatch that finishes a row-wise epilogue in place on y ([rows, len], the last axis a row): per row the mean
 * and biased variance (two passes, as the LayerNormalization kernel), then value = (y - mean) * inv * g[i] (+ b[i])
 * and the `after` steps on it. Binds g, b (when present), the after-operands e0..., then y.
 */
export function emitRowEpilogue(rows: number, len: number, norm: LayerNormStep, after: readonly EpilogueStep[], ops: readonly Operand[], out: readonly number[]): { code: string; wg: [number, number] } {
  const bias = norm.bias !== null;
  const binds: Binding[] = [{ name: 'g', access: 'read' }, ...(bias ? [{ name: 'b', access: 'read' as const }] : []), ...operandBindings(ops), { name: 'y', access: 'read_write' }];
  const code = `${declareBindings(binds)}
${mainStart(rows)}  let base = gid * ${len}u;
  var sum = 0.0;
  for (var i = 0u; i < ${len}u + rt0; i++) { sum += y[base + i]; }
  let mean = sum / ${floatLiteral(len)};
  var sq = 0.0;
  for (var i = 0u; i < ${len}u + rt0; i++) { let d = y[base + i] - mean; sq += d * d; }
  let inv = 1.0 / sqrt(sq / ${floatLiteral(len)} + ${floatLiteral(norm.epsilon)});
  for (var i = 0u; i < ${len}u + rt0; i++) {
    var value = (y[base + i] - mean) * inv * g[i]${bias ? ' + b[i]' : ''};
${emitEpilogue(after, ops, 'base + i', 'i', out)}
    y[base + i] = value;
  }
}
`;
  return { code, wg: dispatchSize(rows) };
}
