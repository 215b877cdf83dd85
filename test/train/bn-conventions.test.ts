// BatchNormTrain on 4-D NCHW and 2-D [N, C] inputs under the three running-stat conventions, and the
// softmax cross-entropy loss with its gradient, against numpy written from the conventions' own definitions:
//   pytorch: new = (1 - m) old + m batch, running_var from the UNBIASED batch variance (torch.nn.BatchNorm2d)
//   keras:   new = m old + (1 - m) batch, biased (tf.keras BatchNormalization moving_mean/moving_variance)
//   onnx:    new = m old + (1 - m) batch, population variance (BatchNormalization-15)
// Normalization always uses the biased batch statistics over every axis but axis 1.
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { backward } from '../../src/train/autodiff.ts';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { buildTrainingGraph } from '../../passes/split-train-infer.ts';
import { Trainer } from '../../src/train/loop/trainer.ts';
import type { BnConvention } from '../../src/ops/batchnorm-train.ts';
import { importOnnx, loadOnnxFile } from '../../src/frontend/onnx.ts';
import { exportOnnx } from '../../src/export/onnx.ts';
import { join } from 'node:path';
import { MODELS } from '../fixtures.ts';
import '../../src/ops/index.ts';

const seq = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

const PY_BN = `
import json, sys, numpy as np
def one(a):
  x = np.array(a['x'], dtype=np.float64).reshape(a['shape'])
  axes = tuple(i for i in range(x.ndim) if i != 1); cnt = x.size // x.shape[1]
  mean = x.mean(axis=axes); var = x.var(axis=axes)  # biased
  bshape = [1, -1] + [1] * (x.ndim - 2)
  y = np.array(a['g']).reshape(bshape) * (x - mean.reshape(bshape)) / np.sqrt(var.reshape(bshape) + a['eps']) + np.array(a['b']).reshape(bshape)
  rm, rv, m, c = np.array(a['rm']), np.array(a['rv']), a['momentum'], a['conv']
  if c == 'pytorch': nm, nv = (1 - m) * rm + m * mean, (1 - m) * rv + m * var * cnt / (cnt - 1)
  else: nm, nv = m * rm + (1 - m) * mean, m * rv + (1 - m) * var
  return {'y': y.ravel().tolist(), 'rm': nm.tolist(), 'rv': nv.tolist()}
print(json.dumps([one(a) for a in json.loads(sys.argv[1])]))`;

const PY_CE = `
import json, sys, numpy as np
a = json.loads(sys.argv[1]); z = np.array(a['z']).reshape(a['n'], a['k']); t = np.array(a['t'])
p = np.exp(z - z.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
loss = -np.log(p[np.arange(a['n']), t]).mean(); g = p.copy(); g[np.arange(a['n']), t] -= 1; g /= a['n']
print(json.dumps({'loss': float(loss), 'grad': g.ravel().tolist()}))`;

function close(got: ArrayLike<number>, want: number[], rtol = 1e-5, atol = 1e-6): void {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs(got[i] - w), `[${i}] got ${got[i]} want ${w}`).toBeLessThanOrEqual(atol + rtol * Math.abs(w)));
}

describe('BatchNormTrain conventions vs numpy', () => {
  const cases: [string, number, number[]][] = [
    ['pytorch', 0.1, [4, 3, 5, 2]], ['keras', 0.99, [4, 3, 5, 2]], ['onnx', 0.9, [4, 3, 5, 2]],
    ['pytorch', 0.3, [6, 3]], ['keras', 0.8, [6, 3]], ['onnx', 0.7, [6, 3]],
  ];
  const inputs = cases.map(([conv, momentum, shape]) => ({
    x: seq(shape.reduce((p, d) => p * d, 1), (i) => Math.sin(0.7 * i) * (1 + (i % 3)) + 0.2 * (i % 5)),
    shape, g: [1.5, -0.5, 0.8], b: [0.1, 0.2, -0.3], rm: [0.05, -0.1, 0.3], rv: [1.2, 0.6, 2.0], eps: 1e-3, momentum, conv,
  }));
  let wants: { y: number[]; rm: number[]; rv: number[] }[] = [];
  beforeAll(() => { wants = JSON.parse(execFileSync('python3', ['-c', PY_BN, JSON.stringify(inputs)]).toString()); });
  cases.forEach(([conv, momentum, shape], k) => {
    it(`${conv} momentum ${momentum} on [${shape}]`, () => {
      const a = inputs[k], x = a.x, want = wants[k];
      const g = new Graph('bn');
      const xin = g.addInput('x', { dtype: 'float32', shape });
      const c = (name: string, v: number[]) => g.addConst(name, Tensor.fromArray('float32', [3], v));
      const node = g.addNode('BatchNormTrain', [xin, c('g', a.g), c('b', a.b), c('rm', a.rm), c('rv', a.rv)],
        { epsilon: a.eps, momentum, convention: conv }, { domain: 'ai.layerc', numOutputs: 5 });
      g.outputs = node.outputs.slice(0, 3);
      const out = runGraph(g, { x: Tensor.fromArray('float32', shape, x) });
      close(out[node.outputs[0].name].data, want.y, 1e-5, 1e-5);
      close(out[node.outputs[1].name].data, want.rm);
      close(out[node.outputs[2].name].data, want.rv);
    });
  });
});

