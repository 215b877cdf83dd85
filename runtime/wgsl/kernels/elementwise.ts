// Elementwise kernels: the shared activation table's WGSL rows (params baked as literals for now; the
// pipeline cache is keyed by source) and broadcasting binary ops with strides baked into the source.
import { ACTIVATIONS, activationParams, floatLiteral } from '../../../src/ops/activations.ts';
import { stridesOf } from '../../../src/ir/tensor.ts';
import { broadcastStrides } from '../../../src/ops/util.ts';
import { declareBindings, dispatchSize, mainStart } from '../shader.ts';

export interface EmittedKernel { code: string; wg: [number, number] }

const BINARY: Record<string, (a: string, b: string) => string> = {
  Add: (a, b) => `${a} + ${b}`, Sub: (a, b) => `${a} - ${b}`, Mul: (a, b) => `${a} * ${b}`, Div: (a, b) => `${a} / ${b}`,
};

export function canEmitElementwise(op: string): boolean { return op in BINARY || op in ACTIVATIONS && op !== 'Clip'; }

export function emitUnary(op: string, attrs: Record<string, unknown>, total: number): EmittedKernel {
  const a = ACTIVATIONS[op]!;
  const p = Object.fromEntries(Object.entries(activationParams(a, attrs)).map(([k, v]) => [k, floatLiteral(v)]));
  const code = `${declareBindings([{ name: 'x', access: 'read' }, { name: 'y', access: 'read_write' }])}\n${mainStart(total)}` +
    `  let v = x[gid];\n  y[gid] = ${a.wgsl('v', 'f32', p)};\n}\n`;
  return { code, wg: dispatchSize(total) };
}

/** Output offset -> input offset via the output's strides and the input's broadcast strides. */
function offsetOf(name: string, out: readonly number[], inShape: readonly number[]): string {
  const os = stridesOf(out), is = broadcastStrides(inShape, out);
  const terms = out.map((d, k) => (is[k] === 0 ? '' : `((gid / ${os[k]}u) % ${d}u) * ${is[k]}u`)).filter(Boolean);
  return `${name}[${terms.length ? terms.join(' + ') : '0u'}]`;
}

export function emitBinary(op: string, a: readonly number[], b: readonly number[], out: readonly number[]): EmittedKernel {
  const total = out.reduce((x, y) => x * y, 1);
  const code = `${declareBindings([{ name: 'a', access: 'read' }, { name: 'b', access: 'read' }, { name: 'y', access: 'read_write' }])}\n` +
    `${mainStart(total)}  y[gid] = ${BINARY[op]!(offsetOf('a', out, a), offsetOf('b', out, b))};\n}\n`;
  return { code, wg: dispatchSize(total) };
}
