// Node -> WGSL kernels: one emitter per op family in a table (op name -> emitter), each reading the node's
// static shapes and attributes and saying which buffers bind in which order. An op (or attribute
// combination) without an emitter is LC075; the executor then runs that node on the host and reports it.
// Everything on the device is f32, so only float32 nodes get kernels, except ops that move or compare
// values (exact in f32 for the small integers ONNX tests use): copies, Transpose, Concat, Pad, MaxPool, Clip.
import type { Node, Value } from '../../src/ir/graph.ts';
import { fusedAttrs } from '../../src/ops/fused.ts';
import { fusedView, isBaseOp, stepInputs, type BaseOp, type EpilogueStep } from '../../src/ops/fused-contract.ts';
import { readWindowAttrs, axisGeometry } from '../../src/ops/window.ts';
import { convTransposeGeometry } from '../../src/ops/conv.ts';
import { fullPads } from '../../src/ops/pad.ts';
import { RAISE, normAxes } from '../../src/ops/dims.ts';
import { emitRowEpilogue, splitAtRow, type Operand } from './epilogue.ts';
import { prod, shapeOf, unsupported, type BindRef, type EmitOptions, type Emitter, type Kernel } from './emit-util.ts';
import { emitBinary, emitClip, emitUnary, isBinary, isUnary } from './kernels/elementwise.ts';
import { emitConv } from './kernels/conv.ts';
import { emitMatMul } from './kernels/matmul.ts';
import { emitPool, emitRowMean } from './kernels/pool.ts';
import { emitSoftmax } from './kernels/softmax.ts';
import { REDUCE_OPS, emitReduce } from './kernels/reduce.ts';
import { emitBatchNormInference, emitBatchNormWithStats, emitChannelStats } from './kernels/batchnorm.ts';
import { emitConcatPart, emitCopy, emitPad, emitTranspose } from './kernels/layout.ts';
import { TRAINING_EMITTERS } from './emit-training.ts';
import { ZOO_EMITTERS } from './emit-zoo.ts';
import { MAX_ATTENTION_DV, emitAttention } from './kernels/attention.ts';
import { ATTENTION, attentionGeometry, layoutsOf } from '../../src/ops/attention.ts';

export type { BindRef, EmitOptions, Emitter, Kernel };

const constNumbers = (n: Node, v: Value | null | undefined, what: string): number[] | null => {
  if (!v) return null;
  if (!v.const) throw unsupported(n, `${what} must be a constant`);
  return Array.from(v.const.data as ArrayLike<number>);
};

/** Operands after the base inputs: epilogue steps name them by input index. */
function epilogueOperands(n: Node, first: number, epilogue: EpilogueStep[]): Operand[] {
  const used = new Set(epilogue.flatMap(stepInputs));
  return n.inputs.map((v, k) => ({ v, k })).filter(({ v, k }) => k >= first && v && used.has(k)).map(({ v, k }) => ({ input: k, index: shapeOf(n, v) }));
}

function convKernel(n: Node, attrs: Record<string, unknown>, baseInputs: number, epilogue: EpilogueStep[], transpose: boolean): Kernel {
  const x = shapeOf(n, n.inputs[0]), w = shapeOf(n, n.inputs[1]), y = shapeOf(n, n.outputs[0]);
  const win = readWindowAttrs(RAISE, n.op, attrs, (attrs.kernel_shape as number[] | undefined)?.length ? attrs.kernel_shape as number[] : w.slice(2));
  const geo = transpose ? convTransposeGeometry(RAISE, win, attrs, x.slice(2)) : x.slice(2).map((d, a) => axisGeometry(win, a, d));
  const steps: EpilogueStep[] = [...epilogue];
  const operands: Operand[] = [];
  // The bias (when present) is per channel by the base op's declaration, not by its input index.
  const bias = fusedView(n)?.bias;
  if (bias) { steps.unshift({ kind: 'add', input: bias.input }); operands.push({ input: bias.input, index: 'chan' }); }
  operands.push(...epilogueOperands(n, baseInputs, epilogue));
  const k = emitConv({ x, w, y, strides: win.strides, dilations: win.dilations, pads: [...geo.map((g) => g[0]), ...geo.map((g) => g[1])],
    group: Number(attrs.group ?? 1), transpose, operands, epilogue: steps });
  return { ...k, bind: [n.inputs[0]!, n.inputs[1]!, ...operands.map((o) => n.inputs[o.input]!), n.outputs[0]!] };
}

