// Training-graph kernels of the js backend against the reference implementations of the same ops:
// Conv with weights computed at run time, ConvGradInput (as a flipped conv when stride 1, else GEMM + col2im)
// and ConvGradWeight (per-image GEMMs summed over threads), on odd shapes, at 1 and 2 threads.
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { compileProgram } from '../../runtime/js/index.ts';
import '../../src/ops/index.ts';
import { compileJsLowered, lowerForJsBackend, toleranceRatio } from './graphs.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';

const CASES = [
  { N: 3, C: 2, M: 5, H: 9, W: 7, k: 3, s: 1, p: 1, d: 1, g: 1 },
  { N: 2, C: 4, M: 6, H: 8, W: 11, k: 5, s: 1, p: 0, d: 1, g: 2 },
  { N: 1, C: 3, M: 4, H: 10, W: 9, k: 3, s: 2, p: 1, d: 1, g: 1 },
  { N: 2, C: 5, M: 3, H: 7, W: 7, k: 1, s: 1, p: 0, d: 1, g: 1 },
  { N: 2, C: 2, M: 2, H: 9, W: 9, k: 3, s: 1, p: 2, d: 2, g: 1 },
  { N: 3, C: 4, M: 6, H: 11, W: 7, k: 2, s: 3, p: 0, d: 1, g: 2 },
  { N: 1, C: 3, M: 5, H: 13, W: 13, k: 3, s: 2, p: 1, d: 2, g: 1 },
  { N: 2, C: 6, M: 6, H: 7, W: 5, k: 3, s: 2, p: 1, d: 1, g: 6 },
  { N: 2, C: 2, M: 3, H: 6, W: 6, k: 2, s: 1, p: 1, d: 1, g: 1 },
];

async function check(g: Graph, feeds: Record<string, ReturnType<typeof uniformTensor>>, kind: RegExp) {
  inferShapes(g);
  expect(compileProgram(lowerForJsBackend(g), { threads: 1 }).kernels.map((k) => k.kind).join(' | ')).toMatch(kind);
  const ref = runGraph(g, feeds);
  for (const threads of [1, 2]) {
    const m = await compileJsLowered(g, { threads });
    const got = await m.run(feeds);
    await m.dispose();
    for (const [name, t] of Object.entries(ref)) expect(toleranceRatio(got[name]!, t)).toBeLessThanOrEqual(1);
  }
}

describe('js training kernels', () => {
  for (const c of CASES) {
    const tag = `N${c.N} C${c.C} M${c.M} ${c.H}x${c.W} k${c.k} s${c.s} p${c.p} d${c.d} g${c.g}`;
    const attrs = { strides: [c.s, c.s], pads: [c.p, c.p, c.p, c.p], dilations: [c.d, c.d], group: c.g };
    const OH = Math.floor((c.H + 2 * c.p - c.d * (c.k - 1) - 1) / c.s) + 1, OW = Math.floor((c.W + 2 * c.p - c.d * (c.k - 1) - 1) / c.s) + 1;
    const rnd = lcg(c.N * 100 + c.C * 10 + c.k);
    const x = uniformTensor([c.N, c.C, c.H, c.W], rnd), w = uniformTensor([c.M, c.C / c.g, c.k, c.k], rnd), dy = uniformTensor([c.N, c.M, OH, OW], rnd);

    it(`Conv with run-time weights (${tag})`, async () => {
      const g = new Graph('conv');
      const xi = g.addInput('x', { dtype: 'float32', shape: x.shape as number[] }), wi = g.addInput('w', { dtype: 'float32', shape: w.shape as number[] });
      g.outputs = [g.addNode('Conv', [xi, wi], attrs).outputs[0]!];
      await check(g, { x, w }, c.g > 1 && c.g === c.C ? /depthwise/ : /weights packed per run/);
    });

    it(`ConvGradInput and ConvGradWeight (${tag})`, async () => {
      const g = new Graph('grads');
      const dyi = g.addInput('dy', { dtype: 'float32', shape: dy.shape as number[] });
      const wi = g.addInput('w', { dtype: 'float32', shape: w.shape as number[] }), xi = g.addInput('x', { dtype: 'float32', shape: x.shape as number[] });
      const dx = g.addNode('ConvGradInput', [dyi, wi], { ...attrs, x_shape: x.shape as number[] }, { domain: 'ai.layerc' }).outputs[0]!;
      const dw = g.addNode('ConvGradWeight', [dyi, xi], { ...attrs, w_shape: w.shape as number[] }, { domain: 'ai.layerc' }).outputs[0]!;
      g.outputs = [dx, dw];
      await check(g, { dy, w, x }, /grad-input .*grad-weight/);
    });
  }
});
