// Random models for differential testing of the backends (test/props/backends.test.ts, npm run fuzz:backends).
// Where test/js/graphs.ts draws CNN chains for kernel checks, this generator aims at the corners of the op
// registry and of the fused-node contract: optional inputs absent or present (Conv/ConvTranspose bias, Gemm C,
// Clip bounds), values with several users, graph outputs in the middle of a chain, every epilogue operand shape
// (scalar, per channel, per column, per row, full, with and without leading 1s, a constant or a second graph
// input) in both operand orders — in particular a bias-free Conv/Gemm/MatMul followed by Add/Mul of a full
// tensor — odd shapes (primes, 1x1, large and rectangular kernels, stride > kernel, groups and depthwise,
// dilation, asymmetric pads), and a symbolic batch; and the ops added for issue #19 with both kernels
// (Gelu in both approximations, Erf, Softplus, Mish, Sin, Cos; Layer/Instance/GroupNormalization with and
// without B; Resize nearest and linear from scales or from sizes with axes, several coordinate modes; Split
// by lengths or into equal parts, on any axis; SpaceToDepth/DepthToSpace in both modes; Sum and Mean of 2-3
// broadcast inputs; ReduceL2; Einsum as a 1x1 channel mix, a matrix on the last axis, a MatMul and its
// transposed form; a Gemm/MatMul (+ bias, + residual) followed by LayerNorm, the fused layernorm epilogue's
// pattern); an inverted-residual block (1x1 expand, depthwise, 1x1 project, channels multiples of 4: the js layout
// pass's NCHWc4 region, runtime/js/layout.ts); a 3x3 conv wide enough for the js backend's Winograd kernels. The fast-check record holds the structure (so it shrinks layer by layer); the details of
// each layer come from an LCG seeded by `seed`.
import fc from 'fast-check';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { lcg, uniformTensor } from './random.ts';
import '../../src/ops/index.ts';

export const IMAGE_LAYERS = ['conv', 'conv', 'convNoBias', 'dw', 'convT', 'bn', 'act', 'operand', 'operand', 'residual', 'pool', 'concat', 'tap',
  'smooth', 'norm', 'resize', 'split', 'depthSpace', 'sumMean', 'reduceL2', 'einsum', 'mbBlock', 'wino'] as const;
export const VECTOR_LAYERS = ['gemm', 'matmul', 'act', 'operand', 'operand', 'bn', 'tap', 'smooth', 'layerNorm', 'einsum', 'reduceL2', 'linearNorm'] as const;
export type ImageLayer = typeof IMAGE_LAYERS[number];
export type VectorLayer = typeof VECTOR_LAYERS[number];

export interface ModelCase {
  image: ImageLayer[];
  /** After the image layers: Flatten (or GlobalAveragePool + Flatten) then these on [N, features]. */
  vector: VectorLayer[] | null;
  N: number; C: number; H: number; W: number;
  /** The batch dimension is declared symbolic ('N'); the feeds fix it. */
  symbolic: boolean;
  seed: number;
}

const DIMS = [1, 2, 3, 5, 7, 8, 11, 13];
export const modelCase: fc.Arbitrary<ModelCase> = fc.record({
  image: fc.array(fc.constantFrom(...IMAGE_LAYERS), { minLength: 0, maxLength: 6 }),
  vector: fc.option(fc.array(fc.constantFrom(...VECTOR_LAYERS), { minLength: 0, maxLength: 4 }), { nil: null }),
  N: fc.integer({ min: 1, max: 3 }), C: fc.constantFrom(1, 2, 3, 4, 5, 6),
  H: fc.constantFrom(...DIMS), W: fc.constantFrom(...DIMS),
  symbolic: fc.boolean(), seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
});

export interface Model { graph: Graph; feeds: Record<string, Tensor> }

const ACTS = ['Relu', 'Sigmoid', 'Tanh', 'LeakyRelu', 'HardSigmoid', 'HardSwish', 'Clip'] as const;
const SMOOTH = ['Gelu', 'GeluTanh', 'Erf', 'Softplus', 'Mish', 'Sin', 'Cos'] as const;

