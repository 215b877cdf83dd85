// WGSL elementwise kernels vs the reference interpreter on a real WebGPU adapter (Dawn on lavapipe/SwiftShader),
// plus the LC081 path for a WGSL snippet that does not compile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph, Tensor, inferShapes, LayercError } from '../../src/index.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { getGpu } from '../../runtime/wgsl/device.ts';
import { emitNode } from '../../runtime/wgsl/index.ts';
import { hasAdapter, compileWgslLowered } from './gpu.ts';
import { uniformTensor } from '../helpers/random.ts';

let gpu: GPU | null = null;
beforeAll(async () => {
  const g = await getGpu();
  if (await g.requestAdapter()) gpu = g;
  else console.warn('test/wgsl: SKIPPED — no WebGPU adapter (install libvulkan1 + mesa-vulkan-drivers)');
});

const randomTensor = (shape: number[], seed: number): Tensor => uniformTensor(shape, seed, -4, 4);

async function agree(g: Graph, feeds: Record<string, Tensor>, tol = 1e-5): Promise<void> {
  inferShapes(g);
  const want = runGraph(g, feeds);
  const m = await compileWgslLowered(g, { gpu: gpu! });
  try {
    const got = await m.run(feeds);
    for (const v of g.outputs) {
      const w = want[v.name]!, r = got[v.name]!;
      expect([...r.shape]).toEqual([...w.shape]);
      let err = 0;
      for (let i = 0; i < w.size; i++) err = Math.max(err, Math.abs((r.data[i] as number) - (w.data[i] as number)));
      expect(err, v.name).toBeLessThanOrEqual(tol);
    }
  } finally { await m.dispose(); }
}

