// Data-movement ONNX ops (opset 18 forms): Identity, Dropout, Constant, Concat, Flatten, Transpose, Expand,
// Tile. Each reference implementation maps output indices to input indices directly, the plainest reading
// of the spec. Reshape and Pad live in their own files.
import type { Dim, TensorType } from '../ir/graph.ts';
import { defineOp } from '../ir/registry.ts';
import { Tensor, sizeOf, stridesOf } from '../ir/tensor.ts';
import { allocArray } from '../ir/dtype.ts';
import { broadcastShapes } from './util.ts';
import { broadcastNary } from './elementwise.ts';
import { RAISE, dimProduct, forEachIndex, normAxes } from './dims.ts';

defineOp({
  name: 'Identity',
  traits: { view: true },
  onnxSince: 1,
  summary: 'returns its input',
  attrs: {},
  inputs: [1, 1],
  outputs: [1, 1],
  inferType: (ctx) => [{ ...ctx.inputs[0]!, shape: ctx.inputs[0]!.shape && [...ctx.inputs[0]!.shape] }],
  evalRef: ([x]) => [x!],
});

// Dropout (opset 12+): ratio and training_mode are optional inputs. Outside training it is the identity with
// an all-true mask; in training each element is kept with probability 1 - ratio and scaled by 1/(1 - ratio).
defineOp({
  name: 'Dropout',
  traits: { view: 'inference' },
  onnxSince: 7,
  summary: 'identity at inference; random masking scaled by 1/(1-ratio) in training',
  attrs: { seed: { type: 'int' } },
  inputs: [1, 3],
  outputs: [1, 2],
  impure: true,
  inferType(ctx) {
    const x = ctx.inputs[0]!;
    const shape = x.shape && [...x.shape];
    return [{ dtype: x.dtype, shape }, { dtype: 'bool', shape: shape && [...shape] }];
  },
  evalRef([x, ratioT, modeT], ctx) {
    const ratio = ratioT ? ratioT.data[0] : 0.5;
    const training = modeT ? modeT.data[0] !== 0 : ctx.training === true;
    const mask = Tensor.zeros('bool', x!.shape);
    if (!training || ratio === 0) {
      mask.data.fill(1);
      return [x!, mask];
    }
    if (!(ratio >= 0 && ratio < 1)) RAISE.fail('LC030', ['ratio', `Dropout ratio must be in [0, 1), got ${ratio}`]);
    if (!ctx.random) RAISE.fail('LC035', ['Dropout in training mode needs a random source']);
    const out = Tensor.zeros(x!.dtype, x!.shape);
    const scale = 1 / (1 - ratio);
    for (let i = 0; i < out.size; i++) {
      const keep = ctx.random!() >= ratio;
      mask.data[i] = keep ? 1 : 0;
      out.data[i] = keep ? x!.data[i] * scale : 0;
    }
    return [out, mask];
  },
});

// Constant: exactly one of the value attributes. value_int(s) give int64, value_float(s) float32.
function constantValue(attrs: Record<string, unknown>): Tensor {
  const set = ['value', 'value_float', 'value_floats', 'value_int', 'value_ints', 'value_string', 'value_strings']
    .filter((k) => attrs[k] !== undefined);
  if (set.length !== 1) RAISE.fail('LC030', ['value', `Constant needs exactly one value attribute, got ${set.length ? set.join(', ') : 'none'}`]);
  const v = attrs[set[0]];
  switch (set[0]) {
    case 'value': return v as Tensor;
    case 'value_float': return Tensor.scalar('float32', v as number);
    case 'value_floats': return Tensor.fromArray('float32', [(v as number[]).length], v as number[]);
    case 'value_int': return Tensor.scalar('int64', v as number);
    case 'value_ints': return Tensor.fromArray('int64', [(v as number[]).length], v as number[]);
    default: return RAISE.fail('LC035', ['string constants are not supported']);
  }
}

defineOp({
  name: 'Constant',
  onnxSince: 1,
  summary: 'a constant tensor given as an attribute',
  attrs: {
    value: { type: 'tensor' }, value_float: { type: 'float' }, value_floats: { type: 'floats' },
    value_int: { type: 'int' }, value_ints: { type: 'ints' }, value_string: { type: 'string' }, value_strings: { type: 'strings' },
  },
  inputs: [0, 0],
  outputs: [1, 1],
  inferType(ctx) {
    const t = constantValue(ctx.attrs);
    return [{ dtype: t.dtype, shape: [...t.shape] }];
  },
  evalRef: (_, ctx) => [constantValue(ctx.attrs)],
});

