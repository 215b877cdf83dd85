// Softmax over the last axis of a [rows, n] view: one thread per row, max-subtracted for stability.
import { declareBindings, dispatchSize, mainStart } from '../shader.ts';

export function emitSoftmax(rows: number, n: number): { code: string; wg: [number, number] } {
  const code = `${declareBindings([{ name: 'x', access: 'read' }, { name: 'y', access: 'read_write' }])}
${mainStart(rows)}  let base = gid * ${n}u;
  var mx = -3.4028234663852886e38;
  for (var i = 0u; i < ${n}u; i++) { mx = max(mx, x[base + i]); }
  var sum = 0.0;
  for (var i = 0u; i < ${n}u; i++) { let e = exp(x[base + i] - mx); y[base + i] = e; sum += e; }
  for (var i = 0u; i < ${n}u; i++) { y[base + i] = y[base + i] / sum; }
}
`;
  return { code, wg: dispatchSize(rows) };
}
