// Softmax, LogSoftmax and Hardmax in their opset-13 meaning: along ONE axis (default -1), every other axis
// independent. (Older opsets' flatten-to-2-D meaning is rewritten by the ONNX frontend.)
//   Softmax:    y = exp(x - max) / sum exp(x - max)
//   LogSoftmax: y = (x - max) - log(sum exp(x - max))
//   Hardmax:    1 at the first maximum along the axis, 0 elsewhere
// Subtracting the max keeps exp from overflowing; sums accumulate in float64.
import { defineOp } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';
import { isFloat } from '../ir/dtype.ts';
import { normAxis } from './util.ts';
import { RAISE } from './dims.ts';

type Kind = 'Softmax' | 'LogSoftmax' | 'Hardmax';

/** Calls f(base, stride) for every 1-D lane along `axis` (elements base + i*stride, i < n). */
function forEachLane(shape: readonly number[], axis: number, f: (base: number, stride: number, n: number) => void): void {
  const n = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) f(o * n * inner + i, inner, n);
}

function evalLanes(kind: Kind, x: Tensor, axisAttr: number): Tensor {
  const axis = normAxis(axisAttr, x.rank, (msg) => RAISE.fail('LC030', ['axis', `${kind}: ${msg}`]));
  const y = Tensor.zeros(x.dtype, x.shape);
  const xd = x.data, yd = y.data;
  forEachLane(x.shape, axis, (base, stride, n) => {
    let max = -Infinity, arg = 0;
    for (let i = 0; i < n; i++) {
      const v = xd[base + i * stride];
      if (v > max) { max = v; arg = i; }
    }
    if (kind === 'Hardmax') { yd[base + arg * stride] = 1; return; }
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.exp(xd[base + i * stride] - max);
    if (kind === 'Softmax') {
      for (let i = 0; i < n; i++) yd[base + i * stride] = Math.exp(xd[base + i * stride] - max) / sum;
    } else {
      const logSum = Math.log(sum);
      for (let i = 0; i < n; i++) yd[base + i * stride] = xd[base + i * stride] - max - logSum;
    }
  });
  return y;
}

for (const kind of ['Softmax', 'LogSoftmax', 'Hardmax'] as const) {
  defineOp({
    name: kind,
    onnxSince: 1,
    summary: `${kind} along one axis (opset 13; default axis -1)`,
    attrs: { axis: { type: 'int', default: -1 } },
    inputs: [1, 1],
    outputs: [1, 1],
    inferType(ctx) {
      const x = ctx.inputs[0]!;
      if (!isFloat(x.dtype)) ctx.fail('LC033', [`${kind} needs float input, got ${x.dtype}`]);
      if (x.shape) normAxis(ctx.attrs.axis as number, x.shape.length, (msg) => ctx.fail('LC030', ['axis', `${kind}: ${msg}`]));
      return [{ dtype: x.dtype, shape: x.shape ? [...x.shape] : null }];
    },
    evalRef([x], ctx) {
      return [evalLanes(kind, x!, ctx.attrs.axis as number)];
    },
  });
}
