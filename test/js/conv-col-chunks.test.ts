// An im2col conv on fewer images than threads, split by column panels (runtime/js/kernels/conv.ts): each thread packs
// and multiplies its own panels CH at a time in its own scratch, as whole images do at 1 thread, instead of packing all
// its panels first (MobileNetV2's stem at 2 threads packed 0.7 MB per thread before multiplying: 1.54x). Stems of
// MobileNetV2 and SqueezeNet shapes, a grouped conv with a residual epilogue and a partial last chunk, at 2 and 3
// threads: the same bits as 1 thread, within the reference bound, and the 2-thread phase packs in chunks.
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.ts';
import type { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { compileJs, compileProgram } from '../../runtime/js/index.ts';
import '../../src/ops/index.ts';
import { worstElement } from '../helpers/differential.ts';
import { referenceWithBounds } from '../helpers/error-bound.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';

const CASES = [
  { x: [1, 3, 224, 224], w: [32, 3, 3, 3], group: 1, residual: false }, // MobileNetV2's stem: 3 chunks per thread
  { x: [1, 3, 111, 111], w: [64, 3, 3, 3], group: 1, residual: false }, // SqueezeNet 1.1's stem (at half size): 1 chunk
  { x: [1, 64, 81, 77], w: [16, 32, 3, 3], group: 2, residual: true }, // grouped, odd sizes, a residual Add: chunks 28, 28, 28, 16
];

describe('im2col conv split by column panels, packed in chunks', () => {
  it('2 and 3 threads give 1 thread bit for bit, within the reference bound', async () => {
    for (const c of CASES) {
      const rnd = lcg(c.w[0]!), g = new Graph('cols');
      const x = g.addInput('x', { dtype: 'float32', shape: c.x });
      let y = g.addNode('Conv', [x, g.addConst('w', uniformTensor(c.w, rnd, -0.5, 0.5)), g.addConst('b', uniformTensor([c.w[0]!], rnd, -0.5, 0.5))],
        { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], group: c.group }).outputs[0]!;
      inferShapes(g);
      if (c.residual) y = g.addNode('Add', [y, g.addInput('r', { dtype: 'float32', shape: y.type.shape as number[] })]).outputs[0]!;
      g.outputs = [g.addNode('Relu', [y]).outputs[0]!];
      inferShapes(g);
      const feeds: Record<string, Tensor> = { x: uniformTensor(c.x, rnd, -2, 2) };
      if (c.residual) feeds.r = uniformTensor(y.type.shape as number[], rnd, -2, 2);
      const two = compileProgram(g, { threads: 2, winograd: false });
      expect(two.kernels.find((k) => k.op === 'Conv' || k.op === 'Fused')?.kind ?? two.kernels.map((k) => k.kind).join(), JSON.stringify(c)).toMatch(/^conv 3x3\/2/);
      expect(two.source, JSON.stringify(c)).toMatch(/for \(let plo = t0; plo < t1; plo \+= \d+\)/);
      const name = g.outputs[0]!.name, outs: Tensor[] = [];
      for (const threads of [1, 2, 3]) {
        const m = await compileJs(g, { threads, winograd: false });
        try { outs.push((await m.run(feeds))[name]!); } finally { await m.dispose(); }
      }
      for (const t of [1, 2]) expect(Array.from(outs[t]!.data as Float32Array), `${JSON.stringify(c)} at ${t + 1} threads`).toEqual(Array.from(outs[0]!.data as Float32Array));
      const { ref, bounds } = referenceWithBounds(g, feeds);
      expect(worstElement(outs[0]!, ref[name]!, bounds.get(name)!).ratio, JSON.stringify(c)).toBeLessThanOrEqual(1);
    }
  }, 60_000);
});
