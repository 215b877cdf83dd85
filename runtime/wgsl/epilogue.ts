// The fused epilogue in WGSL, following src/ops/fused.ts's contract: one running `value`, steps in order.
// Activation math comes from the shared table (src/ops/activations.ts); parameters are baked as literals, so
// the pipeline cache (keyed by source) separates different parameter values.
import { ACTIVATIONS, floatLiteral } from '../../src/ops/activations.ts';
import type { EpilogueStep } from '../../src/ops/fused.ts';

/** `operand(k)` returns the WGSL expression reading the epilogue operand that is node input k. */
export function emitEpilogue(steps: readonly EpilogueStep[], operand: (k: number) => string, indent = '    '): string {
  return steps.map((st) => {
    if (st.kind === 'add') return `${indent}value += ${operand(st.input)};`;
    if (st.kind === 'mul') return `${indent}value *= ${operand(st.input)};`;
    const a = ACTIVATIONS[st.name];
    if (!a) throw new Error(`WGSL epilogue: unknown activation '${st.name}'`);
    const p = Object.fromEntries(Object.entries({ ...a.params, ...st.params }).map(([k, v]) => [k, floatLiteral(v)]));
    return `${indent}value = ${a.wgsl('value', 'f32', p)};`;
  }).join('\n');
}