describe('softmax cross-entropy vs numpy', () => {
  it('loss and logits gradient (integer labels, mean over the batch)', () => {
    const n = 5, k = 4, z = seq(n * k, (i) => 3 * Math.sin(1.3 * i)), t = [0, 3, 1, 1, 2];
    const g = new Graph('ce');
    const logits = g.addConst('z', Tensor.fromArray('float64', [n, k], z), 'param');
    const labels = g.addConst('t', Tensor.fromArray('int64', [n], t));
    const loss = g.addNode('SoftmaxCrossEntropy', [logits, labels], {}, { domain: 'ai.layerc' }).outputs[0];
    loss.type = { dtype: 'float64', shape: [] };
    const grad = backward(g, loss, [logits]).get(logits)!;
    g.outputs = [loss, grad];
    const out = runGraph(g, {});
    const want = JSON.parse(execFileSync('python3', ['-c', PY_CE, JSON.stringify({ z, t, n, k })]).toString());
    close(out[loss.name].data, [want.loss], 1e-12, 1e-12);
    close(out[grad.name].data, want.grad, 1e-12, 1e-12);
  });
});

describe('per-layer BN momentum and eps from the DSL', () => {
  it('batchnorm(momentum=0.3, eps=0.01) reaches BatchNormTrain in each convention\'s own meaning', () => {
    const src = 'model m(x: f32[N, 2]) {\n  y = x |> dense(3) |> batchnorm(momentum=0.3, eps=0.01)\n  return y\n}';
    const want = { pytorch: 0.3, onnx: 0.7, keras: 0.7 } as const; // DSL momentum is PyTorch's (weight of the new value)
    for (const conv of ['pytorch', 'onnx', 'keras'] as const) {
      const p = buildTrainingGraph(compileDsl(src, 'm.layers', { seed: 0 }), { loss: 'mse', optimizer: { kind: 'sgd', lr: 0.1 }, bnConvention: conv, batch: 4 });
      const bt = p.graph.nodes.find((n) => n.op === 'BatchNormTrain')!;
      expect(bt.attrs.momentum as number, conv).toBeCloseTo(want[conv], 6);
      expect(bt.attrs.epsilon as number).toBeCloseTo(0.01, 8);
      expect(bt.attrs.convention).toBe(conv);
    }
  });
});

describe('BN momentum: the layer\'s own only when written, else the convention\'s default', () => {
  const build = (g: Graph, conv: BnConvention) =>
    buildTrainingGraph(g, { loss: 'mse', optimizer: { kind: 'sgd', lr: 0.1 }, bnConvention: conv, batch: fixedBatch(g) ?? 4 });
  const fixedBatch = (g: Graph) => { const d = g.inputs[0].type.shape![0]; return typeof d === 'number' ? d : undefined; };
  const momenta = (g: Graph, conv: BnConvention) => build(g, conv).graph.nodes.filter((n) => n.op === 'BatchNormTrain').map((n) => n.attrs.momentum as number);
  const plain = 'model m(x: f32[N, 2]) {\n  y = x |> dense(3) |> batchnorm\n  return y\n}';

  it('DSL batchnorm without momentum= gets 0.1 (pytorch), 0.99 (keras), 0.9 (onnx); with momentum= its own', () => {
    for (const [conv, want] of [['pytorch', 0.1], ['keras', 0.99], ['onnx', 0.9]] as const) {
      expect(momenta(compileDsl(plain, 'm.layers', { seed: 0 }), conv)[0], conv).toBeCloseTo(want, 12);
    }
    const own = plain.replace('batchnorm', 'batchnorm(momentum=0.1)');
    expect(momenta(compileDsl(own, 'm.layers', { seed: 0 }), 'keras')[0]).toBeCloseTo(0.9, 12);
  });

  it('keras default 0.99 in the running mean after one step: 0.99 old + 0.01 batch mean', async () => {
    const p = build(compileDsl(plain, 'm.layers', { seed: 0 }), 'keras');
    const t = await Trainer.create(p, 'reference');
    const xs = [0.5, -1, 2, 0.25, -0.75, 1.5, 1, -2];
    const x = Tensor.fromArray('float32', [4, 2], xs);
    await t.trainStep(x, Tensor.fromArray('float32', [4, 3], new Array(12).fill(0)));
    // The dense layer's output (the BN input) from the initial weights, computed here by hand.
    const w = p.graph.value('dense1.weight')!.const!, b = p.graph.value('dense1.bias')!.const!;
    const mean = [0, 1, 2].map((j) => [0, 1, 2, 3].reduce((acc, r) => acc + xs[2 * r] * w.data[2 * j] + xs[2 * r + 1] * w.data[2 * j + 1] + b.data[j], 0) / 4);
    const rm = t.state.get('bn1.running_mean')!;
    mean.forEach((m, j) => expect(rm.data[j]).toBeCloseTo(0.01 * m, 5)); // old running mean is 0
    await t.dispose();
  });

  it('ONNX: an explicit momentum attribute wins, an absent one takes the convention default', () => {
    const explicit = loadOnnxFile(join(MODELS, 'mlp_train_sgd/model.onnx')); // written by PyTorch: momentum 0.9
    expect(momenta(explicit, 'keras').every((m) => Math.abs(m - 0.9) < 1e-6)).toBe(true);
    const absent = importOnnx(exportOnnx(compileDsl(plain, 'm.layers', { seed: 0 })));
    expect(absent.nodes.find((n) => n.op === 'BatchNormalization')!.attrs.momentum).toBeUndefined();
    expect(momenta(absent, 'keras')[0]).toBeCloseTo(0.99, 12);
  });
});

