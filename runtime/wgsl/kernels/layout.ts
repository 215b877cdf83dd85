// Data movement: copy, Transpose, Concat (one dispatch per input, each writing its slab of the output) and
// Pad. Pad's per-axis rule (constant / edge / reflect / wrap) is computed once on the host into a table of
// source coordinates (src/ops/pad.ts sourceIndex, -1 = the fill value), bound as a small buffer; the kernel
// only looks coordinates up, so every mode is the same WGSL.
import { broadcastIndex, coords, declareBindings, dispatchSize, mainStart, stridesFor } from '../shader.ts';
import { floatLiteral } from '../../../src/ops/activations.ts';
import { sourceIndex } from '../../../src/ops/pad.ts';

type Emitted = { code: string; wg: [number, number] };
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const io = () => declareBindings([{ name: 'x', access: 'read' }, { name: 'y', access: 'read_write' }]);

export function emitCopy(total: number): Emitted {
  return { code: `${io()}\n${mainStart(total)}  y[gid] = x[gid];\n}\n`, wg: dispatchSize(total) };
}

/** Expand: x broadcast (numpy rules) to shape y. */
export function emitBroadcast(x: readonly number[], y: readonly number[]): Emitted {
  return { code: `${io()}\n${mainStart(prod(y))}  y[gid] = x[${broadcastIndex('gid', y, x)}];\n}\n`, wg: dispatchSize(prod(y)) };
}

export function emitTranspose(x: readonly number[], perm: readonly number[]): Emitted {
  const y = perm.map((p) => x[p]!), xs = stridesFor(x);
  const idx = perm.map((p, k) => `o${k} * ${xs[p]}u`).join(' + ') || '0u';
  return { code: `${io()}\n${mainStart(prod(y))}${coords('gid', y, 'o')}\n  y[gid] = x[${idx}];\n}\n`, wg: dispatchSize(prod(y)) };
}

/** Copies input x (shape `x`) into the output (shape `y`) at `offset` along `axis`. */
export function emitConcatPart(x: readonly number[], y: readonly number[], axis: number, offset: number): Emitted {
  const inner = prod(x.slice(axis + 1)), len = x[axis]!, total = prod(x);
  return { code: `${io()}\n${mainStart(total)}  let i = gid % ${inner}u; let a = (gid / ${inner}u) % ${len}u; let o = gid / ${inner * len}u;\n` +
    `  y[(o * ${y[axis]}u + a + ${offset}u) * ${inner}u + i] = x[gid];\n}\n`, wg: dispatchSize(total) };
}

/** Pad: the kernel plus its coordinate table (bound after x). `begin` per axis; mode per ONNX Pad. */
export function emitPad(x: readonly number[], y: readonly number[], begin: readonly number[], mode: string, fill: number): Emitted & { table: Float32Array } {
  const offs: number[] = [];
  const table: number[] = [];
  y.forEach((d, a) => { offs.push(table.length); for (let o = 0; o < d; o++) table.push(sourceIndex(mode, o - begin[a]!, x[a]!)); });
  const xs = stridesFor(x);
  const look = y.map((_, a) => `  let s${a} = t[${offs[a]}u + o${a}];\n  if (s${a} < 0.0) { y[gid] = ${floatLiteral(fill)}; return; }`).join('\n');
  const idx = y.map((_, a) => `u32(s${a}) * ${xs[a]}u`).join(' + ') || '0u';
  const code = `${declareBindings([{ name: 'x', access: 'read' }, { name: 't', access: 'read' }, { name: 'y', access: 'read_write' }])}
${mainStart(prod(y))}${coords('gid', y, 'o')}
${look}
  y[gid] = x[${idx}];
}
`;
  return { code, wg: dispatchSize(prod(y)), table: Float32Array.from(table) };
}
