// THE layer table: one row per DSL layer with its parameters (type, default) and how it maps to ONNX
// nodes. A new layer is a new row. Every row also accepts `trainable` and `name` (see COMMON_PARAMS).
import type { Value } from '../../ir/graph.ts';
import { shapeToString } from '../../ir/infer.ts';
import type { LayerBuilder } from './builder.ts';
import { lcError, warn } from '../../diagnostics.ts';
import { linear, TRANSFORMER_LAYERS } from './layers-transformer.ts';

export type ParamType = 'int' | 'float' | 'bool' | 'string' | 'pad';
export type ArgValue = number | string | boolean;
export interface ParamSpec { name: string; type: ParamType; default?: ArgValue | ((a: Args) => ArgValue) }
export type Args = Record<string, ArgValue>;

/** Names of the arguments of a call that took their default (not written in the source); bindArgs records them. */
export const DEFAULTED_ARGS = new WeakMap<Args, Set<string>>();
const written = (a: Args, k: string): boolean => !DEFAULTED_ARGS.get(a)?.has(k);

export interface LayerDef {
  /** Name stem for auto-named instances: conv1, conv2, bn1, ... */
  prefix: string;
  params: ParamSpec[];
  /** Takes several tensors (concat) instead of one. */
  variadic?: boolean;
  build(b: LayerBuilder, xs: Value[], a: Args): Value;
}

export const COMMON_PARAMS: ParamSpec[] = [{ name: 'trainable', type: 'bool', default: true }, { name: 'name', type: 'string', default: '' }];

const num = (a: Args, k: string): number => a[k] as number;

/**
 * The two words for the running-statistics rate, each with its framework's meaning, as ONNX's `momentum`
 * attribute (the weight of the OLD running value):
 *   momentum (PyTorch): weight of the NEW batch statistic, running = (1 - m) running + m batch -> ONNX 1 - m
 *   decay (Keras/TF `momentum`): weight of the OLD value,  running = d running + (1 - d) batch -> ONNX d
 * Giving both is an error; a momentum of 0.5 or more is almost always a Keras number written with PyTorch's
 * word, so it gets a warning. Only a rate written in the source becomes an attribute: without one, the training
 * convention's default applies (--bn-convention keras: 0.99), and ONNX's default 0.9 (= PyTorch's 0.1) elsewhere.
 */
function bnMomentum(b: LayerBuilder, a: Args): Record<string, number> {
  const ctx = { span: b.span, file: b.span.file, node: b.name };
  const m = num(a, 'momentum'), d = num(a, 'decay');
  if (written(a, 'momentum') && written(a, 'decay')) {
    throw lcError('LC043', [`'decay'`, 'batchnorm', 'cannot be given with momentum: momentum (PyTorch) weighs the new batch, decay (Keras) the old running value; give one'], ctx);
  }
  for (const [k, x] of [['momentum', m], ['decay', d]] as const) if (x < 0 || x > 1) throw b.badArgument(k, `must be in [0, 1], got ${x}`);
  if (written(a, 'decay')) return { momentum: d };
  if (!written(a, 'momentum')) return {};
  if (m >= 0.5) {
    const rule = `running = ${Number((1 - m).toPrecision(6))} * running + ${m} * batch`;
    warn(`batchnorm '${b.name}': momentum=${m} weighs the NEW batch by ${m} (PyTorch's meaning: ${rule}); `
      + `did you mean decay=${m}? (Keras' momentum, the weight of the old value)`, ctx);
  }
  return { momentum: 1 - m };
}

/** Padding for pad="same" (SAME_UPPER like TF/ONNX): explicit pads when the spatial size is known. */
function samePads(b: LayerBuilder, x: Value, k: number, stride: number, dilation: number): number[] {
  const s = b.shape(x);
  const pads = [0, 0, 0, 0];
  for (let i = 0; i < 2; i++) {
    const size = s[2 + i];
    if (typeof size !== 'number') {
      if (stride !== 1) throw b.fail(`pad="same" with stride ${stride} needs a fixed spatial size, got ${shapeToString(s)}`);
      const total = dilation * (k - 1);
      pads[i] = Math.floor(total / 2); pads[i + 2] = total - pads[i];
      continue;
    }
    const out = Math.ceil(size / stride);
    const total = Math.max(0, (out - 1) * stride + dilation * (k - 1) + 1 - size);
    pads[i] = Math.floor(total / 2); pads[i + 2] = total - pads[i];
  }
  return pads;
}

