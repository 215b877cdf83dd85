// Gradient rules of the elementwise, activation, shape and reduction ops: one table row per op with its algebra,
// registered with defineGrad (which throws on an unknown op or a second rule; src/ops/index.ts loads this after
// the op families). Each rule returns one gradient per input (null: none); autodiff checks the count.
// Broadcasting binary ops route each gradient through ReduceSumLike back to the input's own shape.
import type { Value } from '../ir/graph.ts';
import { defineGrad, type GradRule, type VjpContext } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';
import { numel } from './util.ts';
import { ONNX_DTYPES } from './shape.ts';
import type { DType } from '../ir/dtype.ts';
import { lcError } from '../diagnostics.ts';
import './grad-helpers.ts';

/** Sums g back to v's shape unless the shapes already agree statically. */
function unbroadcast(ctx: VjpContext, g: Value, v: Value): Value {
  const a = g.type.shape, b = v.type.shape;
  if (a && b && a.length === b.length && a.every((d, i) => d === b[i])) return g;
  return ctx.emit('ReduceSumLike', [g, v], {}, 1, 'ai.layerc')[0];
}

function scalar(ctx: VjpContext, like: Value, x: number): Value {
  return ctx.graph.addConst('grad_const', Tensor.fromArray(like.type.dtype, [], [x]));
}

const op = (ctx: VjpContext, name: string, ...inputs: (Value | null)[]) => ctx.emit(name, inputs)[0];

