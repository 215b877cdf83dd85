// Softmax / LogSoftmax over any axis of a tensor viewed as [outer, n, inner]: one thread per (outer, inner)
// pair walks the axis with stride `inner`, max-subtracted for stability.
import { declareBindings, dispatchSize, mainStart } from '../shader.ts';

export function emitSoftmax(outer: number, n: number, inner = 1, log = false): { code: string; wg: [number, number] } {
  const rows = outer * inner;
  const fin = log ? 'y[at(i)] = x[at(i)] - mx - log(sum);' : 'y[at(i)] = y[at(i)] / sum;';
  const code = `${declareBindings([{ name: 'x', access: 'read' }, { name: 'y', access: 'read_write' }])}
${mainStart(rows)}  let base = (gid / ${inner}u) * ${n * inner}u + gid % ${inner}u;
  var mx = -3.4028234663852886e38;
  for (var i = 0u; i < ${n}u + rt0; i++) { mx = max(mx, x[base + i * ${inner}u]); }
  var sum = 0.0;
  for (var i = 0u; i < ${n}u + rt0; i++) { let e = exp(x[base + i * ${inner}u] - mx); y[base + i * ${inner}u] = e; sum += e; }
  for (var i = 0u; i < ${n}u + rt0; i++) { ${fin.replaceAll('at(i)', `base + i * ${inner}u`)} }
}
`;
  return { code, wg: dispatchSize(rows) };
}
