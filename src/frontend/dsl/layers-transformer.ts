// The layer-table rows a transformer needs (issue #19): normalizations over features or channel groups, GELU and
// SiLU, upsampling, tokens and their position embedding, and multi-head self-attention. Every row lowers to
// standard ONNX ops (the attention to MatMul/Add/Reshape/Transpose/Softmax, the pattern the optimizer's
// attention fusion recognizes), so the training graph, both backends and any ONNX runtime run what it writes.
import type { Value } from '../../ir/graph.ts';
import { Tensor } from '../../ir/tensor.ts';
import { shapeToString } from '../../ir/infer.ts';
import type { LayerBuilder } from './builder.ts';
import type { Args, LayerDef } from './layers.ts';

const num = (a: Args, k: string): number => a[k] as number;
const ints = (b: LayerBuilder, suffix: string, xs: number[]): Value => b.graph.addConst(`${b.name}.${suffix}`, Tensor.fromArray('int64', [xs.length], xs));

/** The rank-3 input [N, T, C] of a token layer, with T and C fixed (they size reshapes and weights). */
function tokenShape(b: LayerBuilder, x: Value): [number, number] {
  const s = b.shape(x);
  if (s.length !== 3) throw b.fail(`expects a 3-D input of tokens [N, T, C], got ${shapeToString(s)}${s.length === 4 ? ' (add tokens before it)' : ''}`);
  return [b.fixedDim(x, 1, 'the token count T'), b.fixedDim(x, 2, 'the feature count C')];
}

/**
 * x [rows, f] or tokens [N, T, f] times a weight [out, f] (stored like PyTorch's nn.Linear) plus a bias: a Gemm
 * with transB=1, or for tokens MatMul(x, W^T) + b (a reshape to [N*T, f] would lose the symbol N).
 * `suffix` prefixes the parameter names ("q_proj.").
 */
export function linear(b: LayerBuilder, x: Value, out: number, bias: boolean, suffix = ''): Value {
  const s = b.shape(x);
  const f = b.fixedDim(x, s.length - 1, 'the feature count');
  const w = b.param(`${suffix}weight`, [out, f], 'param', 'weight', f, out);
  const bv = bias ? b.param(`${suffix}bias`, [out], 'param', 'zeros') : null;
  if (s.length === 2) return b.node('Gemm', bv ? [x, w, bv] : [x, w], { transB: 1 });
  const y = b.node('MatMul', [x, b.node('Transpose', [w], { perm: [1, 0] })]);
  return bv ? b.node('Add', [y, bv]) : y;
}

/** [N, T, C] -> [N, heads, T, C / heads] (`keyT`: [N, heads, C / heads, T], the key ready for q k^T). */
function splitHeads(b: LayerBuilder, x: Value, t: number, heads: number, dh: number, keyT = false): Value {
  const r = b.node('Reshape', [x, ints(b, 'heads_shape', [0, t, heads, dh])]);
  return b.node('Transpose', [r], { perm: keyT ? [0, 2, 3, 1] : [0, 2, 1, 3] });
}