const RULES: Record<string, GradRule> = {
  // d(a+b) = da + db
  Add: (c) => { const [a, b] = c.node.inputs as Value[]; const g = c.dOut[0]!; return [unbroadcast(c, g, a), unbroadcast(c, g, b)]; },
  // d(a-b) = da - db
  Sub: (c) => { const [a, b] = c.node.inputs as Value[]; const g = c.dOut[0]!; return [unbroadcast(c, g, a), unbroadcast(c, op(c, 'Neg', g), b)]; },
  // d(a*b) = b da + a db
  Mul: (c) => { const [a, b] = c.node.inputs as Value[]; const g = c.dOut[0]!; return [unbroadcast(c, op(c, 'Mul', g, b), a), unbroadcast(c, op(c, 'Mul', g, a), b)]; },
  // d(a/b) = da / b - (a/b) db / b
  Div: (c) => {
    const [a, b] = c.node.inputs as Value[]; const g = c.dOut[0]!; const y = c.node.outputs[0];
    const ga = op(c, 'Div', g, b);
    return [unbroadcast(c, ga, a), unbroadcast(c, op(c, 'Neg', op(c, 'Mul', ga, y)), b)];
  },
  Neg: (c) => [op(c, 'Neg', c.dOut[0])],
  Identity: (c) => [c.dOut[0]],
  // d exp(x) = exp(x) dx
  Exp: (c) => [op(c, 'Mul', c.dOut[0], c.node.outputs[0])],
  // d log(x) = dx / x
  Log: (c) => [op(c, 'Div', c.dOut[0], c.node.inputs[0])],
  // d tanh(x) = (1 - y^2) dx
  Tanh: (c) => { const y = c.node.outputs[0]; return [op(c, 'Mul', c.dOut[0], op(c, 'Sub', scalar(c, y, 1), op(c, 'Mul', y, y)))]; },
  // d sigmoid(x) = y (1 - y) dx
  Sigmoid: (c) => { const y = c.node.outputs[0]; return [op(c, 'Mul', c.dOut[0], op(c, 'Mul', y, op(c, 'Sub', scalar(c, y, 1), y)))]; },
  Relu: (c) => [reluGrad(c, c.dOut[0]!, c.node.outputs[0])],
  // The piecewise-linear activations reuse ReluGrad as their mask (no new backend kernels): ReluGrad(g, v) is g
  // where v > 0. LeakyRelu: dx = alpha dy + (1 - alpha) [x > 0] dy.
  LeakyRelu: (c) => {
    const x = c.node.inputs[0]!, g = c.dOut[0]!, alpha = (c.attrs.alpha as number | undefined) ?? 0.01;
    return [op(c, 'Add', op(c, 'Mul', g, scalar(c, x, alpha)), op(c, 'Mul', reluGrad(c, g, x), scalar(c, x, 1 - alpha)))];
  },
  // Clip (relu6): dx = dy where min < x < max (as PyTorch's hardtanh; the bounds get no gradient — they are
  // constants in every model layerc trains).
  Clip: (c) => {
    const [x, lo, hi] = c.node.inputs as [Value, Value | null, Value | null];
    let g = c.dOut[0]!;
    if (lo) g = reluGrad(c, g, op(c, 'Sub', x, lo));
    if (hi) g = reluGrad(c, g, op(c, 'Sub', hi, x));
    return onlyFirst(c, g);
  },
  // HardSigmoid y = clip(alpha x + beta, 0, 1): dx = alpha dy where 0 < y < 1.
  HardSigmoid: (c) => {
    const y = c.node.outputs[0], alpha = (c.attrs.alpha as number | undefined) ?? 0.2;
    return [op(c, 'Mul', insideUnit(c, c.dOut[0]!, y), scalar(c, y, alpha))];
  },
  // HardSwish y = x h(x), h = clip(x/6 + 1/2, 0, 1): dx = dy h + dy x / 6 where 0 < h < 1.
  HardSwish: (c) => {
    const x = c.node.inputs[0]!, g = c.dOut[0]!;
    const h = c.emit('HardSigmoid', [x], { alpha: 1 / 6, beta: 0.5 })[0];
    return [op(c, 'Add', op(c, 'Mul', g, h), op(c, 'Mul', insideUnit(c, g, h), op(c, 'Div', x, scalar(c, x, 6))))];
  },
  // Shape-only ops: reshape the gradient back to the input's shape.
  Reshape: (c) => onlyFirst(c, reshapeBack(c)),
  Flatten: (c) => onlyFirst(c, reshapeBack(c)),
  Unsqueeze: (c) => onlyFirst(c, reshapeBack(c)),
  Squeeze: (c) => onlyFirst(c, reshapeBack(c)),
  // Sum over axes: broadcast the gradient back (keepdims=0 first restores the reduced axes as size 1).
  ReduceSum: (c) => {
    const [x, axes] = c.node.inputs as [Value, Value | null];
    let g = c.dOut[0]!;
    if (c.attrs.keepdims === 0 && axes) g = op(c, 'Unsqueeze', g, axes);
    // keepdims=0 without axes gives a scalar, which Expand broadcasts as it is.
    return onlyFirst(c, op(c, 'Expand', g, op(c, 'Shape', x)));
  },
  // Mean over axes: the sum's rule, divided by the number of elements averaged. With a symbolic dim (batch N)
  // the count is computed in the graph: prod(shape(x)) / prod(shape(y)); backends fold it once shapes are known.
  ReduceMean: (c) => {
    const x = c.node.inputs[0]!, y = c.node.outputs[0];
    const [gs] = RULES.ReduceSum(c);
    const nx = x.type.shape && numel(x.type.shape), ny = y.type.shape && numel(y.type.shape);
    if (nx && ny) return onlyFirst(c, op(c, 'Div', gs, scalar(c, x, nx / ny)));
    if (!x.type.shape || !y.type.shape) throw lcError('LC066', ['ReduceMean', 'needs a known rank'], { node: c.node.name, op: 'ReduceMean' });
    const count = (v: Value) => c.emit('ReduceProd', [c.emit('Cast', [op(c, 'Shape', v)], { to: onnxCode(x.type.dtype) })[0]], { keepdims: 0 })[0];
    return onlyFirst(c, op(c, 'Div', gs, op(c, 'Div', count(x), count(y))));
  },
};

const onnxCode = (d: DType) => Number(Object.entries(ONNX_DTYPES).find(([, v]) => v === d)![0]);

const reluGrad = (c: VjpContext, g: Value, v: Value) => c.emit('ReluGrad', [g, v], {}, 1, 'ai.layerc')[0];

/** g where 0 < y < 1. */
const insideUnit = (c: VjpContext, g: Value, y: Value) => reluGrad(c, reluGrad(c, g, y), op(c, 'Sub', scalar(c, y, 1), y));

/** The gradient flows to input 0 only (the others are shapes/axes). */
function onlyFirst(c: VjpContext, g: Value): (Value | null)[] {
  return c.node.inputs.map((_, i) => (i === 0 ? g : null));
}

function reshapeBack(c: VjpContext): Value {
  return op(c, 'Reshape', c.dOut[0], op(c, 'Shape', c.node.inputs[0]));
}

for (const [op, rule] of Object.entries(RULES)) defineGrad(op, rule);