function matmulKernel(n: Node, attrs: Record<string, unknown>, op: string, baseInputs: number, epilogue: EpilogueStep[], o: EmitOptions): Kernel {
  const a = shapeOf(n, n.inputs[0]), b = shapeOf(n, n.inputs[1]), y = shapeOf(n, n.outputs[0]);
  if (a.length < 2 || b.length < 2) throw unsupported(n, '1-D MatMul operands');
  const transA = op === 'Gemm' && !!attrs.transA, transB = op === 'Gemm' && !!attrs.transB;
  const steps: EpilogueStep[] = [...epilogue];
  const operands: Operand[] = [];
  const bias = fusedView(n)?.bias; // Gemm's C: numpy-broadcast, times beta (src/ops/fused-contract.ts)
  if (bias) {
    steps.unshift({ kind: 'add', input: bias.input });
    operands.push({ input: bias.input, index: shapeOf(n, n.inputs[bias.input]), scale: bias.scale });
  }
  operands.push(...epilogueOperands(n, baseInputs, epilogue));
  const M = y[y.length - 2]!, N = y[y.length - 1]!, K = transA ? a[a.length - 2]! : a[a.length - 1]!;
  const k = emitMatMul({ M, K, N, transA, transB, batchA: a.slice(0, -2), batchB: b.slice(0, -2), batch: y.slice(0, -2),
    alpha: op === 'Gemm' ? Number(attrs.alpha ?? 1) : 1, operands, epilogue: steps, tiled: o.tiled !== false });
  return { ...k, bind: [n.inputs[0]!, n.inputs[1]!, ...operands.map((o) => n.inputs[o.input]!), n.outputs[0]!] };
}

/** The kernel per fused base (src/ops/fused-contract.ts BASE_OPS): a base added there without one is a type error. */
const FUSED_KERNELS: Record<BaseOp, (n: Node, attrs: Record<string, unknown>, baseInputs: number, epilogue: EpilogueStep[], o: EmitOptions) => Kernel> = {
  Conv: (n, a, k, e) => convKernel(n, a, k, e, false),
  ConvTranspose: (n, a, k, e) => convKernel(n, a, k, e, true),
  Gemm: (n, a, k, e, o) => matmulKernel(n, a, 'Gemm', k, e, o),
  MatMul: (n, a, k, e, o) => matmulKernel(n, a, 'MatMul', k, e, o),
};

/** A Gemm/MatMul whose epilogue has the row-wise layernorm step: the base kernel with the steps before it, then
 *  the row dispatch (./epilogue.ts emitRowEpilogue) in place on the finished output. */
function rowEpilogueKernels(n: Node, base: BaseOp, attrs: Record<string, unknown>, baseInputs: number, row: NonNullable<ReturnType<typeof splitAtRow>>, o: EmitOptions): Kernel[] {
  if (base !== 'Gemm' && base !== 'MatMul') throw unsupported(n, `a layernorm epilogue step after ${base} (rows are not the last axis)`);
  const first = FUSED_KERNELS[base](n, attrs, baseInputs, row.before, o);
  const y = shapeOf(n, n.outputs[0]), len = y.at(-1)!;
  if (len === 0) return [first];
  const ops = epilogueOperands(n, baseInputs, row.after);
  const { scale, bias } = row.norm;
  const k = emitRowEpilogue(prod(y) / len, len, row.norm, row.after, ops, y);
  return [first, { ...k, bind: [n.inputs[scale]!, ...(bias === null ? [] : [n.inputs[bias]!]), ...ops.map((p) => n.inputs[p.input]!), n.outputs[0]!] }];
}

function poolKernel(n: Node, attrs: Record<string, unknown>): Kernel[] {
  const x = shapeOf(n, n.inputs[0]), y = shapeOf(n, n.outputs[0]);
  if (Number(attrs.storage_order ?? 0) !== 0) throw unsupported(n, 'storage_order = 1');
  const win = readWindowAttrs(RAISE, n.op, attrs, attrs.kernel_shape as number[]);
  const geo = x.slice(2).map((d, a) => axisGeometry(win, a, d));
  const k = emitPool({ kind: n.op === 'MaxPool' ? 'max' : 'avg', x, y, kernel: win.kernel, strides: win.strides, dilations: win.dilations,
    pads: [...geo.map((g) => g[0]), ...geo.map((g) => g[1])], countIncludePad: !!attrs.count_include_pad, indices: n.outputs.length > 1 });
  return [{ ...k, bind: [n.inputs[0]!, ...n.outputs] }];
}

