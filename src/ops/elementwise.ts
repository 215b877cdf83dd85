// Elementwise ONNX ops (opset 18 forms) with numpy-style broadcasting. Values are computed as JS doubles and
// stored into the output's typed array, so float32 results are rounded once (exact for + - * /), int8/uint8/
// int32 results wrap modulo 2^bits like the C kernels of onnxruntime, and integer Div truncates toward zero.
// int64 is held as doubles (see ir/dtype.ts): exact while |values| < 2^53.
import type { TensorType } from '../ir/graph.ts';
import { defineOp, type InferContext } from '../ir/registry.ts';
import { Tensor, stridesOf } from '../ir/tensor.ts';
import { isFloat, type DType } from '../ir/dtype.ts';
import { broadcastShapes, broadcastStrides, inferBroadcast, mapUnary, sameAsInput } from './util.ts';
import { lcError } from '../diagnostics.ts';

/** out[i] = f(x0[i0], x1[i1], ...) with multidirectional broadcasting over any number of inputs. */
export function broadcastNary(xs: Tensor[], f: (v: number[]) => number, dtype: DType): Tensor {
  let shape: number[] = [];
  for (const x of xs) {
    const s = broadcastShapes(shape, x.shape) as number[] | null;
    if (!s) throw lcError('LC032', [`cannot broadcast [${shape.join(', ')}] with [${x.shape.join(', ')}]`]);
    shape = s;
  }
  const out = Tensor.zeros(dtype, shape);
  const vals = new Array<number>(xs.length);
  if (xs.every((x) => x.size === out.size && x.rank === shape.length)) {
    // No broadcasting: same index everywhere (the common residual-add case; keeps the oracle usable on big nets).
    for (let i = 0; i < out.size; i++) {
      for (let k = 0; k < xs.length; k++) vals[k] = xs[k].data[i];
      out.data[i] = f(vals);
    }
    return out;
  }
  const strides = xs.map((x) => broadcastStrides(x.shape, shape));
  const os = stridesOf(shape);
  const idx = new Array<number>(xs.length);
  for (let i = 0; i < out.size; i++) {
    idx.fill(0);
    let rem = i;
    for (let d = 0; d < shape.length; d++) {
      const q = Math.floor(rem / os[d]);
      rem -= q * os[d];
      for (let k = 0; k < xs.length; k++) idx[k] += q * strides[k][d];
    }
    for (let k = 0; k < xs.length; k++) vals[k] = xs[k].data[idx[k]];
    out.data[i] = f(vals);
  }
  return out;
}

const NUMERIC: readonly DType[] = ['float32', 'float64', 'int64', 'int32', 'int8', 'uint8'];

function checkNumeric(ctx: InferContext, types: (TensorType | null)[]): void {
  for (const t of types) {
    if (t && !NUMERIC.includes(t.dtype)) ctx.fail('LC033', [`${ctx.node.op} does not take ${t.dtype} tensors`]);
  }
}

/** Integer division truncates toward zero (C semantics, as onnxruntime computes it). */
function divide(dtype: DType): (a: number, b: number) => number {
  if (isFloat(dtype)) return (a, b) => a / b;
  return (a, b) => {
    if (b === 0) throw lcError('LC035', ['integer division by zero']);
    return Math.trunc(a / b);
  };
}

/** int32 products can exceed 2^53 before wrapping: Math.imul wraps exactly. */
const multiply = (dtype: DType) => (dtype === 'int32' ? Math.imul : (a: number, b: number) => a * b);

const BINARY: Record<string, (dtype: DType) => (a: number, b: number) => number> = {
  Add: () => (a, b) => a + b,
  Sub: () => (a, b) => a - b,
  Mul: multiply,
  Div: divide,
};

for (const [name, make] of Object.entries(BINARY)) {
  defineOp({
    name,
    onnxSince: 7,
    traits: { elementwise: true },
    summary: `elementwise ${name} with broadcasting`,
    attrs: {},
    inputs: [2, 2],
    outputs: [1, 1],
    inferType(ctx) {
      checkNumeric(ctx, ctx.inputs);
      return [inferBroadcast(ctx)];
    },
    evalRef([a, b]) {
      return [broadcastNary([a!, b!], ([x, y]) => make(a!.dtype)(x, y), a!.dtype)];
    },
  });
}