export const TRANSFORMER_LAYERS: Record<string, LayerDef> = {
  layernorm: {
    prefix: 'ln',
    params: [{ name: 'axis', type: 'int', default: -1 }, { name: 'eps', type: 'float', default: 1e-5 }],
    build(b, [x], a) {
      const s = b.shape(x);
      const axis = num(a, 'axis') < 0 ? num(a, 'axis') + s.length : num(a, 'axis');
      if (axis < 1 || axis >= s.length) throw b.badArgument('axis', `must name a feature axis (1 to ${s.length - 1}, or -1 to ${1 - s.length}) of the input ${shapeToString(s)}, got ${num(a, 'axis')}`);
      const norm = s.slice(axis).map((_, i) => b.fixedDim(x, axis + i, `the normalized axis ${axis + i}`));
      if (!(num(a, 'eps') > 0)) throw b.badArgument('eps', `must be positive, got ${num(a, 'eps')}`);
      const g = b.param('weight', norm, 'param', 'ones'), beta = b.param('bias', norm, 'param', 'zeros');
      return b.node('LayerNormalization', [x, g, beta], { axis, epsilon: num(a, 'eps') });
    },
  },
  groupnorm: {
    prefix: 'gn',
    params: [{ name: 'groups', type: 'int' }, { name: 'eps', type: 'float', default: 1e-5 }],
    build(b, [x], a) {
      const s = b.shape(x);
      if (s.length < 3) throw b.fail(`expects an input [N, C, ...] of rank >= 3, got ${shapeToString(s)}`);
      const c = b.fixedDim(x, 1, 'the channel count'), g = num(a, 'groups');
      if (c % g) throw b.badArgument('groups', `(${g}) must divide the input channels (${c})`);
      if (!(num(a, 'eps') > 0)) throw b.badArgument('eps', `must be positive, got ${num(a, 'eps')}`);
      const scale = b.param('weight', [c], 'param', 'ones'), bias = b.param('bias', [c], 'param', 'zeros');
      return b.node('GroupNormalization', [x, scale, bias], { num_groups: g, epsilon: num(a, 'eps') });
    },
  },
  gelu: {
    prefix: 'gelu', params: [{ name: 'approximate', type: 'string', default: 'none' }],
    build(b, [x], a) {
      if (a.approximate !== 'none' && a.approximate !== 'tanh') throw b.badArgument('approximate', `must be "none" (erf) or "tanh", got "${a.approximate}"`);
      return b.node('Gelu', [x], { approximate: a.approximate });
    },
  },
  // SiLU (swish): x * sigmoid(x).
  silu: { prefix: 'silu', params: [], build: (b, [x]) => b.node('Mul', [x, b.node('Sigmoid', [x])]) },
  upsample: {
    prefix: 'up',
    params: [{ name: 'scale', type: 'int' }, { name: 'mode', type: 'string', default: 'nearest' }],
    build(b, [x], a) {
      const s = b.shape(x);
      if (s.length !== 4) throw b.fail(`expects a 4-D input [N, C, H, W], got ${shapeToString(s)}`);
      const k = num(a, 'scale');
      // PyTorch's nn.Upsample: nearest copies floor(i / k); bilinear with align_corners=False is half_pixel.
      const attrs: Record<string, string> | null = a.mode === 'nearest' ? { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }
        : a.mode === 'linear' ? { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }
          : null;
      if (!attrs) throw b.badArgument('mode', `must be "nearest" or "linear", got "${a.mode}"`);
      const scales = b.graph.addConst(`${b.name}.scales`, Tensor.fromArray('float32', [4], [1, 1, k, k]));
      return b.node('Resize', [x, null, scales], attrs);
    },
  },
  // [N, C, H, W] feature map (a patch embedding: conv2d with stride = kernel = patch) -> [N, H*W, C] tokens.
  tokens: {
    prefix: 'tokens', params: [],
    build(b, [x]) {
      const s = b.shape(x);
      if (s.length !== 4) throw b.fail(`expects a 4-D feature map [N, C, H, W], got ${shapeToString(s)}`);
      const c = b.fixedDim(x, 1, 'the channel count');
      return b.node('Transpose', [b.node('Reshape', [x, ints(b, 'shape', [0, c, -1])])], { perm: [0, 2, 1] });
    },
  },
  // A learnable position embedding added to [N, T, C] tokens (init uniform with std 0.02, like ViT's).
  pos_embedding: {
    prefix: 'pos',
    params: [],
    build(b, [x]) {
      const [t, c] = tokenShape(b, x);
      return b.node('Add', [x, b.param('weight', [1, t, c], 'param', 'small')]);
    },
  },
  reduce_mean: {
    prefix: 'mean', params: [{ name: 'axis', type: 'int', default: 1 }],
    build(b, [x], a) {
      const s = b.shape(x);
      const axis = num(a, 'axis');
      if (axis >= s.length || axis < -s.length) throw b.badArgument('axis', `${axis} is out of range for the input ${shapeToString(s)}`);
      return b.node('ReduceMean', [x, ints(b, 'axes', [axis])], { keepdims: 0 });
    },
  },
  multihead_attention: {
    prefix: 'attn',
    params: [{ name: 'dim', type: 'int' }, { name: 'heads', type: 'int' }, { name: 'bias', type: 'bool', default: true }],
    build(b, [x], a) {
      const [t] = tokenShape(b, x);
      const [dim, heads] = [num(a, 'dim'), num(a, 'heads')];
      if (dim % heads) throw b.badArgument('heads', `(${heads}) must divide dim (${dim})`);
      const dh = dim / heads, bias = a.bias === true;
      const q = splitHeads(b, linear(b, x, dim, bias, 'q_proj.'), t, heads, dh);
      const kT = splitHeads(b, linear(b, x, dim, bias, 'k_proj.'), t, heads, dh, true);
      const v = splitHeads(b, linear(b, x, dim, bias, 'v_proj.'), t, heads, dh);
      // softmax(q k^T / sqrt(dh)) v per head, [N, heads, T, dh]; heads back together as [N, T, dim].
      const scores = b.node('Mul', [b.node('MatMul', [q, kT]), b.scalar('scale', 1 / Math.sqrt(dh))]);
      const o = b.node('MatMul', [b.node('Softmax', [scores], { axis: -1 }), v]);
      const merged = b.node('Reshape', [b.node('Transpose', [o], { perm: [0, 2, 1, 3] }), ints(b, 'merged_shape', [0, t, dim])]);
      return linear(b, merged, dim, bias, 'out_proj.');
    },
  },
};