function batchNormKernels(n: Node, attrs: Record<string, unknown>): Kernel[] {
  const x = shapeOf(n, n.inputs[0]);
  const [N, C] = [x[0]!, x[1]!], S = prod(x.slice(2)), eps = Number(attrs.epsilon ?? 1e-5);
  const [X, scale, bias, mean, vr] = n.inputs as Value[];
  if (!attrs.training_mode) return [{ ...emitBatchNormInference(prod(x), C, S, eps), bind: [X, scale, bias, mean, vr, n.outputs[0]!] }];
  const stats = { scratch: `${n.name}_stats`, floats: 2 * C };
  const running = n.outputs.length === 3;
  return [
    { ...emitChannelStats(N, C, S, running ? { momentum: Number(attrs.momentum ?? 0.9) } : null), bind: [X, ...(running ? [mean, vr, n.outputs[1]!, n.outputs[2]!] : []), stats] },
    { ...emitBatchNormWithStats(prod(x), C, S, eps), bind: [X, scale, bias, stats, n.outputs[0]!] },
  ];
}

const io = (n: Node, k: { code: string; wg: number[] }, inputs: (Value | null | undefined)[]): Kernel[] =>
  [{ ...k, bind: [...inputs.filter((v): v is Value => !!v), ...n.outputs] }];

const copy = (n: Node): Kernel[] => io(n, emitCopy(prod(shapeOf(n, n.outputs[0]))), [n.inputs[0]]);

