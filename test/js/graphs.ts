// Random CNN-shaped graphs for the backend equivalence properties: chains of Conv (grouped, depthwise,
// 1x1 kernels and 1x1 images, prime sizes, kernels up to 11, stride > kernel, dilation), Fused Conv/Gemm with epilogues, BatchNormalization,
// activations, residual and broadcast adds, pools (ceil mode, padding), Concat, and a classifier head.
import fc from 'fast-check';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { lowerInPlace, lowering } from '../../passes/pipelines.ts';
import { JS_CAPABILITIES, compileJs, type JsOptions } from '../../runtime/js/index.ts';
import '../../src/ops/index.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';


const ACTS = ['Relu', 'Sigmoid', 'Tanh', 'LeakyRelu', 'HardSigmoid', 'HardSwish', 'Clip'];
const LAYERS = ['conv', 'conv', 'fused', 'fused', 'bn', 'act', 'add', 'pool', 'concat', 'dw'] as const;

export interface GraphCase { layers: (typeof LAYERS[number])[]; N: number; C: number; H: number; W: number; head: boolean; seed: number }

export const graphCase: fc.Arbitrary<GraphCase> = fc.record({
  layers: fc.array(fc.constantFrom(...LAYERS), { minLength: 1, maxLength: 6 }),
  N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 6 }),
  H: fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 13 })), W: fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 13 })),
  head: fc.boolean(), seed: fc.integer({ min: 1, max: 1e9 }),
});

