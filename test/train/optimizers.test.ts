// Optimizer updates against an independent numpy implementation of PyTorch's SGD (momentum, weight decay),
// Adam, AdamW (decoupled decay) and RMSprop formulas on a linear least-squares model: 6 steps, every parameter
// compared, also with a learning rate that changes every step (what a schedule does); and AdamW's and RMSprop's
// first step computed by hand.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { buildTrainingGraph } from '../../passes/split-train-infer.ts';
import { Trainer } from '../../src/train/loop/trainer.ts';
import type { OptimizerOptions } from '../../src/train/optimizers.ts';
import '../../src/ops/index.ts';

const seq = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
const X = seq(24, (i) => Math.sin(i * 1.3)), T = seq(16, (i) => Math.cos(i * 0.7)), W0 = seq(6, (i) => 0.1 * i - 0.2), B0 = [0.05, -0.1];

function model(): Graph {
  const g = new Graph('lin');
  const x = g.addInput('x', { dtype: 'float32', shape: [8, 3] });
  const w = g.addConst('w', Tensor.fromArray('float32', [2, 3], W0)), b = g.addConst('b', Tensor.fromArray('float32', [2], B0));
  const u = g.addNode('Unsqueeze', [x, g.addConst('a1', Tensor.fromArray('int64', [1], [1]))]).outputs[0];
  const s = g.addNode('ReduceSum', [g.addNode('Mul', [u, w]).outputs[0], g.addConst('a2', Tensor.fromArray('int64', [1], [2]))], { keepdims: 0 }).outputs[0];
  g.outputs = [g.addNode('Add', [s, b]).outputs[0]];
  return g;
}

const PY = `
import json, sys, numpy as np
a = json.loads(sys.argv[1]); X = np.array(a['X']).reshape(8, 3); T = np.array(a['T']).reshape(8, 2)
W = np.array(a['W0']).reshape(2, 3); b = np.array(a['B0']); o = a['opt']; wd = o.get('weightDecay', 0)
st = {k: [np.zeros_like(W), np.zeros_like(b)] for k in ('buf', 'm', 'v')}
for t in range(1, 7):
    r = X @ W.T + b - T; gW = 2 * r.T @ X / r.size; gb = 2 * r.sum(0) / r.size
    lr = a['lrs'][t - 1] if a.get('lrs') else o['lr']
    for i, (p, g) in enumerate(((W, gW), (b, gb))):
        if o['kind'] == 'adamw': p *= 1 - lr * wd
        else: g = g + wd * p
        if o['kind'] == 'sgd': p -= lr * g
        elif o['kind'] == 'momentum':
            st['buf'][i] = o['momentum'] * st['buf'][i] + g; p -= lr * st['buf'][i]
        elif o['kind'] == 'rmsprop':
            st['v'][i] = 0.99 * st['v'][i] + 0.01 * g * g; p -= lr * g / (np.sqrt(st['v'][i]) + 1e-8)
        else:
            st['m'][i] = 0.9 * st['m'][i] + 0.1 * g; st['v'][i] = 0.999 * st['v'][i] + 0.001 * g * g
            p -= lr * (st['m'][i] / (1 - 0.9 ** t)) / (np.sqrt(st['v'][i] / (1 - 0.999 ** t)) + 1e-8)
print(json.dumps({'W': W.ravel().tolist(), 'b': b.tolist()}))`;

describe('optimizers match PyTorch formulas (numpy oracle)', () => {
  const cases: OptimizerOptions[] = [
    { kind: 'sgd', lr: 0.1, weightDecay: 0.01 },
    { kind: 'momentum', lr: 0.05, momentum: 0.9, weightDecay: 0.001 },
    { kind: 'adam', lr: 0.01 },
    { kind: 'adam', lr: 0.01, weightDecay: 0.1 },
    { kind: 'adamw', lr: 0.01, weightDecay: 0.1 },
    { kind: 'rmsprop', lr: 0.01 },
    { kind: 'rmsprop', lr: 0.01, weightDecay: 0.05 },
  ];
  const LRS = [0.02, 0.015, 0.01, 0.03, 0.005, 0.01];
  for (const [opt, lrs] of [...cases.map((c) => [c, undefined] as const), [cases[2], LRS] as const, [cases[4], LRS] as const]) {
    it(`${opt.kind} ${JSON.stringify(opt)}${lrs ? ' with a learning rate per step' : ''}`, async () => {
      const t = await Trainer.create(buildTrainingGraph(model(), { loss: 'mse', optimizer: opt }));
      const x = Tensor.fromArray('float32', [8, 3], X), y = Tensor.fromArray('float32', [8, 2], T);
      for (let i = 0; i < 6; i++) {
        if (lrs) t.learningRate = lrs[i];
        await t.trainStep(x, y);
      }
      const want = JSON.parse(execFileSync('python3', ['-c', PY, JSON.stringify({ X, T, W0, B0, opt, lrs })]).toString());
      Array.from(t.state.get('w')!.data).forEach((v, i) => expect(v).toBeCloseTo(want.W[i], 5));
      Array.from(t.state.get('b')!.data).forEach((v, i) => expect(v).toBeCloseTo(want.b[i], 5));
    });
  }
});

describe('first steps by hand', () => {
  // One parameter w (= 2), loss mse(w * x, t) with x = 1, t = 0: the gradient is 2 w = 4.
  const tiny = () => {
    const g = new Graph('tiny');
    const x = g.addInput('x', { dtype: 'float32', shape: [1, 1] });
    g.outputs = [g.addNode('Mul', [x, g.addConst('w', Tensor.fromArray('float32', [1, 1], [2]))]).outputs[0]];
    return g;
  };
  const step = async (opt: OptimizerOptions) => {
    const t = await Trainer.create(buildTrainingGraph(tiny(), { loss: 'mse', optimizer: opt }));
    await t.trainStep(Tensor.fromArray('float32', [1, 1], [1]), Tensor.fromArray('float32', [1, 1], [0]));
    return t.state.get('w')!.data[0];
  };
  it('AdamW: w (1 - lr wd) - lr m^/(sqrt(v^) + eps) = 2 (1 - 0.1 * 0.5) - 0.1 * 4 / (4 + 1e-8)', async () => {
    expect(await step({ kind: 'adamw', lr: 0.1, weightDecay: 0.5 })).toBeCloseTo(2 * (1 - 0.05) - 0.1 * 4 / (4 + 1e-8), 5); // 1.8
  });
  it('RMSprop: v = 0.01 * 16, w - lr g / (sqrt(v) + eps) = 2 - 0.1 * 4 / 0.4', async () => {
    expect(await step({ kind: 'rmsprop', lr: 0.1 })).toBeCloseTo(2 - 0.1 * 4 / (Math.sqrt(0.16) + 1e-8), 5); // 1.0
  });
});
