// DropoutTrain (src/ops/dropout-train.ts) as generated JS. The mask comes from one sequential seeded
// generator, so thread 0 draws it alone, in element order: the generator's own source (mulberry32, the
// function the reference calls) is inlined into the phase, seeded from the step state exactly as the
// reference seeds it, so js and reference masks are the same bits.
import { mulberry32 } from '../../../src/random.ts';
import { lit, prod, staticShape, type KernelFactory } from '../kernel.ts';

export const dropoutTrainKernel: KernelFactory = (node) => {
  if (node.domain !== 'ai.layerc' || node.op !== 'DropoutTrain' || node.outputs.length !== 2) return null;
  if (![...node.inputs, ...node.outputs].every((v) => v?.type.dtype === 'float32')) return null;
  const n = prod(staticShape(node.inputs[0]));
  const ratio = Number(node.attrs.ratio ?? 0.5), seed = Number(node.attrs.seed ?? 0);
  const keep = ratio >= 1 ? 0 : 1 / (1 - ratio);
  return {
    kind: `dropout-train ${n} (thread 0)`,
    emit(ctx) {
      const [X, S] = node.inputs.map((v) => ctx.at(v) / 4), [Y, M] = node.outputs.map((v) => ctx.at(v) / 4);
      return { phases: [{ js: `if (tid !== 0) return;
    const rnd = (${mulberry32.toString()})((${seed} * 2654435761 + F[${S}] * 40503) >>> 0);
    for (let i = 0; i < ${n}; i++) {
      F[${M} + i] = rnd() >= ${lit(ratio)} ? ${lit(keep)} : 0;
      F[${Y} + i] = F[${X} + i] * F[${M} + i];
    }` }] };
    },
  };
};
