// DropoutTrain on the wgsl backend against the reference interpreter: the mask and the output must be the
// same bits (the kernel recomputes the reference's sequential mulberry32 draws in closed form, see
// runtime/wgsl/kernels/dropout-train.ts), over shapes from one element to several hundred workgroups,
// ratios 0..1, negative and large seeds and a range of steps (a seed past the exact range runs on the host). Then a small CNN training step with dropout
// runs with no host fallback, its dropout mask the reference's bits and its loss the reference's loss.
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { buildTrainingGraph } from '../../passes/split-train-infer.ts';
import { stateAsInputs } from '../../src/train/loop/trainer.ts';
import '../../src/ops/index.ts';
import { SMALL_CNN } from '../js/graphs.ts';
import { hasAdapter, compileWgslLowered } from './gpu.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';

const bits = (t: Tensor) => new Uint32Array(Float32Array.from(t.data as ArrayLike<number>).buffer);

/** The first element whose bits differ, or -1. */
function firstDiff(got: Tensor, want: Tensor): number {
  const a = bits(got), b = bits(want);
  if (a.length !== b.length) return 0;
  return a.findIndex((v, i) => v !== b[i]);
}

function dropoutGraph(shape: number[], ratio: number, seed: number): Graph {
  const g = new Graph('dropout');
  const x = g.addInput('x', { dtype: 'float32', shape });
  const step = g.addInput('step', { dtype: 'float32', shape: [] });
  g.outputs = g.addNode('DropoutTrain', [x, step], { ratio, seed }, { domain: 'ai.layerc', numOutputs: 2 }).outputs;
  inferShapes(g);
  return g;
}

const CASES: { shape: number[]; ratio: number; seed: number; steps: number[] }[] = [
  { shape: [1], ratio: 0.5, seed: 0, steps: [0, 1] },
  { shape: [3, 5, 11], ratio: 0.3, seed: 4, steps: [0, 17] },
  { shape: [2, 3, 64, 65], ratio: 0.1, seed: 5003, steps: [1000, 123456] },
  { shape: [4, 257], ratio: 0.9, seed: -7, steps: [3] },
  { shape: [6, 40], ratio: 0.25, seed: 3_000_000, steps: [2] },
  { shape: [33], ratio: 0, seed: 9, steps: [5] },
  { shape: [33], ratio: 1, seed: 9, steps: [5] },
];

describe.skipIf(!hasAdapter)('DropoutTrain on wgsl: the reference mask bits', () => {
  for (const c of CASES) {
    it(`shape [${c.shape}], ratio ${c.ratio}, seed ${c.seed}, steps ${c.steps}`, async () => {
      const g = dropoutGraph(c.shape, c.ratio, c.seed);
      const m = await compileWgslLowered(g, { training: true });
      try {
        expect(m.info?.hostFallback).toBeUndefined();
        const x = uniformTensor(c.shape, lcg(c.seed + 1));
        let prevMask: Uint32Array | null = null;
        for (const s of c.steps) {
          const feeds = { x, step: Tensor.fromArray('float32', [], [s]) };
          const want = runGraph(g, feeds, { training: true }), got = await m.run(feeds);
          const [y, mask] = g.outputs.map((v) => v.name) as [string, string];
          expect(firstDiff(got[mask]!, want[mask]!), 'first differing mask element').toBe(-1);
          expect(firstDiff(got[y]!, want[y]!), 'first differing output element').toBe(-1);
          const kept = Array.from(want[mask]!.data).filter((v) => v !== 0).length / want[mask]!.size;
          if (want[mask]!.size > 1000) expect(Math.abs(kept - (1 - c.ratio))).toBeLessThan(0.02);
          // A new step draws a new mask (the step really reaches the kernel).
          if (prevMask && want[mask]!.size > 30) expect(bits(got[mask]!)).not.toEqual(prevMask);
          prevMask = bits(got[mask]!);
        }
      } finally { await m.dispose(); }
    }, 60_000);
  }
});

describe.skipIf(!hasAdapter)('DropoutTrain with a seed past the exact range', () => {
  it('runs on the host (reported in info.hostFallback) and still matches the reference', async () => {
    const g = dropoutGraph([50], 0.5, 4_000_000);
    const m = await compileWgslLowered(g, { training: true });
    try {
      expect(m.info?.hostFallback).toContain('DropoutTrain');
      const feeds = { x: uniformTensor([50], lcg(2)), step: Tensor.fromArray('float32', [], [9]) };
      const want = runGraph(g, feeds, { training: true }), got = await m.run(feeds);
      for (const v of g.outputs) expect(firstDiff(got[v.name]!, want[v.name]!)).toBe(-1);
    } finally { await m.dispose(); }
  }, 60_000);
});


describe.skipIf(!hasAdapter)('a CNN training step with dropout on wgsl', () => {
  it('has no host fallback; its dropout mask is the reference bits and its loss the reference loss', async () => {
    const batch = 5;
    const model = compileDsl(SMALL_CNN, 'small_cnn.layers', { seed: 3 });
    for (const v of model.inputs) v.type = { ...v.type, shape: v.type.shape!.map((d) => (typeof d === 'number' ? d : batch)) };
    inferShapes(model);
    const p = buildTrainingGraph(model, { loss: 'cross-entropy', optimizer: { kind: 'adam', lr: 0.01 }, seed: 5 });
    const g = p.graph;
    stateAsInputs(g, [...p.next.keys(), ...g.initializers.filter((v) => v.role && !p.next.has(v))]);
    const dropout = g.nodes.find((n) => n.op === 'DropoutTrain');
    expect(dropout, 'the training graph has a DropoutTrain').toBeDefined();
    const mask = dropout!.outputs[1]!;
    g.outputs = [...new Set([p.loss, mask, ...g.outputs])];

    const rnd = lcg(11);
    const feeds: Record<string, Tensor> = {
      [p.input.name]: uniformTensor(p.input.type.shape as number[], rnd),
      [p.labels.name]: Tensor.fromArray('int64', [batch], Array.from({ length: batch }, () => Math.floor(rnd() * 3))),
    };
    for (const v of g.inputs) if (v.const) feeds[v.name] = v.const;
    feeds['dropout.step'] = Tensor.fromArray('float32', [], [7]);

    const m = await compileWgslLowered(g, { training: true, seed: 5 });
    try {
      expect(m.info?.hostFallback).toBeUndefined();
      expect(m.info?.fallback).toBeUndefined();
      const want = runGraph(g, feeds, { training: true }), got = await m.run(feeds);
      expect(firstDiff(got[mask.name]!, want[mask.name]!)).toBe(-1);
      const [l, r] = [got[p.loss.name]!.data[0]!, want[p.loss.name]!.data[0]!];
      expect(Math.abs(l - r)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(r)));
    } finally { await m.dispose(); }
  }, 120_000);
});