function expectRank(b: LayerBuilder, x: Value, rank: number, hint: string): void {
  const s = b.shape(x);
  if (s.length !== rank) throw b.fail(`expects a ${rank}-D input ${hint}, got ${shapeToString(s)}${rank === 2 && s.length > 2 ? ' (add flatten before it)' : ''}`);
}

/** Kernel (with dilation) must fit in the padded input, when the size is known. */
function checkWindow(b: LayerBuilder, x: Value, k: number, pads: number[], dilation = 1): void {
  const s = b.shape(x);
  for (let i = 0; i < 2; i++) {
    const size = s[2 + i];
    const eff = dilation * (k - 1) + 1;
    if (typeof size === 'number' && size + pads[i] + pads[i + 2] < eff) {
      throw b.fail(`kernel ${eff}x${eff} is larger than the (padded) input ${shapeToString(s)}`);
    }
  }
}

const pads4 = (p: number): number[] => [p, p, p, p];
const unary = (prefix: string, op: string): LayerDef => ({ prefix, params: [], build: (b, [x]) => b.node(op, [x]) });

export const LAYERS: Record<string, LayerDef> = {
  conv2d: {
    prefix: 'conv',
    params: [{ name: 'out', type: 'int' }, { name: 'kernel', type: 'int' }, { name: 'stride', type: 'int', default: 1 },
      { name: 'pad', type: 'pad', default: 0 }, { name: 'dilation', type: 'int', default: 1 }, { name: 'groups', type: 'int', default: 1 },
      { name: 'bias', type: 'bool', default: true }],
    build(b, [x], a) {
      expectRank(b, x, 4, '[N, C, H, W]');
      const c = b.fixedDim(x, 1, 'the channel count');
      const [out, k, g, d, s] = [num(a, 'out'), num(a, 'kernel'), num(a, 'groups'), num(a, 'dilation'), num(a, 'stride')];
      if (c % g || out % g) throw b.fail(`groups=${g} must divide the input channels (${c}) and out (${out})`);
      const pads = a.pad === 'same' ? samePads(b, x, k, s, d) : pads4(num(a, 'pad'));
      checkWindow(b, x, k, pads, d);
      const fanIn = (c / g) * k * k;
      const w = b.param('weight', [out, c / g, k, k], 'param', 'weight', fanIn, (out / g) * k * k);
      const bias = a.bias ? b.param('bias', [out], 'param', 'zeros') : null;
      return b.node('Conv', bias ? [x, w, bias] : [x, w], { kernel_shape: [k, k], strides: [s, s], pads, dilations: [d, d], group: g });
    },
  },
  conv_transpose2d: {
    prefix: 'deconv',
    params: [{ name: 'out', type: 'int' }, { name: 'kernel', type: 'int' }, { name: 'stride', type: 'int', default: 1 },
      { name: 'pad', type: 'int', default: 0 }, { name: 'output_pad', type: 'int', default: 0 }, { name: 'bias', type: 'bool', default: true }],
    build(b, [x], a) {
      expectRank(b, x, 4, '[N, C, H, W]');
      const c = b.fixedDim(x, 1, 'the channel count');
      const [out, k, s, p, op] = [num(a, 'out'), num(a, 'kernel'), num(a, 'stride'), num(a, 'pad'), num(a, 'output_pad')];
      if (op >= s) throw b.badArgument('output_pad', `(${op}) must be smaller than stride (${s})`);
      const w = b.param('weight', [c, out, k, k], 'param', 'weight', out * k * k, c * k * k);
      const bias = a.bias ? b.param('bias', [out], 'param', 'zeros') : null;
      return b.node('ConvTranspose', bias ? [x, w, bias] : [x, w], { kernel_shape: [k, k], strides: [s, s], pads: pads4(p), output_padding: [op, op] });
    },
  },
  dense: {
    prefix: 'dense',
    params: [{ name: 'out', type: 'int' }, { name: 'bias', type: 'bool', default: true }],
    build(b, [x], a) {
      // [N, features], or tokens [N, T, features] (each token alike). Weight [out, in] like PyTorch's nn.Linear
      // (Gemm transB=1), so checkpoints load unchanged.
      if (b.shape(x).length !== 3) expectRank(b, x, 2, '[N, features] (or tokens [N, T, features])');
      return linear(b, x, num(a, 'out'), a.bias === true);
    },
  },
  batchnorm: {
    prefix: 'bn',
    params: [{ name: 'eps', type: 'float', default: 1e-5 }, { name: 'momentum', type: 'float', default: 0.1 },
      { name: 'scale', type: 'bool', default: true }, { name: 'center', type: 'bool', default: true },
      { name: 'decay', type: 'float', default: 0.99 }],
    build(b, [x], a) {
      const s = b.shape(x);
      if (s.length < 2) throw b.fail(`expects an input of rank >= 2 [N, C, ...], got ${shapeToString(s)}`);
      const c = b.fixedDim(x, 1, 'the channel count');
      const gamma = b.param('weight', [c], 'param', 'ones', 0, 0, b.trainable && a.scale === true);
      const beta = b.param('bias', [c], 'param', 'zeros', 0, 0, b.trainable && a.center === true);
      const mean = b.param('running_mean', [c], 'running_mean', 'zeros');
      const v = b.param('running_var', [c], 'running_var', 'ones');
      return b.node('BatchNormalization', [x, gamma, beta, mean, v], { epsilon: num(a, 'eps'), ...bnMomentum(b, a) });
    },
  },
  relu: unary('relu', 'Relu'),
  sigmoid: unary('sigmoid', 'Sigmoid'),
  tanh: unary('tanh', 'Tanh'),
  relu6: { prefix: 'relu6', params: [], build: (b, [x]) => b.node('Clip', [x, b.scalar('min', 0), b.scalar('max', 6)]) },
  leaky_relu: {
    prefix: 'leaky_relu', params: [{ name: 'alpha', type: 'float', default: 0.01 }],
    build: (b, [x], a) => b.node('LeakyRelu', [x], { alpha: num(a, 'alpha') }),
  },
  maxpool: pool('maxpool', 'MaxPool'),
  avgpool: pool('avgpool', 'AveragePool'),
  global_avgpool: {
    prefix: 'gap', params: [],
    build(b, [x]) { expectRank(b, x, 4, '[N, C, H, W]'); return b.node('GlobalAveragePool', [x]); },
  },
  flatten: { prefix: 'flatten', params: [], build: (b, [x]) => b.node('Flatten', [x], { axis: 1 }) },
  softmax: { prefix: 'softmax', params: [{ name: 'axis', type: 'int', default: -1 }], build: (b, [x], a) => b.node('Softmax', [x], { axis: num(a, 'axis') }) },
  dropout: {
    prefix: 'dropout', params: [{ name: 'p', type: 'float' }],
    build(b, [x], a) {
      const p = num(a, 'p');
      if (p < 0 || p >= 1) throw b.badArgument('p', `must be in [0, 1), got ${p}`);
      return b.node('Dropout', [x, b.scalar('ratio', p)]);
    },
  },
  concat: {
    prefix: 'concat', params: [{ name: 'axis', type: 'int', default: 1 }], variadic: true,
    build: (b, xs, a) => b.node('Concat', xs, { axis: num(a, 'axis') }),
  },
  ...TRANSFORMER_LAYERS,
};

function pool(prefix: string, op: string): LayerDef {
  return {
    prefix,
    params: [{ name: 'kernel', type: 'int' }, { name: 'stride', type: 'int', default: (a) => a.kernel }, { name: 'pad', type: 'int', default: 0 }],
    build(b, [x], a) {
      expectRank(b, x, 4, '[N, C, H, W]');
      const [k, s, p] = [num(a, 'kernel'), num(a, 'stride'), num(a, 'pad')];
      checkWindow(b, x, k, pads4(p));
      // AveragePool: count_include_pad=0 (padding does not count; Keras/TF behaviour, ONNX default).
      return b.node(op, [x], { kernel_shape: [k, k], strides: [s, s], pads: pads4(p) });
    },
  };
}
