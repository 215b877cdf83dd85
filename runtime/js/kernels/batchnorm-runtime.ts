// BatchNormalization whose statistics are not compile-time constants (./batchnorm.ts folds those): the
// inference form with scale/bias/mean/var given at run time (graph inputs), and the ONNX training form
// (training_mode=1) left in an inference graph, which normalizes with the batch mean and biased variance and
// blends the optional running_mean / running_var outputs with ONNX's rule (momentum weighs the OLD value).
// Same arithmetic as the reference (src/ops/normalization.ts): float64 per channel, two-pass variance.
// Threads split the channels; a channel is read whole before it is written, so Y may overwrite X (in place).
import type { Node } from '../../../src/ir/graph.ts';
import { lit, prod, split, staticShape, type KernelFactory } from '../kernel.ts';

const f32 = (n: Node) => [...n.inputs, ...n.outputs].every((v) => !v || v.type.dtype === 'float32');

export const batchNormRuntimeKernel: KernelFactory = (node) => {
  if (node.domain || node.op !== 'BatchNormalization' || !f32(node) || node.inputs.length !== 5) return null;
  const training = !!node.attrs.training_mode;
  const s = staticShape(node.inputs[0]);
  if (s.length < 2) return null;
  const N = s[0]!, C = s[1]!, S = prod(s.slice(2)), count = N * S;
  const eps = Number(node.attrs.epsilon ?? 1e-5), mom = Number(node.attrs.momentum ?? 0.9);
  const each = (body: string) => `for (let b = 0; b < ${N}; b++) for (let i = (b * ${C} + c) * ${S}, e = i + ${S}; i < e; i++) { ${body} }`;
  return {
    kind: `batchnorm-${training ? 'batch-stats' : 'runtime-stats'} ${N}x${C}x${S}`,
    emit(ctx) {
      const [X, SC, BI, RM, RV] = node.inputs.map((v) => ctx.at(v) / 4);
      const [Y, NM, NV] = [0, 1, 2].map((k) => (node.outputs[k] ? ctx.at(node.outputs[k]) / 4 : null));
      const stats = training
        ? `let m = 0;
      ${each(`m += F[${X} + i];`)}
      m /= ${count};
      let v = 0;
      ${each(`const d = F[${X} + i] - m; v += d * d;`)}
      v /= ${count};`
        : `const m = F[${RM} + c], v = F[${RV} + c];`;
      return { phases: [{ js: `${split(C)}
    for (let c = lo; c < hi; c++) {
      ${stats}
      const inv = 1 / Math.sqrt(v + ${lit(eps)}), g = F[${SC} + c], be = F[${BI} + c];
      ${training && NM !== null ? `F[${NM} + c] = F[${RM} + c] * ${lit(mom)} + m * ${lit(1 - mom)};` : ''}
      ${training && NV !== null ? `F[${NV} + c] = F[${RV} + c] * ${lit(mom)} + v * ${lit(1 - mom)};` : ''}
      ${each(`F[${Y} + i] = g * ((F[${X} + i] - m) * inv) + be;`)}
    }` }] };
    },
  };
};
