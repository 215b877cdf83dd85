// Dropout in the training graph as a pure function: `ai.layerc::DropoutTrain(x, step)` keeps each element with
// probability 1 - ratio and scales it by 1/(1 - ratio); the mask comes from a counter-based generator seeded by
// (seed attribute, step input), so a step is reproducible from the state alone (no hidden RNG), and a resumed run
// draws the same masks. Output 1 is the scaled mask (0 or 1/(1-ratio)); the gradient is dY * mask.
import { defineOp } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';
import { mulberry32 } from '../random.ts';

defineOp({
  name: 'DropoutTrain',
  domain: 'ai.layerc',
  summary: 'training-mode dropout with a mask seeded by (seed, step); outputs Y and the scaled mask',
  attrs: { ratio: { type: 'float', default: 0.5 }, seed: { type: 'int', default: 0 } },
  inputs: [2, 2],
  outputs: [2, 2],
  inferType(ctx) { const x = ctx.inputs[0]!; return [{ ...x }, { ...x }]; },
  evalRef([x, step], { attrs }) {
    const ratio = attrs.ratio as number;
    const rnd = mulberry32(((attrs.seed as number) * 2654435761 + step!.data[0] * 40503) >>> 0);
    const y = Tensor.zeros(x!.dtype, x!.shape), mask = Tensor.zeros(x!.dtype, x!.shape);
    const keep = ratio >= 1 ? 0 : 1 / (1 - ratio);
    for (let i = 0; i < x!.size; i++) {
      mask.data[i] = rnd() >= ratio ? keep : 0;
      y.data[i] = x!.data[i] * mask.data[i];
    }
    return [y, mask];
  },
  vjp(c) { return [c.emit('Mul', [c.dOut[0], c.node.outputs[1]])[0], null]; },
});