// Pow: the exponent may have a different type; the result has the base's type.
defineOp({
  name: 'Pow',
  onnxSince: 7,
  traits: { elementwise: true },
  summary: 'elementwise power X^Y with broadcasting',
  attrs: {},
  inputs: [2, 2],
  outputs: [1, 1],
  inferType(ctx) {
    checkNumeric(ctx, ctx.inputs);
    const [x, y] = ctx.inputs as TensorType[];
    if (!x.shape || !y.shape) return [{ dtype: x.dtype, shape: null }];
    const shape = broadcastShapes(x.shape, y.shape);
    if (!shape) ctx.fail('LC032', [`cannot broadcast [${x.shape.join(', ')}] with [${y.shape.join(', ')}]`]);
    return [{ dtype: x.dtype, shape }];
  },
  evalRef([x, y]) {
    const f = isFloat(x!.dtype) ? Math.pow : (a: number, b: number) => Math.trunc(Math.pow(a, b));
    return [broadcastNary([x!, y!], ([a, b]) => f(a, b), x!.dtype)];
  },
});

const UNARY: Record<string, (x: number) => number> = {
  Neg: (x) => -x,
  Abs: Math.abs,
  Exp: Math.exp,
  Log: Math.log,
  Sqrt: Math.sqrt,
  Reciprocal: (x) => 1 / x,
  Floor: Math.floor,
  Ceil: Math.ceil,
};
const FLOAT_ONLY = new Set(['Exp', 'Log', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil']);

/** One elementwise unary op: `f` on every element (float64 in the reference, rounded once to the output type). */
export function defineUnaryOp(name: string, f: (x: number) => number, opts: { onnxSince: number; floatOnly: boolean }): void {
  defineOp({
    name,
    onnxSince: opts.onnxSince,
    traits: { elementwise: true },
    summary: `elementwise ${name}`,
    attrs: {},
    inputs: [1, 1],
    outputs: [1, 1],
    inferType(ctx) {
      const t = ctx.inputs[0]!;
      if (opts.floatOnly ? !isFloat(t.dtype) : !NUMERIC.includes(t.dtype)) {
        ctx.fail('LC033', [`${name} does not take ${t.dtype} tensors`]);
      }
      return sameAsInput(ctx);
    },
    evalRef([x]) { return [mapUnary(x!, f)]; },
  });
}

for (const [name, f] of Object.entries(UNARY)) defineUnaryOp(name, f, { onnxSince: 6, floatOnly: FLOAT_ONLY.has(name) });

// Clip (opset 13+): min and max are optional scalar inputs; absent bounds are the type's lowest/highest value.
// When min > max every value becomes max (the spec's rule, which min(max(x, lo), hi) gives).
defineOp({
  name: 'Clip',
  onnxSince: 6,
  traits: { elementwise: true },
  summary: 'clamps values to [min, max] (optional scalar inputs)',
  attrs: {},
  inputs: [1, 3],
  outputs: [1, 1],
  inferType(ctx) {
    checkNumeric(ctx, ctx.inputs);
    const [x, lo, hi] = ctx.inputs;
    for (const b of [lo, hi]) {
      if (!b) continue;
      if (b.dtype !== x!.dtype) ctx.fail('LC033', [`Clip bound has type ${b.dtype}, input has ${x!.dtype}`]);
      if (b.shape && b.shape.length > 0 && !(b.shape.length === 1 && b.shape[0] === 1)) {
        ctx.fail('LC032', [`Clip bounds must be scalars, got shape [${b.shape.join(', ')}]`]);
      }
    }
    return sameAsInput(ctx);
  },
  evalRef([x, lo, hi]) {
    const min = lo ? lo.data[0] : -Infinity;
    const max = hi ? hi.data[0] : Infinity;
    return [mapUnary(x!, (v) => Math.min(Math.max(v, min), max))];
  },
});

// Max/Min: variadic with broadcasting. NaN propagates (as in onnxruntime's float kernels).
for (const [name, pick] of [['Max', Math.max], ['Min', Math.min]] as const) {
  defineOp({
    name,
    onnxSince: 6,
    traits: { elementwise: true },
    summary: `elementwise ${name.toLowerCase()}imum of any number of inputs, with broadcasting`,
    attrs: {},
    inputs: [1, Infinity],
    outputs: [1, 1],
    inferType(ctx) {
      checkNumeric(ctx, ctx.inputs);
      return [inferBroadcast(ctx)];
    },
    evalRef(xs) {
      const ts = xs as Tensor[];
      return [broadcastNary(ts, (v) => pick(...v), ts[0].dtype)];
    },
  });
}

// Sum/Mean (opset 13): variadic elementwise sum / mean with broadcasting (float only for Mean's division).
for (const [name, finish] of [['Sum', (s: number) => s], ['Mean', (s: number, n: number) => s / n]] as const) {
  defineOp({
    name,
    onnxSince: 6,
    traits: { elementwise: true },
    summary: `elementwise ${name.toLowerCase()} of any number of inputs, with broadcasting`,
    attrs: {},
    inputs: [1, Infinity],
    outputs: [1, 1],
    inferType(ctx) {
      for (const t of ctx.inputs) if (t && !isFloat(t.dtype)) ctx.fail('LC033', [`${name} needs float tensors, got ${t.dtype}`]);
      return [inferBroadcast(ctx)];
    },
    evalRef(xs) {
      const ts = xs as Tensor[];
      return [broadcastNary(ts, (v) => finish(v.reduce((a, b) => a + b, 0), v.length), ts[0].dtype)];
    },
  });
}

// Comparisons produce bool tensors (stored as 0/1 bytes).
const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  Equal: (a, b) => a === b,
  Less: (a, b) => a < b,
  LessOrEqual: (a, b) => a <= b,
  Greater: (a, b) => a > b,
  GreaterOrEqual: (a, b) => a >= b,
};
for (const [name, cmp] of Object.entries(COMPARE)) {
  defineOp({
    name,
    onnxSince: name.endsWith('OrEqual') ? 12 : 7,
    summary: `elementwise comparison ${name} with broadcasting; bool result`,
    attrs: {},
    inputs: [2, 2],
    outputs: [1, 1],
    inferType(ctx) {
      if (name !== 'Equal') checkNumeric(ctx, ctx.inputs);
      return [inferBroadcast(ctx, 'bool')];
    },
    evalRef([a, b]) { return [broadcastNary([a!, b!], ([x, y]) => (cmp(x, y) ? 1 : 0), 'bool')]; },
  });
}

defineOp({
  name: 'Not',
  onnxSince: 1,
  summary: 'logical not of a bool tensor',
  attrs: {},
  inputs: [1, 1],
  outputs: [1, 1],
  inferType(ctx) {
    if (ctx.inputs[0]!.dtype !== 'bool') ctx.fail('LC033', [`Not takes bool, got ${ctx.inputs[0]!.dtype}`]);
    return sameAsInput(ctx);
  },
  evalRef([x]) { return [mapUnary(x!, (v) => (v ? 0 : 1))]; },
});

defineOp({
  name: 'Where',
  onnxSince: 9,
  summary: 'out = condition ? X : Y, with broadcasting over all three',
  attrs: {},
  inputs: [3, 3],
  outputs: [1, 1],
  inferType(ctx) {
    const [c, x, y] = ctx.inputs as TensorType[];
    if (c.dtype !== 'bool') ctx.fail('LC033', [`Where condition must be bool, got ${c.dtype}`]);
    if (x.dtype !== y.dtype) ctx.fail('LC033', [`Where branches have different types ${x.dtype} and ${y.dtype}`]);
    let shape = c.shape;
    for (const t of [x, y]) {
      if (!shape || !t.shape) return [{ dtype: x.dtype, shape: null }];
      const s = broadcastShapes(shape, t.shape);
      if (!s) ctx.fail('LC032', [`cannot broadcast [${shape.join(', ')}] with [${t.shape.join(', ')}]`]);
      shape = s;
    }
    return [{ dtype: x.dtype, shape }];
  },
  evalRef([c, x, y]) { return [broadcastNary([c!, x!, y!], ([k, a, b]) => (k ? a : b), x!.dtype)]; },
});
