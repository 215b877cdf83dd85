// One Conv with every fused epilogue a js conv kernel can take (per-channel, full-residual and scalar operands,
// each activation), and its run on the js backend against the reference within the derived bound: the shared
// body of the Winograd kernels' property tests (test/js/winograd.test.ts, winograd-phase.test.ts).
import { Graph, type Value } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { lowering } from '../../passes/pipelines.ts';
import { compileJs, compileProgram, JS_CAPABILITIES } from '../../runtime/js/index.ts';
import { referenceWithBounds } from './error-bound.ts';
import { worstElement } from './differential.ts';
import { lcg, uniformTensor } from './random.ts';

export const CONV_EPILOGUES = ['none', 'relu', 'residual', 'residual-relu', 'channel-mul', 'scalar-add', 'sigmoid', 'clip', 'leaky', 'hardswish'] as const;
export type ConvEpilogue = (typeof CONV_EPILOGUES)[number];

export interface ConvEpilogueCase {
  N: number; C: number; M: number; K: number; H: number; W: number; stride: number; pads: number[]; bias: boolean;
  epilogue: ConvEpilogue; seed: number;
}

const outSize = (n: number, lo: number, hi: number, K: number, s: number) => Math.floor((n + lo + hi - K) / s) + 1;

/** The graph `conv(x) |> epilogue` and random feeds for it (seeded). */
export function convEpilogueGraph(c: ConvEpilogueCase): { graph: Graph; feeds: Record<string, Tensor> } {
  const rnd = lcg(c.seed);
  const g = new Graph('conv_epilogue');
  const x = g.addInput('x', { dtype: 'float32', shape: [c.N, c.C, c.H, c.W] });
  const w = g.addConst('w', uniformTensor([c.M, c.C, c.K, c.K], rnd));
  const ins = c.bias ? [x, w, g.addConst('b', uniformTensor([c.M], rnd))] : [x, w];
  const attrs = { kernel_shape: [c.K, c.K], strides: [c.stride, c.stride], pads: c.pads };
  let y: Value = g.addNode('Conv', ins, attrs, { name: 'conv' }).outputs[0]!;
  const feeds: Record<string, Tensor> = { x: uniformTensor([c.N, c.C, c.H, c.W], rnd) };
  const OH = outSize(c.H, c.pads[0]!, c.pads[2]!, c.K, c.stride), OW = outSize(c.W, c.pads[1]!, c.pads[3]!, c.K, c.stride);
  const node = (op: string, inputs: Value[], a = {}) => { y = g.addNode(op, inputs, a).outputs[0]!; };
  switch (c.epilogue) {
    case 'relu': node('Relu', [y]); break;
    case 'residual':
    case 'residual-relu':
      feeds.r = uniformTensor([c.N, c.M, OH, OW], rnd);
      node('Add', [y, g.addInput('r', { dtype: 'float32', shape: [c.N, c.M, OH, OW] })]);
      if (c.epilogue === 'residual-relu') node('Relu', [y]);
      break;
    case 'channel-mul': node('Mul', [y, g.addConst('s', uniformTensor([c.M, 1, 1], rnd))]); break;
    case 'scalar-add': node('Add', [y, g.addConst('k', uniformTensor([1], rnd))]); break;
    case 'sigmoid': node('Sigmoid', [y]); break;
    case 'clip': node('Clip', [y, g.addConst('lo', Tensor.fromArray('float32', [], [-0.5])), g.addConst('hi', Tensor.fromArray('float32', [], [0.5]))]); break;
    case 'leaky': node('LeakyRelu', [y], { alpha: 0.1 }); break;
    case 'hardswish': node('HardSwish', [y]); break;
    case 'none': break;
  }
  g.outputs = [y];
  inferShapes(g);
  return { graph: g, feeds };
}

/** Runs the case on the js backend (lowered, fused) with compile options `opts`: the worst |js - ref| / bound, the
 *  conv's kernel kind and the js output. WINOGRAD_RATIOS=1 prints each ratio (to see how close cases come). */
export async function runConvEpilogue(c: ConvEpilogueCase, opts: Record<string, unknown>): Promise<{ ratio: number; kind: string; got: Tensor }> {
  const { graph, feeds } = convEpilogueGraph(c);
  const { ref, bounds } = referenceWithBounds(graph, feeds);
  const g = cloneGraph(graph);
  lowering(JS_CAPABILITIES)(g);
  const kind = compileProgram(g, opts).kernels.map((k) => k.kind).find((k) => k.includes('conv')) ?? 'none';
  const m = await compileJs(g, opts);
  try {
    const got = (await m.run(feeds))[g.outputs[0]!.name]!;
    const out = graph.outputs[0]!.name;
    const { ratio } = worstElement(got, ref[out]!, bounds.get(out)!);
    if (process.env.WINOGRAD_RATIOS) console.log(ratio.toExponential(2), kind, JSON.stringify(c));
    return { ratio, kind, got };
  } finally { await m.dispose(); }
}
