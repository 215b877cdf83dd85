// Training-time BatchNorm (src/ops/batchnorm-train.ts semantics). Forward: a per-channel statistics kernel
// (one thread per channel, two passes: mean, then biased variance, in f32) writes [mean, invstd] to a scratch
// buffer plus whichever of running mean/var (old weight w, new = w*old + (1-w)*batch, variance unbiased by
// count/(count-1) under the pytorch convention), saved mean and saved invstd the node outputs; an elementwise
// kernel normalizes. Backward: a per-channel kernel sums dBias = sum dY and dScale = sum dY*xhat; an
// elementwise kernel applies dX = scale*invstd/count * (count*dY - dBias - xhat*dScale).
import { declareBindings, dispatchSize, mainStart, type Binding } from '../shader.ts';
import { floatLiteral } from '../../../src/ops/activations.ts';

const r = (name: string): Binding => ({ name, access: 'read' });
const w = (name: string): Binding => ({ name, access: 'read_write' });
type Emitted = { code: string; wg: [number, number] };

function eachElement(N: number, C: number, S: number, body: string): string {
  return `  for (var n = 0u; n < ${N}u + rt0; n++) {\n    let base = (n * ${C}u + gid) * ${S}u;\n    for (var i = 0u; i < ${S}u + rt0; i++) { let at = base + i; ${body} }\n  }\n`;
}

export interface BnTrainOutputs { running: boolean; saved: boolean }

/** Bindings: x, [rm, rv], stats (scratch 2C), [rm_out, rv_out], [mean_out, invstd_out]. */
export function emitBnTrainStats(N: number, C: number, S: number, eps: number, oldWeight: number, unbias: number, o: BnTrainOutputs): Emitted {
  const binds = [r('x'), ...(o.running ? [r('rm'), r('rv')] : []), w('stats'), ...(o.running ? [w('rm_out'), w('rv_out')] : []), ...(o.saved ? [w('mean_out'), w('invstd_out')] : [])];
  const ow = floatLiteral(oldWeight);
  const code = `${declareBindings(binds)}
${mainStart(C)}  var s = 0.0;
${eachElement(N, C, S, 's += x[at];')}  let mean = s / f32(${N * S});
  var q = 0.0;
${eachElement(N, C, S, 'let d = x[at] - mean; q += d * d;')}  let var_ = q / f32(${N * S});
  let invstd = 1.0 / sqrt(var_ + ${floatLiteral(eps)});
  stats[gid] = mean; stats[${C}u + gid] = invstd;
${o.running ? `  rm_out[gid] = ${ow} * rm[gid] + (1.0 - ${ow}) * mean;\n  rv_out[gid] = ${ow} * rv[gid] + (1.0 - ${ow}) * var_ * ${floatLiteral(unbias)};\n` : ''}${o.saved ? '  mean_out[gid] = mean; invstd_out[gid] = invstd;\n' : ''}}
`;
  return { code, wg: dispatchSize(C) };
}

/** Bindings: x, [scale], [bias], stats, y. */
export function emitBnTrainApply(total: number, C: number, S: number, hasScale: boolean, hasBias: boolean): Emitted {
  const code = `${declareBindings([r('x'), ...(hasScale ? [r('scale')] : []), ...(hasBias ? [r('bias')] : []), r('stats'), w('y')])}
${mainStart(total)}  let c = (gid / ${S}u) % ${C}u;
  y[gid] = ${hasScale ? 'scale[c] * ' : ''}((x[gid] - stats[c]) * stats[${C}u + c])${hasBias ? ' + bias[c]' : ''};
}
`;
  return { code, wg: dispatchSize(total) };
}

/** Bindings: dy, x, mean, invstd, sums (scratch 2C: dBias, dScale), [dscale_out], [dbias_out]. */
export function emitBnGradSums(N: number, C: number, S: number, outs: { dscale: boolean; dbias: boolean }): Emitted {
  const binds = [r('dy'), r('x'), r('mean'), r('invstd'), w('sums'), ...(outs.dscale ? [w('dscale')] : []), ...(outs.dbias ? [w('dbias')] : [])];
  const code = `${declareBindings(binds)}
${mainStart(C)}  var sb = 0.0; var ss = 0.0;
  let m = mean[gid]; let is = invstd[gid];
${eachElement(N, C, S, 'sb += dy[at]; ss += dy[at] * (x[at] - m) * is;')}  sums[gid] = sb; sums[${C}u + gid] = ss;
${outs.dscale ? '  dscale[gid] = ss;\n' : ''}${outs.dbias ? '  dbias[gid] = sb;\n' : ''}}
`;
  return { code, wg: dispatchSize(C) };
}

/** Bindings: dy, x, [scale], mean, invstd, sums, dx. */
export function emitBnGradInput(total: number, C: number, S: number, count: number, hasScale: boolean): Emitted {
  const code = `${declareBindings([r('dy'), r('x'), ...(hasScale ? [r('scale')] : []), r('mean'), r('invstd'), r('sums'), w('dx')])}
${mainStart(total)}  let c = (gid / ${S}u) % ${C}u;
  let is = invstd[c];
  let xhat = (x[gid] - mean[c]) * is;
  dx[gid] = ${hasScale ? 'scale[c] * ' : ''}is / f32(${count}) * (f32(${count}) * dy[gid] - sums[c] - xhat * sums[${C}u + c]);
}
`;
  return { code, wg: dispatchSize(total) };
}