defineOp({
  name: 'Concat',
  onnxSince: 4,
  summary: 'joins tensors along an axis',
  attrs: { axis: { type: 'int', required: true } },
  inputs: [1, Infinity],
  outputs: [1, 1],
  inferType(ctx) {
    const ins = ctx.inputs as TensorType[];
    const dtype = ins[0].dtype;
    for (const t of ins) if (t.dtype !== dtype) ctx.fail('LC033', [`Concat inputs have different types ${dtype} and ${t.dtype}`]);
    if (ins.some((t) => !t.shape)) return [{ dtype, shape: null }];
    const shapes = ins.map((t) => t.shape!);
    const rank = shapes[0].length;
    const [axis] = normAxes(ctx, [ctx.attrs.axis as number], rank, 'axis');
    const out: Dim[] = [...shapes[0]];
    for (const s of shapes.slice(1)) {
      if (s.length !== rank) ctx.fail('LC032', [`Concat inputs have ranks ${rank} and ${s.length}`]);
      s.forEach((d, i) => {
        if (i === axis) return;
        if (typeof d === 'number' && typeof out[i] === 'number' && d !== out[i]) {
          ctx.fail('LC032', [`Concat inputs differ in dim ${i} ([${shapes[0].join(', ')}] vs [${s.join(', ')}])`]);
        }
        if (typeof out[i] === 'string' && typeof d === 'number') out[i] = d;
      });
    }
    const along = shapes.map((s) => s[axis]);
    out[axis] = along.every((d) => typeof d === 'number') ? (along as number[]).reduce((a, b) => a + b, 0) : ctx.freshDim('concat');
    return [{ dtype, shape: out }];
  },
  evalRef(xs, ctx) {
    const ts = xs as Tensor[];
    const rank = ts[0].rank;
    const [axis] = normAxes(RAISE, [ctx.attrs.axis as number], rank, 'axis');
    const shape = [...ts[0].shape];
    shape[axis] = ts.reduce((a, t) => a + t.shape[axis], 0);
    const out = Tensor.zeros(ts[0].dtype, shape);
    // Rows of the outer dims: each input contributes one contiguous block of shape[axis..] per row.
    const outer = sizeOf(shape.slice(0, axis));
    let pos = 0;
    for (let o = 0; o < outer; o++) {
      for (const t of ts) {
        const block = sizeOf(t.shape.slice(axis));
        out.data.set(t.data.subarray(o * block, (o + 1) * block), pos);
        pos += block;
      }
    }
    return [out];
  },
});

defineOp({
  name: 'Flatten',
  traits: { view: true },
  onnxSince: 1,
  summary: 'reshapes to 2-D: [prod(dims before axis), prod(dims from axis)]',
  attrs: { axis: { type: 'int', default: 1 } },
  inputs: [1, 1],
  outputs: [1, 1],
  inferType(ctx) {
    const x = ctx.inputs[0]!;
    if (!x.shape) return [{ dtype: x.dtype, shape: [ctx.freshDim('flatten'), ctx.freshDim('flatten')] }];
    const axis = flattenAxis(ctx.attrs.axis as number, x.shape.length);
    return [{ dtype: x.dtype, shape: [dimProduct(ctx, x.shape.slice(0, axis), 'flatten'), dimProduct(ctx, x.shape.slice(axis), 'flatten')] }];
  },
  evalRef([x], ctx) {
    const axis = flattenAxis(ctx.attrs.axis as number, x!.rank);
    return [x!.reshape([sizeOf(x!.shape.slice(0, axis)), sizeOf(x!.shape.slice(axis))])];
  },
});

/** Flatten accepts axis in [-r, r] (axis = r flattens everything into the first dim). */
function flattenAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a > rank) RAISE.fail('LC030', ['axis', `Flatten axis ${axis} is out of range [${-rank}, ${rank}]`]);
  return a;
}

function transposePerm(perm: number[] | undefined, rank: number, fail = RAISE): number[] {
  const p = perm ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (p.length !== rank) fail.fail('LC030', ['perm', `perm [${p.join(', ')}] has ${p.length} entries for rank ${rank}`]);
  return normAxes(fail, p, rank, 'perm');
}

