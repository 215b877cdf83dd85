// WGSL kernels of the transformer / encoder-decoder ops (#19): Sum/Mean over broadcast operands, strided copies (Slice, Gather with constant
// indices, Split parts, DepthToSpace/SpaceToDepth as a transposed 6-D view), the per-sample normalizations
// (one thread per row: two-pass mean and variance, then the affine), batched MatMul is matmul.ts's, and Resize
// as one dispatch per resized axis (last axis first, the reference's order) reading a tap table computed on the
// host by src/ops/resize.ts: per output index the offset and count of its (input index, weight) pairs, or -1
// for tf_crop_and_resize's extrapolation.
import { broadcastIndex, declareBindings, dispatchSize, mainStart, coords, stridesFor } from '../shader.ts';
import { floatLiteral } from '../../../src/ops/activations.ts';
import type { AxisTaps } from '../../../src/ops/resize.ts';

type Emitted = { code: string; wg: [number, number] };
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const io = () => declareBindings([{ name: 'x', access: 'read' }, { name: 'y', access: 'read_write' }]);

/** y[o...] = x[base + sum o_k * strides[k]] over the output shape `y` (strides may be negative). */
export function emitStridedCopy(y: readonly number[], strides: readonly number[], base: number): Emitted {
  const idx = [String(base), ...strides.map((s, k) => `i32(o${k}) * ${s}`)].join(' + ');
  return { code: `${io()}\n${mainStart(prod(y))}${coords('gid', y, 'o')}\n  y[gid] = x[u32(${idx})];\n}\n`, wg: dispatchSize(prod(y)) };
}

/** Rows of `len` elements: y = (x - mean) * invStd * scale[c] + bias[c], c = i (along the row) or the channel
 *  ((flat / S) % C) when `perChannel` is given. With `stats`, Mean and InvStdDev go to m and s (one per row). */
export function emitRowNorm(rows: number, len: number, eps: number, bias: boolean, perChannel: { C: number; S: number } | null, stats: boolean): Emitted {
  const binds = [{ name: 'x', access: 'read' as const }, { name: 'g', access: 'read' as const }, ...(bias ? [{ name: 'b', access: 'read' as const }] : []),
    { name: 'y', access: 'read_write' as const }, ...(stats ? [{ name: 'm', access: 'read_write' as const }, { name: 's', access: 'read_write' as const }] : [])];
  const c = perChannel ? `((base + i) / ${perChannel.S}u) % ${perChannel.C}u` : 'i';
  const code = `${declareBindings(binds)}
${mainStart(rows)}  let base = gid * ${len}u;
  var sum = 0.0;
  for (var i = 0u; i < ${len}u + rt0; i++) { sum += x[base + i]; }
  let mean = sum / ${floatLiteral(len)};
  var v = 0.0;
  for (var i = 0u; i < ${len}u + rt0; i++) { let d = x[base + i] - mean; v += d * d; }
  let inv = 1.0 / sqrt(v / ${floatLiteral(len)} + ${floatLiteral(eps)});
${stats ? '  m[gid] = mean; s[gid] = inv;\n' : ''}  for (var i = 0u; i < ${len}u + rt0; i++) { let c = ${c}; y[base + i] = (x[base + i] - mean) * inv * g[c]${bias ? ' + b[c]' : ''}; }
}
`;
  return { code, wg: dispatchSize(rows) };
}

/** One Resize pass over axis with `lenIn` -> `lenOut`, `inner` elements after it; the tap table is bound as t. */
export function emitResizePass(outer: number, lenIn: number, lenOut: number, inner: number, taps: AxisTaps, extrapolation: number): Emitted & { table: Float32Array } {
  // Table: [lenOut x (start, count)] then the (index, weight) pairs; start -1 = extrapolate.
  const head: number[] = [], pairs: number[] = [];
  taps.index.forEach((ids, j) => {
    if (taps.outside[j]) { head.push(-1, 0); return; }
    const start = pairs.length / 2;
    ids.forEach((i, k) => { const w = taps.weight[j]![k]!; if (w !== 0) pairs.push(i, w); });
    head.push(start, pairs.length / 2 - start);
  });
  const total = outer * lenOut * inner;
  const code = `${declareBindings([{ name: 'x', access: 'read' }, { name: 't', access: 'read' }, { name: 'y', access: 'read_write' }])}
${mainStart(total)}  let i = gid % ${inner}u; let j = (gid / ${inner}u) % ${lenOut}u; let o = gid / ${inner * lenOut}u;
  let start = t[2u * j];
  if (start < 0.0) { y[gid] = ${floatLiteral(extrapolation)}; return; }
  let n = u32(t[2u * j + 1u]);
  let p0 = ${2 * lenOut}u + 2u * u32(start);
  var s = 0.0;
  for (var k = 0u; k < n; k++) { s += t[p0 + 2u * k + 1u] * x[(o * ${lenIn}u + u32(t[p0 + 2u * k])) * ${inner}u + i]; }
  y[gid] = s;
}
`;
  return { code, wg: dispatchSize(total), table: Float32Array.from([...head, ...pairs]) };
}

export { stridesFor };

/** Sum / Mean of several operands, each broadcast (numpy rules) to `out`, added in input order. */
export function emitSumMean(ins: readonly (readonly number[])[], out: readonly number[], mean: boolean): Emitted {
  const binds = [...ins.map((_, k) => ({ name: `a${k}`, access: 'read' as const })), { name: 'y', access: 'read_write' as const }];
  const terms = ins.map((s, k) => `a${k}[${s.join() === out.join() ? 'gid' : broadcastIndex('gid', out, s)}]`).join(' + ');
  const code = `${declareBindings(binds)}\n${mainStart(prod(out))}  y[gid] = ${mean ? `(${terms}) / ${floatLiteral(ins.length)}` : terms};\n}\n`;
  return { code, wg: dispatchSize(prod(out)) };
}
