// summary(graph) / `layerc inspect --summary`: the per-layer split into trainable, non-trainable and state,
// checked against PyTorch's own state_dict of the same model (the mlp_train_sgd fixture dumps it tensor by
// tensor), a frozen DSL layer, an aliased running statistic and a shape constant; and inspect's opset line.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MODELS } from '../fixtures.ts';
import { readNpy } from '../train/npy.ts';
import { loadOnnxFile, importOnnx } from '../../src/frontend/onnx.ts';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { exportOnnx } from '../../src/export/onnx.ts';
import { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { formatSummary, summary } from '../../src/api/summary.ts';
import { summarize } from '../../src/cli/inspect.ts';

describe('summary', () => {
  it('matches PyTorch\'s state_dict: weights and biases trainable, running statistics state', () => {
    const dir = join(MODELS, 'mlp_train_sgd/reference/state_initial');
    let params = 0, stats = 0;
    for (const f of readdirSync(dir)) {
      const n = readNpy(join(dir, f)).size;
      if (/\.(weight|bias)\.npy$/.test(f)) params += n;
      else if (/\.running_(mean|var)\.npy$/.test(f)) stats += n;
    }
    const s = summary(loadOnnxFile(join(MODELS, 'mlp_train_sgd/model.onnx')));
    expect(s.totals).toEqual({ trainable: params, nonTrainable: 0, state: stats, constants: 0 });
    const bn = s.layers.filter((l) => l.op === 'BatchNormalization');
    expect(bn.map((l) => [l.trainable, l.state])).toEqual([[10, 10], [6, 6]]); // Linear(2->5) BN1d(5) ... BN1d(3)
    expect(summarize(loadOnnxFile(join(MODELS, 'mlp_train_sgd/model.onnx')))).toContain(`parameters: ${params} (trainable ${params}, non-trainable 0)\nstate: ${stats}`);
  });

  it('a frozen DSL layer is non-trainable; rows carry the DSL names and output shapes', () => {
    const g = compileDsl('model m(x: f32[N, 4]) {\n  return x |> dense(3, name="body") |> batchnorm |> dense(2, trainable=false, name="head")\n}\n', 'm.layers');
    const s = summary(g);
    expect(s.layers.map((l) => [l.name, l.op, l.output, l.trainable, l.nonTrainable, l.state])).toEqual([
      ['body', 'Gemm', '[N, 3]', 15, 0, 0],
      [s.layers[1].name, 'BatchNormalization', '[N, 3]', 6, 0, 6],
      ['head', 'Gemm', '[N, 2]', 0, 8, 0],
    ]);
    const text = formatSummary(s);
    expect(text).toMatch(/^head \(Gemm\)\s+\[N, 2\]\s+0\s+8\s+0$/m);
    expect(text).toContain('Total parameters: 29 (trainable 21, non-trainable 8)');
  });

  it('an Identity-aliased running statistic is state; an integer shape constant is a constant, not a parameter', () => {
    const g = new Graph('alias');
    const x = g.addInput('x', { dtype: 'float32', shape: [2, 3] });
    const gamma = g.addConst('gamma', Tensor.fromArray('float32', [3], [1, 1, 1]));
    const beta = g.addConst('beta', Tensor.fromArray('float32', [3], [0, 0, 0]));
    const mean = g.addConst('mean', Tensor.fromArray('float32', [3], [0, 0, 0]));
    const shape = g.addConst('shape', Tensor.fromArray('int64', [2], [3, 2]));
    const [varAlias] = g.addNode('Identity', [gamma], {}, { name: 'alias' }).outputs; // PyTorch's de-duplicated running_var
    const [y] = g.addNode('BatchNormalization', [x, gamma, beta, mean, varAlias], {}, { name: 'bn' }).outputs;
    const [z] = g.addNode('Reshape', [y, shape], {}, { name: 'reshape' }).outputs;
    g.outputs.push(z);
    const s = summary(g);
    expect(s.layers.map((l) => l.name)).toEqual(['bn', 'reshape']);
    expect(s.totals).toEqual({ trainable: 6, nonTrainable: 0, state: 6, constants: 2 });
  });
});

describe('inspect', () => {
  it('names an opset upgrade only when there was one', () => {
    expect(summarize(loadOnnxFile(join(MODELS, 'mlp_bn/model.onnx')))).toMatch(/^opset 18 \(upgraded from the file's opset 13\)$/m);
    const same = importOnnx(exportOnnx(compileDsl('model m(x: f32[1, 4]) {\n  return x |> relu\n}\n', 'm.layers')));
    expect(summarize(same)).toMatch(/^opset 18$/m);
  });
});
