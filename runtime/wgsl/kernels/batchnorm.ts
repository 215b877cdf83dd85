// BatchNormalization inference: y = (x - mean[c]) * scale[c] / sqrt(var[c] + eps) + bias[c], NC... layout.
import { declareBindings, dispatchSize, mainStart, type Binding } from '../shader.ts';
import { floatLiteral } from '../../../src/ops/activations.ts';

export function emitBatchNormInference(total: number, C: number, spatial: number, eps: number): { code: string; wg: [number, number] } {
  const code = `${declareBindings([...['x', 'scale', 'bias', 'mean', 'var_'].map((name): Binding => ({ name, access: 'read' })), { name: 'y', access: 'read_write' }])}
${mainStart(total)}  let c = (gid / ${spatial}u) % ${C}u;
  y[gid] = (x[gid] - mean[c]) * scale[c] / sqrt(var_[c] + ${floatLiteral(eps)}) + bias[c];
}
`;
  return { code, wg: dispatchSize(total) };
}
