// Reductions over any set of axes (ReduceSum/Mean/Max/Min/SumSquare/L1/L2/LogSumExp-free forms): one thread
// per output element loops over the reduced elements. The input is viewed with the reduced axes moved
// last, so the loop decodes one reduced index per step with baked strides.
import { declareBindings, dispatchSize, mainStart, stridesFor } from '../shader.ts';

const FORMS: Record<string, { init: string; step: string; fin: (n: number) => string }> = {
  ReduceSum: { init: '0.0', step: 'acc += v;', fin: () => 'acc' },
  // The mean of nothing is NaN (0/0), as in the reference; WGSL has no NaN literal, so its bits.
  ReduceMean: { init: '0.0', step: 'acc += v;', fin: (n) => (n ? `acc / f32(${n})` : 'bitcast<f32>(0x7fc00000u + rt0)') },
  ReduceMax: { init: '-3.4028234663852886e38', step: 'acc = max(acc, v);', fin: () => 'acc' },
  ReduceMin: { init: '3.4028234663852886e38', step: 'acc = min(acc, v);', fin: () => 'acc' },
  ReduceSumSquare: { init: '0.0', step: 'acc += v * v;', fin: () => 'acc' },
  ReduceL1: { init: '0.0', step: 'acc += abs(v);', fin: () => 'acc' },
  ReduceL2: { init: '0.0', step: 'acc += v * v;', fin: () => 'sqrt(acc)' },
};

export const REDUCE_OPS = Object.keys(FORMS);

/** Reduces `x` over `axes` (normalized, sorted); the output holds the kept axes in order (keepdims is a view). */
export function emitReduce(op: string, x: readonly number[], axes: readonly number[]): { code: string; wg: [number, number] } {
  const f = FORMS[op]!;
  const xs = stridesFor(x);
  const kept = x.map((_, a) => a).filter((a) => !axes.includes(a));
  const keptShape = kept.map((a) => x[a]!), redShape = axes.map((a) => x[a]!);
  const total = keptShape.reduce((a, b) => a * b, 1), n = redShape.reduce((a, b) => a * b, 1);
  const ks = stridesFor(keptShape), rs = stridesFor(redShape);
  // An empty side (a 0-sized axis) never runs its index code; a `% 0u` in it would not even compile.
  const base = (total ? kept.map((a, k) => `((gid / ${ks[k]}u) % ${keptShape[k]}u) * ${xs[a]}u`).join(' + ') : '') || '0u';
  const off = (n ? axes.map((a, k) => `((j / ${rs[k]}u) % ${redShape[k]}u) * ${xs[a]}u`).join(' + ') : '') || '0u';
  const code = `${declareBindings([{ name: 'x', access: 'read' }, { name: 'y', access: 'read_write' }])}
${mainStart(total)}  let base = ${base};
  var acc = ${f.init};
  for (var j = 0u; j < ${n}u + rt0; j++) { let v = x[base + ${off}]; ${f.step} }
  y[gid] = ${f.fin(n)};
}
`;
  return { code, wg: dispatchSize(total) };
}
