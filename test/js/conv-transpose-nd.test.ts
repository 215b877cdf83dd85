// ConvTranspose over 3 and 4 spatial axes on js (runtime/js/kernels/conv-transpose-nd.ts) against the reference
// interpreter, |js - ref| <= 1e-4 + 1e-3 |ref|: groups, strides, dilations, asymmetric pads, output_padding,
// output_shape, auto_pad, bias, weights constant or fed, 1 and 2 threads; and a ConvTranspose + Relu lowered
// for js (one Fused node: the epilogue in the tail pass) with no reference fallback; the ONNX 3-D node test.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph, type AttrValue } from '../../src/ir/graph.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { compileFor } from '../../src/compile-for.ts';
import { lcg, uniformTensor as randomTensor } from '../helpers/random.ts';
import { toleranceRatio } from './graphs.ts';
import { agree } from './single-op.ts';
import { onJs } from './zoo-cases.ts';
import { loadOptimizer } from '../../src/cli/level.ts';
import { NODE_TESTS } from '../fixtures.ts';
import { join } from 'node:path';

const PARAMS = { seed: 20261206, numRuns: 30 };
const axes = (n: number, min: number, max: number) => fc.array(fc.integer({ min, max }), { minLength: n, maxLength: n });

describe('ConvTranspose with 3+ spatial axes on js', () => {
  it('every attribute form agrees with the reference', async () => {
    await fc.assert(fc.asyncProperty(fc.record({
      d: fc.constantFrom(3, 4), g: fc.integer({ min: 1, max: 2 }), cg: fc.integer({ min: 1, max: 2 }), mg: fc.integer({ min: 1, max: 2 }),
      sp: axes(4, 1, 3), k: axes(4, 1, 3), s: axes(4, 1, 2), dl: axes(4, 1, 2), pads: axes(8, 0, 1),
      form: fc.constantFrom('pads', 'output_padding', 'output_shape', 'SAME_UPPER', 'SAME_LOWER', 'VALID'),
      bias: fc.boolean(), fedW: fc.boolean(), threads: fc.constantFrom(1, 2), seed: fc.integer(),
    }), async (c) => {
      const r = lcg(c.seed >>> 0), n = c.d, sp = c.sp.slice(0, n), k = c.k.slice(0, n), s = c.s.slice(0, n), dl = c.dl.slice(0, n);
      const pads = [...c.pads.slice(0, n), ...c.pads.slice(4, 4 + n)].map((p, i) => Math.min(p, k[i % n]! - 1));
      const attrs: Record<string, AttrValue> = { group: c.g, strides: s, dilations: dl, kernel_shape: k };
      if (c.form === 'pads' || c.form === 'output_padding') attrs.pads = pads;
      if (c.form === 'output_padding') attrs.output_padding = s.map((v) => v - 1);
      // output_shape: the full size, or one less on odd axes (the spare split between the two pads).
      if (c.form === 'output_shape') attrs.output_shape = sp.map((v, i) => { const full = s[i]! * (v - 1) + (k[i]! - 1) * dl[i]! + 1; return full > 1 ? full - (i % 2) : full; });
      if (c.form.startsWith('SAME') || c.form === 'VALID') attrs.auto_pad = c.form;
      const x = randomTensor([2, c.g * c.cg, ...sp], r), w = randomTensor([c.g * c.cg, c.mg, ...k], r);
      const ins = c.bias ? [x, w, randomTensor([c.g * c.mg], r)] : [x, w];
      await agree({ op: 'ConvTranspose', inputs: ins, consts: c.fedW ? [2] : [1, 2], attrs }, c.threads);
    }), PARAMS);
  });

  it('ConvTranspose + bias + Relu lowered for js: one kernel with the epilogue, no fallback', async () => {
    const r = lcg(7);
    const g = new Graph('ct3d');
    const x = g.addInput('x', { dtype: 'float32', shape: [1, 2, 3, 4, 3] });
    const ct = g.addNode('ConvTranspose', [x, g.addConst('w', randomTensor([2, 3, 2, 3, 2], r)), g.addConst('b', randomTensor([3], r))], { strides: [2, 1, 2], pads: [0, 1, 0, 1, 0, 1] });
    g.outputs.push(g.addNode('Relu', [ct.outputs[0]!]).outputs[0]!);
    inferShapes(g);
    const feeds = { x: randomTensor([1, 2, 3, 4, 3], r) };
    for (const threads of [1, 2]) {
      const m = await compileFor('js', g, { threads });
      try {
        const got = (await m.run(feeds))[g.outputs[0]!.name]!;
        expect(m.info?.fallbacks).toBe(0);
        expect(m.info?.kernels).toBe(1); // ConvTranspose and Relu in one Fused kernel
        expect(toleranceRatio(got, runGraph(g, feeds)[g.outputs[0]!.name]!)).toBeLessThanOrEqual(1);
      } finally { await m.dispose(); }
    }
  });

  it('the ONNX node test test_convtranspose_3d (fed weights) runs in kernels only, at -O0 and -O2', async () => {
    for (const optimize of [undefined, await loadOptimizer(2)]) {
      expect(await onJs([join(NODE_TESTS, 'test_convtranspose_3d')], optimize)).toEqual({ failures: [], passed: 1, fallbacks: [], dataDependent: 0 });
    }
  });
});