describe.skipIf(!hasAdapter)('wgsl elementwise', () => {
  for (const op of ['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish']) {
    it(`${op} matches reference`, async () => {
      if (!gpu) return;
      const g = new Graph();
      const x = g.addInput('x', { dtype: 'float32', shape: [3, 70] });
      g.outputs.push(g.addNode(op, [x], op === 'LeakyRelu' ? { alpha: 0.2 } : {}).outputs[0]!);
      await agree(g, { x: randomTensor([3, 70], 7) });
    });
  }

  it('broadcasting binary ops chained with an activation match reference (fast-check)', async () => {
    if (!gpu) return;
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('Add', 'Sub', 'Mul', 'Div'), fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.integer({ min: 1, max: 1e6 }),
      async (op, full, ones, seed) => {
        const bShape = full.map((d, i) => (ones[i] ? 1 : d)).slice(1);
        const g = new Graph();
        const a = g.addInput('a', { dtype: 'float32', shape: full });
        const b = g.addConst('b', op === 'Div' ? offsetAway(randomTensor(bShape, seed + 1)) : randomTensor(bShape, seed + 1));
        const y = g.addNode(op, [a, b]).outputs[0]!;
        g.outputs.push(g.addNode('Relu', [y]).outputs[0]!);
        await agree(g, { a: randomTensor(full, seed) }, 1e-4);
      }), { numRuns: 12, seed: 42 });
  });

  // Found by the backend differential campaign (npm run fuzz:backends): WGSL's pow is NaN for a negative base
  // and a few ULP off near 1, which moved Adam's first step by 6e-5 relative (its bias correction 1 - 0.999^t).
  it('Pow: integer exponents of negative bases and of bases near 1 match reference; fractional exponents too', async () => {
    if (!gpu) return;
    for (const e of [2, 3, -1, 0, 1, 7, 0.5]) {
      const g = new Graph();
      const x = g.addInput('x', { dtype: 'float32', shape: [6] });
      g.outputs.push(g.addNode('Pow', [x, g.addConst('e', Tensor.fromArray('float32', [], [e]))]).outputs[0]!);
      const xs = e === 0.5 ? [0.25, 0.999, 0.9, 3, 7, 1e-3] : [-2, -0.5, -0.9, -1.5, 1.5, 2];
      await agree(g, { x: Tensor.fromArray('float32', [6], xs) }, 1e-6 * 2 ** Math.abs(e));
      // Near 1 within 2 ULP (WGSL's pow was 3 ULP off at 0.999^2).
      if (e !== 0.5) await agree(g, { x: Tensor.fromArray('float32', [6], [0.999, 0.9999, 0.99, 0.995, 1.001, 0.998]) }, 1.2e-7 * 1.01 ** Math.abs(e));
    }
  });

  it('Flatten and Reshape (copies) feeding an activation match reference', async () => {
    if (!gpu) return;
    const g = new Graph();
    const x = g.addInput('x', { dtype: 'float32', shape: [2, 3, 4] });
    const f = g.addNode('Flatten', [x], { axis: 1 }).outputs[0]!;
    const r = g.addNode('Reshape', [f, g.addConst('shape', Tensor.fromArray('int64', [2], [4, 6]))]).outputs[0]!;
    g.outputs.push(g.addNode('Sigmoid', [r]).outputs[0]!);
    await agree(g, { x: randomTensor([2, 3, 4], 3) });
  });

  it('identical generated kernels share one pipeline (cache keyed by source)', async () => {
    if (!gpu) return;
    const g = new Graph();
    const x = g.addInput('x', { dtype: 'float32', shape: [8] });
    const a = g.addNode('Relu', [x]).outputs[0]!;
    const b = g.addNode('Relu', [a]).outputs[0]!;
    g.outputs.push(g.addNode('Sigmoid', [b]).outputs[0]!);
    inferShapes(g);
    const m = await compileWgslLowered(g, { gpu });
    expect(m.info).toMatchObject({ kernels: 3, pipelines: 2 });
    await m.dispose();
  });

  it('a WGSL snippet that does not compile is LC081 naming the node, op and line', async () => {
    if (!gpu) return;
    const g = new Graph();
    const x = g.addInput('x', { dtype: 'float32', shape: [4] });
    g.outputs.push(g.addNode('Relu', [x], {}, { name: 'act1' }).outputs[0]!);
    inferShapes(g);
    const broken = (n: Parameters<typeof emitNode>[0]) => emitNode(n).map((k) => ({ ...k, code: k.code.replace('max(v, f32(0.0))', 'max(v, nosuch(0.0))') }));
    const err = await compileWgslLowered(g, { gpu, emit: broken }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(LayercError);
    const e = err as LayercError;
    expect(e.code).toBe('LC081');
    expect(e.message).toContain('act1');
    expect(e.message).toContain('Relu');
    expect(e.message).toMatch(/nosuch/);
    expect(e.context.notes?.join('\n')).toContain('nosuch(0.0)');
  });

  it('a node without a WGSL kernel runs on the host between GPU kernels, and info names it', async () => {
    if (!gpu) return;
    const g = new Graph();
    const x = g.addInput('x', { dtype: 'float32', shape: [2, 5] });
    const r = g.addNode('Relu', [x]).outputs[0]!;
    const h = g.addNode('Hardmax', [r], {}, { name: 'hm' }).outputs[0]!;
    g.outputs.push(g.addNode('Sigmoid', [g.addNode('Add', [h, r]).outputs[0]!]).outputs[0]!);
    expect(() => emitNode(g.nodes[1]!)).toThrow(expect.objectContaining({ code: 'LC075' }));
    await agree(g, { x: randomTensor([2, 5], 5) });
    const m = await compileWgslLowered(g, { gpu });
    expect(m.info?.hostFallback).toBe('hm (Hardmax)');
    await m.dispose();
  });
});

/** Keeps divisors away from zero so Div compares well-conditioned values. */
function offsetAway(t: Tensor): Tensor {
  const d = t.data as Float32Array;
  for (let i = 0; i < d.length; i++) d[i] = d[i]! >= 0 ? d[i]! + 0.5 : d[i]! - 0.5;
  return t;
}

afterAll(() => {});