/** Builds the graph (shapes inferred) and a feed for its input. */
export function buildCase(c: GraphCase): { graph: Graph; feeds: Record<string, Tensor> } {
  const rnd = lcg(c.seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const g = new Graph('random');
  let v: Value = g.addInput('x', { dtype: 'float32', shape: [c.N, c.C, c.H, c.W] });
  const seen: Value[] = [v];
  const shape = (x: Value) => x.type.shape as number[];
  const konst = (s: number[], lo = -1, hi = 1) => g.addConst('k', uniformTensor(s, rnd, lo, hi));
  const node = (op: string, inputs: (Value | null)[], attrs: Record<string, unknown> = {}, domain = '') => {
    const n = g.addNode(op, inputs, attrs as never, { domain });
    inferShapes(g);
    return n.outputs[0]!;
  };
  const actNode = (x: Value) => {
    const a = ACTS[int(0, ACTS.length - 1)]!;
    if (a === 'Clip') return node('Clip', [x, konst([], -0.6, -0.1), konst([], 0.1, 0.7)]);
    return node(a, [x], a === 'LeakyRelu' ? { alpha: 0.1 + rnd() } : a === 'HardSigmoid' ? { alpha: 0.3, beta: 0.4 } : {});
  };
  const convAttrs = (H: number, W: number) => {
    for (;;) {
      // Mostly 1..5; sometimes a large kernel (up to 11, padded up to 5); strides up to 4 (stride > kernel).
      const k = rnd() < 0.15 ? int(6, 11) : int(1, 5), s = int(1, 4), p = int(0, Math.min(k > 5 ? 5 : 2, k - 1)), d = k > 1 && k < 6 ? int(1, 2) : 1;
      const ext = (k - 1) * d + 1;
      if (H + 2 * p >= ext && W + 2 * p >= ext) return { kernel_shape: [k, k], strides: [s, s], pads: [p, p, p, p], dilations: [d, d] };
    }
  };
  for (const layer of c.layers) {
    const [, C, H, W] = shape(v) as [number, number, number, number];
    switch (layer) {
      case 'conv': case 'dw': case 'fused': {
        const dw = layer === 'dw';
        const group = dw ? C : (C % 2 === 0 && rnd() < 0.3 ? 2 : 1);
        const M = dw ? C * int(1, 2) : group * int(1, 5);
        const a = convAttrs(H, W);
        const w = konst([M, C / group, ...a.kernel_shape]);
        const bias = rnd() < 0.7 ? konst([M]) : null;
        const attrs = { ...a, group };
        if (layer !== 'fused') { v = node('Conv', bias ? [v, w, bias] : [v, w], attrs); break; }
        const inputs: (Value | null)[] = [v, w, bias];
        const epilogue: unknown[] = [];
        const outH = Math.floor((H + 2 * a.pads[0]! - (a.kernel_shape[0]! - 1) * a.dilations[0]! - 1) / a.strides[0]!) + 1;
        const outW = Math.floor((W + 2 * a.pads[0]! - (a.kernel_shape[0]! - 1) * a.dilations[0]! - 1) / a.strides[0]!) + 1;
        if (rnd() < 0.5) { inputs.push(konst([1, M, 1, 1], 0.5, 1.5)); epilogue.push({ kind: 'mul', input: inputs.length - 1 }); }
        const res = seen.find((x) => shape(x).join() === [c.N, M, outH, outW].join());
        if (res && rnd() < 0.7) { inputs.push(res); epilogue.push({ kind: 'add', input: inputs.length - 1 }); }
        const act = ACTS[int(0, ACTS.length - 1)]!;
        epilogue.push({ kind: 'act', name: act, params: act === 'Clip' ? { min: -0.5, max: 0.5 } : act === 'LeakyRelu' ? { alpha: 0.2 } : act === 'HardSigmoid' ? { alpha: 0.2, beta: 0.5 } : {} });
        v = node('Fused', inputs, { base: 'Conv', base_attrs: attrs, base_inputs: 3, epilogue }, 'ai.layerc');
        break;
      }
      case 'bn':
        v = node('BatchNormalization', [v, konst([C], 0.5, 1.5), konst([C]), konst([C]), konst([C], 0.2, 2)], { epsilon: 1e-5 });
        break;
      case 'act': v = actNode(v); break;
      case 'add': {
        const same = seen.filter((x) => x !== v && shape(x).join() === shape(v).join());
        const other = same.length && rnd() < 0.6 ? same[int(0, same.length - 1)]! : konst(rnd() < 0.5 ? [1, C, 1, 1] : [W]);
        v = node(rnd() < 0.7 ? 'Add' : 'Mul', rnd() < 0.5 ? [v, other] : [other, v]);
        break;
      }
      case 'pool': {
        const k = int(1, Math.min(3, H, W)), s = int(1, 3), p = int(0, Math.floor(k / 2));
        const max = rnd() < 0.5;
        v = node(max ? 'MaxPool' : 'AveragePool', [v], { kernel_shape: [k, k], strides: [s, s], pads: [p, p, p, p],
          ceil_mode: rnd() < 0.3 ? 1 : 0, ...(max ? {} : { count_include_pad: rnd() < 0.5 ? 1 : 0 }) });
        break;
      }
      case 'concat': v = node('Concat', [v, actNode(v)], { axis: 1 }); break;
    }
    seen.push(v);
  }
  if (c.head) {
    const C = shape(v)[1]!;
    v = node('Flatten', [node('GlobalAveragePool', [v])], { axis: 1 });
    const classes = int(1, 7);
    if (rnd() < 0.5) v = node('Gemm', [v, konst([classes, C]), konst([classes])], { transB: 1 });
    else v = node('Fused', [v, konst([C, classes]), konst([classes])], { base: 'MatMul', base_attrs: {}, base_inputs: 2,
      epilogue: [{ kind: 'add', input: 2 }, { kind: 'act', name: 'Tanh', params: {} }] }, 'ai.layerc');
    v = node('Softmax', [v], { axis: -1 });
  }
  g.outputs = [v];
  return { graph: g, feeds: { x: uniformTensor([c.N, c.C, c.H, c.W], rnd) } };
}

/** max over elements of |a - b| / (atol + rtol * |b|): <= 1 means within tolerance. */
export function toleranceRatio(a: Tensor, b: Tensor, atol = 1e-4, rtol = 1e-3): number {
  if (a.shape.join() !== b.shape.join()) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.size; i++) {
    const x = Number(a.data[i]), y = Number(b.data[i]);
    if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
    if (Number.isNaN(x)) continue;
    worst = Math.max(worst, Math.abs(x - y) / (atol + rtol * Math.abs(y)));
  }
  return worst;
}

/** A small CNN with every training op of the examples (BN, both pools, dropout) for one-step backend checks. */
export const SMALL_CNN = `
model small_cnn(x: f32[N, 2, 11, 9]) {
  y = x |> conv2d(4, kernel=3, pad=1) |> batchnorm |> relu |> avgpool(3, stride=2, pad=1)
        |> conv2d(5, kernel=1) |> relu |> maxpool(3, stride=2) |> flatten |> dropout(0.3) |> dense(3)
  return y
}`;

/** A copy of g lowered the way a caller lowers for the js backend (passes/pipelines.ts with its capabilities). */
export function lowerForJsBackend(g: Graph): Graph {
  const low = cloneGraph(g);
  lowerInPlace(low, JS_CAPABILITIES);
  return low;
}

/** compileJs with the caller's lowering for the js backend (what compileFor('js', ...) does). */
export const compileJsLowered = (g: Graph, opts: JsOptions = {}) => compileJs(g, { ...opts, lower: lowering(JS_CAPABILITIES) });
