// BatchNormalization. Inference: y = (x - mean[c]) * scale[c] / sqrt(var[c] + eps) + bias[c] (NC... layout).
// Training mode (batch statistics): a statistics kernel (one thread per channel, two passes over the
// N * spatial elements for the mean and the population variance) writes [mean, var] per channel to a
// scratch buffer and the running statistics (running = input * momentum + batch * (1 - momentum)); the
// normalization kernel then reads the batch statistics like the inference one reads the running ones.
import { declareBindings, dispatchSize, mainStart, type Binding } from '../shader.ts';
import { floatLiteral } from '../../../src/ops/activations.ts';

const read = (...names: string[]): Binding[] => names.map((name) => ({ name, access: 'read' }));
const write = (...names: string[]): Binding[] => names.map((name) => ({ name, access: 'read_write' }));

export function emitBatchNormInference(total: number, C: number, spatial: number, eps: number): { code: string; wg: [number, number] } {
  const code = `${declareBindings([...read('x', 'scale', 'bias', 'mean', 'var_'), ...write('y')])}
${mainStart(total)}  let c = (gid / ${spatial}u) % ${C}u;
  y[gid] = (x[gid] - mean[c]) * scale[c] / sqrt(var_[c] + ${floatLiteral(eps)}) + bias[c];
}
`;
  return { code, wg: dispatchSize(total) };
}

/** Bindings: x, [running mean, running var in, running mean, running var out when `running`], stats (scratch [2C]). */
export function emitChannelStats(N: number, C: number, spatial: number, running: { momentum: number } | null): { code: string; wg: [number, number] } {
  const binds = [...read('x'), ...(running ? [...read('rm', 'rv'), ...write('rm_out', 'rv_out')] : []), ...write('stats')];
  const each = (body: string) => `  for (var n = 0u; n < ${N}u + rt0; n++) {\n    let base = (n * ${C}u + gid) * ${spatial}u;\n    for (var i = 0u; i < ${spatial}u + rt0; i++) { let v = x[base + i]; ${body} }\n  }\n`;
  const m = running ? floatLiteral(running.momentum) : '';
  const code = `${declareBindings(binds)}
${mainStart(C)}  var s = 0.0;
${each('s += v;')}  let mean = s / f32(${N * spatial});
  var q = 0.0;
${each('let d = v - mean; q += d * d;')}  let var_ = q / f32(${N * spatial});
  stats[gid] = mean; stats[${C}u + gid] = var_;
${running ? `  rm_out[gid] = rm[gid] * ${m} + mean * (1.0 - ${m});\n  rv_out[gid] = rv[gid] * ${m} + var_ * (1.0 - ${m});\n` : ''}}
`;
  return { code, wg: dispatchSize(C) };
}

/** Bindings: x, scale, bias, stats ([mean..., var...]), y. */
export function emitBatchNormWithStats(total: number, C: number, spatial: number, eps: number): { code: string; wg: [number, number] } {
  const code = `${declareBindings([...read('x', 'scale', 'bias', 'stats'), ...write('y')])}
${mainStart(total)}  let c = (gid / ${spatial}u) % ${C}u;
  y[gid] = (x[gid] - stats[c]) * scale[c] / sqrt(stats[${C}u + c] + ${floatLiteral(eps)}) + bias[c];
}
`;
  return { code, wg: dispatchSize(total) };
}