/** Builds the graph (shapes inferred) and its feeds. */
export function buildModel(c: ModelCase): Model {
  const rnd = lcg(c.seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  const g = new Graph('random');
  const batch = c.symbolic ? 'N' : c.N;
  const feeds: Record<string, Tensor> = {};
  const input = (name: string, shape: number[]) => {
    const v = g.addInput(g.uniqueName(name), { dtype: 'float32', shape: [batch, ...shape.slice(1)] });
    feeds[v.name] = uniformTensor(shape, rnd);
    return v;
  };
  let v: Value = input('x', [c.N, c.C, c.H, c.W]);
  const seen: Value[] = [v];
  const outputs: Value[] = [];
  const dims = (x: Value) => x.type.shape!.map((d) => (typeof d === 'number' ? d : c.N));
  const konst = (s: number[], lo = -1, hi = 1) => g.addConst('k', uniformTensor(s, rnd, lo, hi));
  const node = (op: string, inputs: (Value | null)[], attrs: Record<string, unknown> = {}) => {
    const n = g.addNode(op, inputs, attrs as never);
    inferShapes(g);
    return n.outputs[0]!;
  };
  const act = (x: Value) => {
    const a = pick(ACTS);
    if (a === 'Clip') {
      // Clip's bounds are optional inputs: none, min only, max only, both.
      const form = int(0, 3);
      return node('Clip', [x, form & 1 ? konst([], -0.6, -0.1) : null, form & 2 ? konst([], 0.1, 0.7) : null].slice(0, form & 2 ? 3 : form & 1 ? 2 : 1));
    }
    return node(a, [x], a === 'LeakyRelu' ? { alpha: 0.05 + rnd() } : a === 'HardSigmoid' ? { alpha: 0.1 + 0.3 * rnd(), beta: 0.5 } : {});
  };
  /** A binary op with an operand broadcast to `x` in one of the epilogue operand shapes; either order. */
  const withOperand = (x: Value, preferFull = false) => {
    const s = dims(x);
    const rank = s.length;
    const C = s[1]!, last = s[rank - 1]!;
    const shapes: number[][] = rank === 4
      ? [[], [1], [C, 1, 1], [1, C, 1, 1], [last], [1, last], [1, 1, 1, last], [s[2]!, 1], s.slice(1), [1, ...s.slice(1)]]
      : [[], [1], [last], [1, last], ...(c.symbolic ? [] : [[s[0]!, 1]])];
    const kind = preferFull && rnd() < 0.7 ? int(shapes.length, shapes.length + 1) : int(0, shapes.length + 1);
    let other: Value;
    if (kind < shapes.length) other = konst(shapes[kind]!, 0.5, 1.5);
    else if (kind === shapes.length && !c.symbolic) other = konst(s);
    else { other = input('r', s); seen.push(other); }
    const op = pick(['Add', 'Add', 'Mul', 'Sub']);
    return node(op, rnd() < 0.7 ? [x, other] : [other, x]);
  };
  const convAttrs = (H: number, W: number) => {
    for (;;) {
      const large = rnd() < 0.15;
      const kh = large ? int(6, 11) : int(1, 5), kw = rnd() < 0.2 ? int(1, 5) : kh;
      // Dilation per axis (sometimes different: a kernel that swaps or drops one axis's dilation shows).
      const d = kh < 6 && kw < 6 && rnd() < 0.3 ? int(2, 3) : 1, dw = rnd() < 0.5 ? d : kw < 6 ? int(1, 3) : 1;
      const s = rnd() < 0.2 ? int(3, 5) : int(1, 2);
      const pad = (k: number) => int(0, Math.min(k - 1, 5));
      const pads = rnd() < 0.5 ? (() => { const p = pad(Math.min(kh, kw)); return [p, p, p, p]; })() : [pad(kh), pad(kw), pad(kh), pad(kw)];
      if (H + pads[0]! + pads[2]! >= (kh - 1) * d + 1 && W + pads[1]! + pads[3]! >= (kw - 1) * dw + 1) {
        return { kernel_shape: [kh, kw], strides: [s, rnd() < 0.2 ? int(1, 3) : s], pads, dilations: [d, dw] };
      }
    }
  };
  const out = (x: Value) => { if (!outputs.includes(x) && !g.inputs.includes(x)) outputs.push(x); };
  const i64 = (xs: number[]) => g.addConst('k', Tensor.fromArray('int64', [xs.length], xs));
  const smooth = (x: Value) => {
    const f = pick(SMOOTH);
    return f === 'GeluTanh' ? node('Gelu', [x], { approximate: 'tanh' }) : node(f, [x]);
  };
  /** LayerNormalization over the axes from `axis` on (Scale and the optional B of that shape). */
  const layerNorm = (x: Value, axis: number) => {
    const s = dims(x).slice(axis);
    return node('LayerNormalization', [x, konst(s, 0.5, 1.5), ...(rnd() < 0.5 ? [konst(s)] : [])], { axis, epsilon: pick([1e-5, 1e-3]) });
  };
  /** x times its 2-norm over some axes (kept as 1s), which broadcasts back. */
  const reduceL2 = (x: Value) => {
    const rank = dims(x).length, axes = rank === 4 ? pick([[1], [2, 3], [3], [1, 2, 3]]) : [1];
    return node('Mul', [x, node('ReduceL2', [x, i64(axes)], { keepdims: 1 })]);
  };

  for (const layer of c.image) {
    const [, C, H, W] = dims(v) as [number, number, number, number];
    switch (layer) {
      case 'conv': case 'convNoBias': case 'dw': {
        const dw = layer === 'dw';
        const group = dw ? C : C % 2 === 0 && rnd() < 0.3 ? 2 : C % 3 === 0 && rnd() < 0.2 ? 3 : 1;
        const M = dw ? C * int(1, 2) : group * pick([1, 2, 3, 5, 7]);
        const a = convAttrs(H, W);
        const bias = layer !== 'convNoBias' && rnd() < 0.6 ? konst([M]) : null;
        v = node('Conv', [v, konst([M, C / group, ...a.kernel_shape]), ...(bias ? [bias] : [])], { ...a, group });
        // The known hole: a bias-free conv followed by an operand the size of its output.
        if (layer === 'convNoBias' && rnd() < 0.6) v = withOperand(v, true);
        break;
      }
      case 'convT': {
        if (H > 9 || W > 9) { v = act(v); break; }
        const k = int(1, 4), s = int(1, 3);
        // Pads crop the result: keep at least one row and column.
        const crop = (D: number) => Math.min(k - 1, Math.floor(((D - 1) * s + k - 1) / 2));
        const p = int(0, crop(H)), q = int(0, crop(W));
        const M = pick([1, 2, 3, 5]);
        const bias = rnd() < 0.5 ? konst([M]) : null;
        v = node('ConvTranspose', [v, konst([C, M, k, k]), ...(bias ? [bias] : [])],
          { kernel_shape: [k, k], strides: [s, s], pads: [p, q, p, q], output_padding: s > 1 && rnd() < 0.5 ? [s - 1, 0] : [0, 0] });
        break;
      }
      case 'bn':
        v = node('BatchNormalization', [v, konst([C], 0.5, 1.5), konst([C]), konst([C]), konst([C], 0.2, 2)], { epsilon: pick([1e-5, 1e-3]) });
        break;
      case 'act': v = act(v); break;
      case 'operand': v = withOperand(v); break;
      case 'wino': {
        // A 3x3 stride-1 conv wide enough that the js cost model takes Winograd: the tiled kernel, or the small-map
        // one on maps of few tiles (runtime/js/kernels/winograd*.ts), often with a residual-style operand after it.
        const M = pick([16, 32]), pads = rnd() < 0.8 ? [1, 1, 1, 1] : [int(0, 1), int(0, 1), int(0, 1), int(0, 1)];
        if (H + pads[0]! + pads[2]! < 3 || W + pads[1]! + pads[3]! < 3) { v = act(v); break; }
        // Few input channels: widen with a 1x1 conv first (the GEMMs over channels must pay for the transforms).
        const Cw = C < 8 ? 16 : C;
        if (Cw !== C) v = node('Conv', [v, konst([Cw, C, 1, 1])], {});
        v = node('Conv', [v, konst([M, Cw, 3, 3]), ...(rnd() < 0.7 ? [konst([M])] : [])], { kernel_shape: [3, 3], pads });
        if (rnd() < 0.5) v = act(v);
        break;
      }
      case 'mbBlock': {
        // Inverted residual (MobileNetV2): expand 1x1 -> act -> depthwise 3x3 (stride 1 or 2, pad 1) -> act -> project 1x1.
        const E = pick([4, 8, 12]), M = pick([4, 8]), s = int(1, 2);
        const pw = (x: Value, cin: number, cout: number) => node('Conv', [x, konst([cout, cin, 1, 1]), konst([cout])], {});
        const e = act(pw(v, C, E));
        const d = act(node('Conv', [e, konst([E, 1, 3, 3]), konst([E])], { kernel_shape: [3, 3], strides: [s, s], pads: [1, 1, 1, 1], group: E }));
        v = pw(d, E, M);
        break;
      }
      case 'residual': {
        const same = seen.filter((x) => x !== v && dims(x).join() === dims(v).join() && x.type.shape!.join() === v.type.shape!.join());
        v = same.length ? node(pick(['Add', 'Mul']), rnd() < 0.5 ? [v, pick(same)] : [pick(same), v]) : withOperand(v);
        break;
      }
      case 'pool': {
        const k = int(1, Math.min(3, H, W)), s = int(1, 3), p = int(0, Math.floor(k / 2));
        if (rnd() < 0.2) { v = node('GlobalAveragePool', [v]); break; }
        const max = rnd() < 0.5;
        v = node(max ? 'MaxPool' : 'AveragePool', [v], { kernel_shape: [k, k], strides: [s, s], pads: [p, p, p, p],
          ceil_mode: rnd() < 0.3 ? 1 : 0, ...(max ? {} : { count_include_pad: rnd() < 0.5 ? 1 : 0 }) });
        break;
      }
      case 'concat': v = node('Concat', rnd() < 0.5 ? [v, act(v)] : [act(v), v], { axis: 1 }); break;
      case 'tap': out(v); v = act(v); break;
      case 'smooth': v = smooth(v); break;
      case 'norm': {
        const kind = int(0, 2);
        const divisors = [1, 2, 3, 4, 5, 6].filter((d) => C % d === 0);
        if (kind === 0) v = layerNorm(v, int(1, 3));
        else v = node(kind === 1 ? 'InstanceNormalization' : 'GroupNormalization', [v, konst([C], 0.5, 1.5), konst([C])],
          { epsilon: pick([1e-5, 1e-3]), ...(kind === 2 ? { num_groups: pick(divisors) } : {}) });
        break;
      }
      case 'resize': {
        // (A symbolic batch leaves Resize's output dims unknown to shape inference: not drawn there.)
        if (H * W > 100 || c.symbolic) { v = smooth(v); break; }
        const mode = pick(['nearest', 'linear']);
        const attrs = { mode, coordinate_transformation_mode: pick(['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel']),
          ...(mode === 'nearest' ? { nearest_mode: pick(['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil']) } : {}) };
        // Optional inputs: roi absent; either scales (every axis) or sizes with axes = [2, 3].
        v = rnd() < 0.5
          ? node('Resize', [v, null, g.addConst('k', Tensor.fromArray('float32', [4], [1, 1, pick([1, 2, 3]), pick([2, 3])]))], attrs)
          : node('Resize', [v, null, null, i64([int(1, 2 * H), int(1, 2 * W)])], { ...attrs, axes: [2, 3] });
        break;
      }
      case 'split': {
        const axis = [1, 2, 3].filter((a) => dims(v)[a]! >= 2);
        if (!axis.length) { v = smooth(v); break; }
        const ax = pick(axis), L = dims(v)[ax]!, a = int(1, L - 1);
        const equal = rnd() < 0.5;
        const n = g.addNode('Split', [v, ...(equal ? [] : [i64([a, L - a])])], { axis: ax, ...(equal ? { num_outputs: 2 } : {}) }, { numOutputs: 2 });
        inferShapes(g);
        const [p0, p1] = n.outputs as [Value, Value];
        if (rnd() < 0.3) out(p0);
        v = node('Concat', [p1, act(p0)], { axis: ax });
        break;
      }
      case 'depthSpace': {
        const mode = pick(['DCR', 'CRD']);
        if (H % 2 === 0 && W % 2 === 0) v = node('DepthToSpace', [act(node('SpaceToDepth', [v], { blocksize: 2 }))], { blocksize: 2, mode });
        else if (C % 4 === 0) v = node('DepthToSpace', [v], { blocksize: 2, mode });
        else v = smooth(v);
        break;
      }
      case 'sumMean': {
        const more = rnd() < 0.5 ? [konst(pick([[C, 1, 1], [W], [1]]))] : [];
        v = node(pick(['Sum', 'Mean']), [v, act(v), ...more]);
        break;
      }
      case 'reduceL2': v = reduceL2(v); break;
      case 'einsum':
        v = rnd() < 0.5 ? node('Einsum', [v, konst([pick([1, 2, 3, 5]), C])], { equation: 'nchw,dc->ndhw' })
          : node('Einsum', [v, konst([W, pick([1, 2, 4, 7])])], { equation: 'nchw,wv->nchv' });
        break;
    }
    seen.push(v);
  }
  if (c.vector) {
    if (rnd() < 0.5) v = node('GlobalAveragePool', [v]);
    v = node('Flatten', [v], { axis: 1 });
    for (const layer of c.vector) {
      const [B, F] = dims(v) as [number, number];
      switch (layer) {
        case 'gemm': {
          const n = pick([1, 2, 3, 5, 7, 10]), tB = int(0, 1);
          // Gemm's C is optional and broadcasts: absent, scalar, per column, [1, n], per row [B, 1], full.
          const cShapes = [null, [], [n], [1, n], ...(c.symbolic ? [] : [[B, 1], [B, n]])];
          const cs = pick(cShapes);
          v = node('Gemm', [v, konst(tB ? [n, F] : [F, n]), ...(cs ? [konst(cs)] : [])],
            { transB: tB, alpha: pick([1, 1, 0.5, 2]), beta: pick([1, 1, 0.5, -1]) });
          if (!cs && rnd() < 0.6) v = withOperand(v, rnd() < 0.5);
          break;
        }
        case 'matmul': {
          const n = pick([1, 2, 3, 5, 7, 10]);
          v = node('MatMul', [v, konst([F, n])]);
          if (rnd() < 0.6) v = withOperand(v, rnd() < 0.5);
          break;
        }
        case 'act': v = act(v); break;
        case 'operand': v = withOperand(v); break;
        case 'bn': v = node('BatchNormalization', [v, konst([F], 0.5, 1.5), konst([F]), konst([F]), konst([F], 0.2, 2)], {}); break;
        case 'tap': out(v); v = act(v); break;
        case 'smooth': v = smooth(v); break;
        case 'layerNorm': v = layerNorm(v, 1); break;
        case 'linearNorm': {
          // The fused LayerNorm epilogue's pattern: x W (+ bias) (+ residual of x when square) -> LayerNorm (-> activation).
          const n = pick([1, 2, 3, 5, 7, 10]), gemm = rnd() < 0.5, x = v;
          v = gemm ? node('Gemm', [v, konst([n, F]), ...(rnd() < 0.5 ? [konst([n])] : [])], { transB: 1 })
            : node('Add', [node('MatMul', [v, konst([F, n])]), konst([n])]);
          if (n === F && rnd() < 0.5) v = node('Add', [x, v]);
          v = layerNorm(v, 1);
          if (rnd() < 0.5) v = rnd() < 0.5 ? act(v) : smooth(v);
          break;
        }
        case 'reduceL2': v = reduceL2(v); break;
        case 'einsum': {
          const n = pick([1, 2, 3, 5, 7]), t = rnd() < 0.5;
          v = node('Einsum', [v, konst(t ? [n, F] : [F, n])], { equation: t ? 'bf,nf->bn' : 'bf,fn->bn' });
          break;
        }
      }
    }
    if (rnd() < 0.5) v = node(pick(['Softmax', 'LogSoftmax']), [v], { axis: -1 });
  }
  out(v);
  g.outputs = outputs;
  return { graph: g, feeds };
}