/** The op table. Ops that move values may run on any dtype; the rest need float32 (see FLOAT_ONLY below). */
const EMITTERS: Record<string, Emitter> = {
  Identity: copy, Reshape: copy, Flatten: copy, Squeeze: copy, Unsqueeze: copy,
  Dropout: (n, o) => {
    if (o.training || n.inputs[2]) throw unsupported(n, 'Dropout in training mode (host dropout stream)');
    if (n.outputs.length > 1) throw unsupported(n, 'Dropout mask output');
    return copy(n);
  },
  Transpose: (n) => {
    const x = shapeOf(n, n.inputs[0]);
    const perm = (n.attrs.perm as number[] | undefined)?.length ? n.attrs.perm as number[] : x.map((_, i) => x.length - 1 - i);
    return io(n, emitTranspose(x, perm), [n.inputs[0]]);
  },
  Concat: (n) => {
    // One kernel (one pipeline: the offset is baked in) per part: past a few parts the host is faster, and
    // 100k parts would mean 100k shader compiles (issue #16: > 60 s and 6 GB).
    if (n.inputs.length > MAX_CONCAT_PARTS) throw unsupported(n, `${n.inputs.length} inputs (a kernel per input above ${MAX_CONCAT_PARTS} costs more than the host copy)`);
    const y = shapeOf(n, n.outputs[0]);
    const axis = normAxes(RAISE, [Number(n.attrs.axis)], y.length)[0]!;
    let off = 0;
    return n.inputs.filter((v): v is Value => !!v).flatMap((v) => {
      const x = shapeOf(n, v);
      const k = { ...emitConcatPart(x, y, axis, off), bind: [v, n.outputs[0]!] };
      off += x[axis]!;
      return prod(x) ? [k] : [];
    });
  },
  Pad: (n) => {
    const x = shapeOf(n, n.inputs[0]), y = shapeOf(n, n.outputs[0]);
    const [begin] = fullPads(RAISE, constNumbers(n, n.inputs[1], 'pads')!, constNumbers(n, n.inputs[3], 'axes'), x.length);
    const fill = constNumbers(n, n.inputs[2], 'constant_value')?.[0] ?? 0;
    const { table, ...k } = emitPad(x, y, begin, String(n.attrs.mode ?? 'constant'), fill);
    return [{ ...k, bind: [n.inputs[0]!, { data: table }, n.outputs[0]!] }];
  },
  Clip: (n) => io(n, emitClip(prod(shapeOf(n, n.outputs[0])), { min: !!n.inputs[1], max: !!n.inputs[2] }), n.inputs),
  Conv: (n) => [convKernel(n, n.attrs, 3, [], false)],
  ConvTranspose: (n) => [convKernel(n, n.attrs, 3, [], true)],
  MatMul: (n, o) => [matmulKernel(n, n.attrs, 'MatMul', 2, [], o)],
  Gemm: (n, o) => [matmulKernel(n, n.attrs, 'Gemm', 3, [], o)],
  Fused: (n, o) => {
    const f = fusedAttrs(n.attrs);
    if (!isBaseOp(f.base)) throw unsupported(n, `Fused base ${f.base}`);
    const row = splitAtRow(f.epilogue);
    if (!row) return [FUSED_KERNELS[f.base](n, f.base_attrs as Record<string, unknown>, f.base_inputs, f.epilogue, o)];
    return rowEpilogueKernels(n, f.base, f.base_attrs as Record<string, unknown>, f.base_inputs, row, o);
  },
  MaxPool: (n) => poolKernel(n, n.attrs),
  AveragePool: (n) => poolKernel(n, n.attrs),
  GlobalAveragePool: (n) => { const x = shapeOf(n, n.inputs[0]); return io(n, emitRowMean(x[0]! * x[1]!, prod(x.slice(2))), [n.inputs[0]]); },
  GlobalMaxPool: (n) => { const x = shapeOf(n, n.inputs[0]); return io(n, emitReduce('ReduceMax', [x[0]! * x[1]!, prod(x.slice(2))], [1]), [n.inputs[0]]); },
  Softmax: (n) => softmax(n, false),
  LogSoftmax: (n) => softmax(n, true),
  BatchNormalization: (n) => batchNormKernels(n, n.attrs),
  ...Object.fromEntries(REDUCE_OPS.map((op): [string, Emitter] => [op, (n: Node) => {
    const x = shapeOf(n, n.inputs[0]);
    const given = constNumbers(n, n.inputs[1], 'axes');
    if (!given?.length && n.attrs.noop_with_empty_axes) return copy(n);
    const axes = given?.length ? normAxes(RAISE, given, x.length).sort((a, b) => a - b) : x.map((_, i) => i);
    return io(n, emitReduce(op, x, axes), [n.inputs[0]]);
  }])),
  ...TRAINING_EMITTERS,
  ...ZOO_EMITTERS,
  [ATTENTION]: (n) => {
    if (n.domain !== 'ai.layerc') throw unsupported(n, 'only ai.layerc::Attention has a kernel');
    const [q, k, v, mask] = n.inputs;
    const geo = attentionGeometry(shapeOf(n, q), shapeOf(n, k), shapeOf(n, v), mask ? shapeOf(n, mask) : null, layoutsOf(n.attrs));
    if (geo.Dv > MAX_ATTENTION_DV) throw unsupported(n, `value width ${geo.Dv} > ${MAX_ATTENTION_DV} (per-thread accumulator)`);
    return io(n, emitAttention(geo, Number(n.attrs.scale ?? 1)), n.inputs);
  },
};

function softmax(n: Node, log: boolean): Kernel[] {
  const x = shapeOf(n, n.inputs[0]);
  const axis = normAxes(RAISE, [Number(n.attrs.axis ?? -1)], x.length)[0]!;
  return io(n, emitSoftmax(prod(x.slice(0, axis)), x[axis]!, prod(x.slice(axis + 1)), log), [n.inputs[0]]);
}

const MAX_CONCAT_PARTS = 16;

const ANY_DTYPE = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Concat', 'Pad', 'MaxPool', 'Clip']);

export function emitNode(n: Node, o: EmitOptions = {}): Kernel[] {
  if (!ANY_DTYPE.has(n.op) && n.outputs.some((o) => o.type.dtype !== 'float32')) throw unsupported(n, `${n.outputs[0]?.type.dtype} output (kernels compute in f32)`);
  if (n.outputs.some((o) => prod(shapeOf(n, o)) === 0)) throw unsupported(n, 'empty tensor');
  if (isBinary(n.op) && n.inputs.length === 2) return io(n, emitBinary(n.op, shapeOf(n, n.inputs[0]), shapeOf(n, n.inputs[1]), shapeOf(n, n.outputs[0])), n.inputs);
  if (isUnary(n.op) && n.inputs.length === 1) return io(n, emitUnary(n.op, n.attrs as Record<string, unknown>, prod(shapeOf(n, n.outputs[0]))), n.inputs);
  const e = EMITTERS[n.op];
  if (!e) throw unsupported(n, 'no WGSL kernel for this op');
  return e(n, o);
}
