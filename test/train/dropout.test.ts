// Dropout in the training graph: active, seeded by (seed, step) so masks change per step yet are reproducible,
// scaled by 1/(1-ratio); the inference graph keeps the identity Dropout.
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { buildInferenceGraph, buildTrainingGraph } from '../../passes/split-train-infer.ts';
import { Trainer } from '../../src/train/loop/trainer.ts';
import '../../src/ops/index.ts';

function model(): Graph {
  const g = new Graph('drop');
  const x = g.addInput('x', { dtype: 'float32', shape: [4, 50] });
  const w = g.addConst('w', Tensor.fromArray('float32', [50], Array.from({ length: 50 }, (_, i) => 1 + i / 50)));
  const d = g.addNode('Dropout', [x, g.addConst('ratio', Tensor.fromArray('float32', [], [0.4]))]).outputs[0];
  g.outputs = [g.addNode('Mul', [d, w]).outputs[0]];
  return g;
}

describe('dropout', () => {
  it('training graph drops ~ratio, scales by 1/(1-ratio), reproducible per (seed, step)', async () => {
    const x = Tensor.fromArray('float32', [4, 50], new Array(200).fill(1));
    const labels = Tensor.zeros('float32', [4, 50]);
    const run = async (seed: number) => {
      const p = buildTrainingGraph(model(), { loss: 'mse', optimizer: { kind: 'sgd', lr: 0 }, seed });
      expect(p.graph.nodes.some((n) => n.op === 'Dropout')).toBe(false);
      p.graph.outputs.push(p.output);
      const t = await Trainer.create(p);
      const outs: number[][] = [];
      for (let s = 0; s < 2; s++) {
        const feeds: Record<string, Tensor> = { x, labels };
        for (const [k, v] of t.state) feeds[k] = v;
        for (const v of p.graph.inputs) if (v.const && !feeds[v.name]) feeds[v.name] = v.const; // optimizer.lr, fed by the Trainer
        outs.push(Array.from((await import('../../src/ir/interpret.ts')).runGraph(p.graph, feeds)[p.output.name].data));
        await t.trainStep(x, labels);
      }
      return outs;
    };
    const a = await run(1), b = await run(1), c = await run(2);
    expect(a).toEqual(b);
    expect(a[0]).not.toEqual(a[1]);
    expect(a[0]).not.toEqual(c[0]);
    const dropped = a[0].filter((v) => v === 0).length / 200;
    expect(dropped).toBeGreaterThan(0.25);
    expect(dropped).toBeLessThan(0.55);
    const kept = a[0].findIndex((v) => v !== 0);
    expect(a[0][kept]).toBeCloseTo((1 + (kept % 50) / 50) / 0.6, 5);
    expect(buildInferenceGraph(model()).nodes.map((n) => n.op)).toContain('Dropout');
  });
});
