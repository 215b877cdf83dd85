// Builds the fixture MLP (Linear BN Tanh Linear BN Tanh Linear) from its PyTorch state_dict .npy files using
// only existing elementwise/reduce ops (a Linear is Unsqueeze + broadcast Mul + ReduceSum + Add), so the
// training tests exercise autodiff through broadcasting without depending on Gemm.
import { join } from 'node:path';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { readNpy } from './npy.ts';
import '../../src/ops/index.ts';

const cast = (t: Tensor, dtype: 'float32' | 'float64') => Tensor.fromArray(dtype, t.shape, t.data as Float32Array);

export interface MlpGraph { graph: Graph; x: Value; y: Value; loss: Value; params: Map<string, Value>; runningOut: Map<string, Value> }

export function buildMlp(stateDir: string, batch: number, convention: string, momentum: number, dtype: 'float32' | 'float64' = 'float32'): MlpGraph {
  const g = new Graph('mlp_bn');
  const params = new Map<string, Value>();
  const load = (name: string, role: 'param' | 'running_mean' | 'running_var') => {
    const v = g.addConst(name, cast(readNpy(join(stateDir, `${name}.npy`)), dtype), role);
    if (role === 'param') params.set(name, v);
    return v;
  };
  const x = g.addInput('input', { dtype, shape: [batch, 2] });
  const axis = (a: number) => g.addConst('axis', Tensor.fromArray('int64', [1], [a]));
  const linear = (h: Value, p: string) => {
    const w = load(`${p}.weight`, 'param'), b = load(`${p}.bias`, 'param');
    const u = g.addNode('Unsqueeze', [h, axis(1)]).outputs[0];
    const m = g.addNode('Mul', [u, w]).outputs[0];
    const s = g.addNode('ReduceSum', [m, axis(2)], { keepdims: 0 }).outputs[0];
    return g.addNode('Add', [s, b]).outputs[0];
  };
  const runningOut = new Map<string, Value>();
  const bn = (h: Value, p: string) => {
    const node = g.addNode('BatchNormTrain', [h, load(`${p}.weight`, 'param'), load(`${p}.bias`, 'param'),
      load(`${p}.running_mean`, 'running_mean'), load(`${p}.running_var`, 'running_var')],
    { convention, momentum }, { domain: 'ai.layerc', numOutputs: 5 });
    runningOut.set(`${p}.running_mean`, node.outputs[1]);
    runningOut.set(`${p}.running_var`, node.outputs[2]);
    return node.outputs[0];
  };
  let h = g.addNode('Tanh', [bn(linear(x, 'net.0'), 'net.1')]).outputs[0];
  h = g.addNode('Tanh', [bn(linear(h, 'net.3'), 'net.4')]).outputs[0];
  const y = linear(h, 'net.6');
  const sq = g.addNode('Mul', [y, y]).outputs[0];
  const sum = g.addNode('ReduceSum', [sq], { keepdims: 0 }).outputs[0];
  const loss = g.addNode('Div', [sum, g.addConst('batch', Tensor.fromArray(dtype, [], [batch]))]).outputs[0];
  inferShapes(g);
  return { graph: g, x, y, loss, params, runningOut };
}

/**
 * The same MLP as an eval-mode model (ONNX BatchNormalization, momentum 0.9 as torch exports it). With
 * `alias`, running_mean/var are Identity(bias/weight), as in mlp_train_sgd/model.onnx (exporter dedup).
 */
export function buildMlpEval(stateDir: string, batch: number, alias: boolean): Graph {
  const g = new Graph('mlp_bn');
  const load = (name: string) => g.addConst(name, readNpy(join(stateDir, `${name}.npy`)));
  const x = g.addInput('input', { dtype: 'float32', shape: [batch, 2] });
  const axis = (a: number) => g.addConst('axis', Tensor.fromArray('int64', [1], [a]));
  const linear = (h: Value, p: string) => {
    const w = load(`${p}.weight`), b = load(`${p}.bias`);
    const u = g.addNode('Unsqueeze', [h, axis(1)]).outputs[0];
    const s = g.addNode('ReduceSum', [g.addNode('Mul', [u, w]).outputs[0], axis(2)], { keepdims: 0 }).outputs[0];
    return g.addNode('Add', [s, b]).outputs[0];
  };
  const bn = (h: Value, p: string) => {
    const w = load(`${p}.weight`), b = load(`${p}.bias`);
    const mean = alias ? g.addNode('Identity', [b], {}, { outputNames: [`${p}.running_mean`] }).outputs[0] : load(`${p}.running_mean`);
    const vr = alias ? g.addNode('Identity', [w], {}, { outputNames: [`${p}.running_var`] }).outputs[0] : load(`${p}.running_var`);
    return g.addNode('BatchNormalization', [h, w, b, mean, vr], { epsilon: 1e-5, momentum: 0.9 }, { name: `bn_${p}` }).outputs[0];
  };
  let h = g.addNode('Tanh', [bn(linear(x, 'net.0'), 'net.1')]).outputs[0];
  h = g.addNode('Tanh', [bn(linear(h, 'net.3'), 'net.4')]).outputs[0];
  g.outputs = [linear(h, 'net.6')];
  return g;
}