defineOp({
  name: 'Transpose',
  onnxSince: 1,
  summary: 'permutes axes (default: reverses them)',
  attrs: { perm: { type: 'ints' } },
  inputs: [1, 1],
  outputs: [1, 1],
  inferType(ctx) {
    const x = ctx.inputs[0]!;
    if (!x.shape) return [{ dtype: x.dtype, shape: null }];
    const p = transposePerm(ctx.attrs.perm as number[] | undefined, x.shape.length, ctx);
    return [{ dtype: x.dtype, shape: p.map((a) => x.shape![a]) }];
  },
  evalRef([x], ctx) {
    const p = transposePerm(ctx.attrs.perm as number[] | undefined, x!.rank);
    const shape = p.map((a) => x!.shape[a]);
    const inStrides = stridesOf(x!.shape);
    const out = Tensor.zeros(x!.dtype, shape);
    forEachIndex(shape, (idx, flat) => {
      let off = 0;
      for (let d = 0; d < p.length; d++) off += idx[d] * inStrides[p[d]];
      out.data[flat] = x!.data[off];
    });
    return [out];
  },
});

// Expand: broadcasts the input against a shape input (bidirectionally: a 1 in `shape` keeps the input dim).
defineOp({
  name: 'Expand',
  onnxSince: 8,
  summary: 'broadcasts the input to a shape input',
  attrs: {},
  inputs: [2, 2],
  outputs: [1, 1],
  inferType(ctx) {
    const [x, s] = ctx.inputs as TensorType[];
    if (s.dtype !== 'int64') ctx.fail('LC033', [`Expand shape must be int64, got ${s.dtype}`]);
    const target = ctx.constInput(1);
    if (!target || !x.shape) {
      const k = s.shape?.[0];
      if (typeof k !== 'number' || !x.shape) return [{ dtype: x.dtype, shape: null }];
      const rank = Math.max(k, x.shape.length);
      const padded = [...Array(rank - x.shape.length).fill(1), ...x.shape] as Dim[];
      return [{ dtype: x.dtype, shape: padded.map((d) => (typeof d === 'number' && d > 1 ? d : ctx.freshDim('expand'))) }];
    }
    const shape = broadcastShapes(x.shape, target.toNumbers());
    if (!shape) ctx.fail('LC032', [`Expand: cannot broadcast [${x.shape.join(', ')}] to [${target.toNumbers().join(', ')}]`]);
    return [{ dtype: x.dtype, shape }];
  },
  evalRef([x, s]) {
    const ones = new Tensor(x!.dtype, s!.toNumbers(), allocArray(x!.dtype, sizeOf(s!.toNumbers())));
    return [broadcastNary([x!, ones], ([v]) => v, x!.dtype)];
  },
});

defineOp({
  name: 'Tile',
  onnxSince: 6,
  summary: 'repeats the input along each axis by an int64 repeats input',
  attrs: {},
  inputs: [2, 2],
  outputs: [1, 1],
  inferType(ctx) {
    const x = ctx.inputs[0]!;
    const reps = ctx.constInput(1)?.toNumbers();
    if (!x.shape) return [{ dtype: x.dtype, shape: null }];
    if (!reps) return [{ dtype: x.dtype, shape: x.shape.map((d) => (d === 0 ? 0 : ctx.freshDim('tile'))) }];
    if (reps.length !== x.shape.length) ctx.fail('LC032', [`Tile: repeats has ${reps.length} entries for rank ${x.shape.length}`]);
    if (reps.some((r) => r < 0)) ctx.fail('LC032', [`Tile: negative repeats [${reps.join(', ')}]`]);
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (typeof d === 'number' ? d * reps[i] : reps[i] === 1 ? d : ctx.freshDim('tile'))) }];
  },
  evalRef([x, r]) {
    const reps = r!.toNumbers();
    if (reps.length !== x!.rank || reps.some((v) => v < 0)) RAISE.fail('LC032', [`Tile: bad repeats [${reps.join(', ')}] for rank ${x!.rank}`]);
    const shape = x!.shape.map((d, i) => d * reps[i]);
    const inStrides = stridesOf(x!.shape);
    const out = Tensor.zeros(x!.dtype, shape);
    forEachIndex(shape, (idx, flat) => {
      let off = 0;
      for (let d = 0; d < idx.length; d++) off += (idx[d] % x!.shape[d]) * inStrides[d];
      out.data[flat] = x!.data[off];
    });
    return [out];
  },
});
