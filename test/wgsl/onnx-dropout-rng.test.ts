// ONNX Dropout in training mode draws its mask from ONE seeded stream (src/random.ts dropoutStream: mulberry32
// from the backend's `seed`, one draw per element in graph order, continuing across runs of a compiled model).
// The oracle is that definition itself, computed here independently of any backend; the reference interpreter,
// the JS backend and the WGSL backend must each reproduce it bit for bit, for one-output and two-output Dropout,
// with training on (BackendOptions.training) or asked for by the node (training_mode input).
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { mulberry32 } from '../../src/random.ts';
import { getBackend } from '../../runtime/backend.ts';
import { hasAdapter } from './gpu.ts';
import '../../src/ops/index.ts';

const N = 257, RATIO = 0.3, SEED = 5;

/** Two Dropout nodes in sequence (x -> d1 -> relu -> d2), mask outputs optional, training_mode optional. */
function dropoutGraph(masks: boolean, modeInput: boolean): Graph {
  const g = new Graph('dropouts');
  const x = g.addInput('x', { dtype: 'float32', shape: [N] });
  const ratio = g.addConst('ratio', Tensor.fromArray('float32', [], [RATIO]));
  const mode = modeInput ? g.addConst('mode', Tensor.fromArray('bool', [], [1])) : null;
  const d1 = g.addNode('Dropout', [x, ratio, mode], {}, { name: 'd1', outputNames: masks ? ['y1', 'm1'] : ['y1'] });
  const r = g.addNode('Relu', [d1.outputs[0]], {}, { name: 'r', outputNames: ['r'] });
  const d2 = g.addNode('Dropout', [r.outputs[0], ratio, mode], {}, { name: 'd2', outputNames: masks ? ['y2', 'm2'] : ['y2'] });
  g.outputs.push(d1.outputs[0], d2.outputs[0]);
  if (masks) g.outputs.push(d1.outputs[1], d2.outputs[1]);
  return inferShapes(g);
}

/** The definition: keep element i of draw k iff the k-th draw of mulberry32(seed) is >= ratio (a float32 input). */
function expected(x: Float32Array, runs: number): { y1: number[]; y2: number[] }[] {
  const ratio = Math.fround(RATIO), rand = mulberry32(SEED), scale = 1 / (1 - ratio), out = [];
  for (let r = 0; r < runs; r++) {
    const y1 = Array.from(x, (v) => (rand() >= ratio ? Math.fround(v * scale) : 0));
    const y2 = y1.map((v) => (rand() >= ratio ? Math.fround(Math.max(v, 0) * scale) : 0));
    out.push({ y1, y2 });
  }
  return out;
}

const x = Float32Array.from({ length: N }, (_, i) => Math.sin(i + 1) * 2);
const backends = ['reference', 'js', ...(hasAdapter ? ['wgsl'] : [])];

describe('ONNX Dropout training RNG: one stream, every backend bit for bit', () => {
  it('the definition keeps about 1 - ratio of the elements', () => {
    const kept = expected(x, 1)[0].y1.filter((v) => v !== 0).length / N;
    expect(Math.abs(kept - (1 - RATIO))).toBeLessThan(0.08);
  });

  for (const backend of backends) {
    for (const [masks, modeInput] of [[false, false], [true, false], [true, true]] as const) {
      it(`${backend}: ${masks ? 'with' : 'without'} mask outputs, training ${modeInput ? 'from the training_mode input' : 'from the backend option'}`, async () => {
        const model = await (await getBackend(backend)).compile(dropoutGraph(masks, modeInput), { training: !modeInput, seed: SEED, threads: 1 });
        try {
          const want = expected(x, 2);
          for (let run = 0; run < 2; run++) {
            const out = await model.run({ x: Tensor.fromArray('float32', [N], x) });
            expect(Array.from(out.y1.data)).toEqual(want[run].y1);
            expect(Array.from(out.y2.data)).toEqual(want[run].y2);
            if (masks) expect(Array.from(out.m1.data, Boolean)).toEqual(want[run].y1.map((v, i) => v !== 0 || x[i] === 0));
          }
        } finally {
          await model.dispose();
        }
      });
    }
  }
});
