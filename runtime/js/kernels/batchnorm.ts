// BatchNormalization in inference form with constant statistics: folded at compile time to one
// multiply-add per element, y = a[c] * x + b[c] (src/ops/normalization.ts's closed form), rows split
// across threads. Training-mode BN (ai.layerc::BatchNormTrain) has its own kernel (./batchnorm-train.ts).
import { batchNormAffine } from '../../../src/ops/normalization.ts';
import { prod, split, staticShape, type KernelFactory } from '../kernel.ts';

export const batchNormKernel: KernelFactory = (node) => {
  if (node.domain || node.op !== 'BatchNormalization' || node.outputs.length !== 1 || node.attrs.training_mode) return null;
  const [x, scale, bias, mean, variance] = node.inputs;
  if (![scale, bias, mean, variance].every((v) => v?.const) || x?.type.dtype !== 'float32') return null;
  const shape = staticShape(x);
  const C = shape[1] ?? 1, S = prod(shape.slice(2)), rows = (shape[0] ?? 1) * C;
  const num = (v: typeof x | null) => v!.const!.data as ArrayLike<number>;
  const { a, b } = batchNormAffine(num(scale), num(bias), num(mean), num(variance), Number(node.attrs.epsilon ?? 1e-5));
  return {
    kind: `batchnorm ${C}x${S}`,
    consts: [Float32Array.from(a), Float32Array.from(b)],
    emit(ctx) {
      const X = ctx.at(x) / 4, Y = ctx.at(node.outputs[0]) / 4, A = ctx.consts[0]! / 4, B = ctx.consts[1]! / 4;
      return { phases: [{ js: `${split(rows)}
    for (let r = lo; r < hi; r++) {
      const c = r % ${C}, a = F[${A} + c], b = F[${B} + c];
      for (let i = r * ${S}, e = i + ${S}; i < e; i++) F[${Y} + i] = a * F[${X} + i] + b;
    }` }] };
    },
  };
};
