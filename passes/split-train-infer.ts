// split-train-infer: from ONE eval-mode model build the two graphs of training.
//   training graph: every BatchNormalization (unless frozen) becomes ai.layerc::BatchNormTrain, which
//     normalizes with batch statistics and outputs the updated running mean/var; a loss is appended, the
//     backward graph is built by reverse-mode autodiff, and the optimizer update follows. All state
//     (parameters, running stats, optimizer moments, step) is initializers with a `role`; the graph outputs
//     `<state>__next` for each, so one run is a pure function state -> state'.
//   inference graph: the model itself, BN with running statistics (the optimizer then folds it away).
// Both first give every running statistic its own storage: exporters de-duplicate equal initializers
// (mlp_train_sgd has running_var = Identity(weight)), and a training step writing through the alias would
// overwrite gamma.
import type { Graph, Node, Value } from '../src/ir/graph.ts';
import { inferShapes } from '../src/ir/infer.ts';
import { cloneGraph } from '../src/ir/clone.ts';
import { backward } from '../src/train/autodiff.ts';
import { addLoss, type LossKind } from '../src/train/losses.ts';
import { addOptimizer, type OptimizerOptions } from '../src/train/optimizers.ts';
import type { BnConvention } from '../src/ops/batchnorm-train.ts';
import { bnSetting, isBn, ownRunningStats, trainingManifest, type BnSetting, type StateManifest } from '../src/train/state.ts';
import '../src/ops/index.ts';
import { Tensor } from '../src/ir/tensor.ts';
import { isFloat } from '../src/ir/dtype.ts';
import { lcError } from '../src/diagnostics.ts';

export interface SplitOptions {
  loss: LossKind;
  optimizer: OptimizerOptions;
  bnConvention?: BnConvention;
  /** Seed of the dropout masks. */
  seed?: number;
  /** Glob patterns (`*` wildcard) on node and parameter names: matching parameters / BN layers are frozen. */
  freeze?: string[];
  /** Batch size: a symbolic first dim of the model input is fixed to it (conv/pool gradients need static shapes). */
  batch?: number;
}

export interface TrainingProgram {
  graph: Graph;
  input: Value;
  labels: Value;
  output: Value;
  loss: Value;
  /** Every piece of state with the graph output holding its next value. */
  next: Map<Value, Value>;
  /** Trainable parameters with their gradient values (graph values, not outputs). */
  grads: Map<Value, Value | null>;
  /** Every state entry and BN setting; includes the host-kept num_batches_tracked counters (pytorch convention). */
  manifest: StateManifest;
}

function globToRegex(p: string): RegExp {
  return new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

export function isFrozenName(name: string, freeze: string[] = []): boolean {
  return freeze.some((p) => globToRegex(p).test(name) || name.startsWith(`${p}.`));
}

/** Float initializers of rank >= 1 that are not running statistics are parameters. */
function markParams(g: Graph, freeze: string[]): Value[] {
  const params: Value[] = [];
  for (const v of g.initializers) {
    if (v.role && v.role !== 'param') continue;
    if (!v.const || !isFloat(v.const.dtype) || v.const.rank === 0) continue;
    v.role = 'param';
    const frozenByNode = v.users.some((n) => isFrozenName(n.name, freeze));
    if (v.trainable === false || isFrozenName(v.name, freeze) || frozenByNode) v.trainable = false;
    else params.push(v);
  }
  return params;
}

/**
 * Dropout becomes DropoutTrain fed by a step counter that is state ('dropout.step', role 'step'), so masks
 * differ per step yet follow from the state. The ratio must be a constant.
 */
function activateDropout(g: Graph, next: Map<Value, Value>, seed: number): void {
  const drops = g.nodes.filter((n) => n.op === 'Dropout' && !n.domain);
  if (!drops.length) return;
  const step = g.addConst('dropout.step', Tensor.fromArray('float32', [], [0]), 'step');
  const one = g.addConst('dropout.one', Tensor.fromArray('float32', [], [1]));
  next.set(step, g.addNode('Add', [step, one], {}, { name: 'dropout_step_next', outputNames: ['dropout.step__next'] }).outputs[0]);
  drops.forEach((node, k) => {
    const ratioV = node.inputs[1];
    if (ratioV && !ratioV.const) throw lcError('LC069', [`Dropout '${node.name}' has a ratio that is not a constant`]);
    const ratio = ratioV?.const?.data[0] ?? 0.5;
    const dt = g.addNode('DropoutTrain', [node.inputs[0], step], { ratio, seed: seed * 1000 + k },
      { domain: 'ai.layerc', name: `${node.name}_train`, numOutputs: 2 }, node);
    g.replaceAllUses(node.outputs[0], dt.outputs[0]);
    for (const o of node.outputs.slice(1)) if (o.users.length) throw lcError('LC069', [`the mask of Dropout '${node.name}' is used`]);
    g.removeNode(node);
  });
}

/** The training graph runs on fixed-size batches: a symbolic batch dim of the first input becomes `batch`. */
function fixBatch(g: Graph, batch: number | undefined): void {
  const t = g.inputs[0]?.type;
  if (!batch || !t?.shape?.length) return;
  if (typeof t.shape[0] === 'number') {
    if (t.shape[0] !== batch) throw lcError('LC069', [`input '${g.inputs[0].name}' of the model has a fixed batch of ${t.shape[0]}; train with --batch ${t.shape[0]}`]);
    return;
  }
  t.shape = [batch, ...t.shape.slice(1)];
  inferShapes(g);
}

/**
 * Drops nodes no graph output depends on. A vjp rule emits every input's gradient (Conv its dX), and autodiff
 * keeps only those that reach a parameter, so e.g. the first conv's ConvGradInput would otherwise run for nothing.
 */
function removeDeadNodes(g: Graph): void {
  const live = new Set<Value>(g.outputs);
  const dead: Node[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (n.outputs.some((o) => live.has(o))) { for (const v of n.inputs) if (v) live.add(v); } else dead.push(n);
  }
  for (const n of dead) g.removeNode(n); // reverse topological order: users go before their producers
}

export function buildInferenceGraph(model: Graph): Graph {
  const g = cloneGraph(model, `${model.name}_inference`);
  ownRunningStats(g);
  return g;
}

export function buildTrainingGraph(model: Graph, opts: SplitOptions): TrainingProgram {
  const g = cloneGraph(model, `${model.name}_training`);
  const conv = opts.bnConvention ?? 'pytorch';
  const freeze = opts.freeze ?? [];
  ownRunningStats(g);
  fixBatch(g, opts.batch);
  const next = new Map<Value, Value>();
  const bn: BnSetting[] = [];
  for (const node of g.nodes.filter(isBn)) {
    const [x, scale, bias, mean, varr] = node.inputs;
    // Frozen BN (running stats, no update): --freeze matches its node name or its running statistics' names,
    // or they are marked trainable=false (a frozen DSL layer). A non-trainable gamma alone means scale=false.
    const frozen = [node.name, mean!.name, varr!.name].some((n) => isFrozenName(n, freeze)) || mean?.trainable === false || varr?.trainable === false;
    const setting = bnSetting(node, conv, frozen);
    bn.push(setting);
    if (frozen) continue;
    const bt = g.addNode('BatchNormTrain', [x, scale, bias, mean, varr],
      { epsilon: setting.eps, momentum: setting.momentum, convention: conv },
      { domain: 'ai.layerc', name: `${node.name}_train`, outputNames: [`${node.outputs[0].name}__train`, `${mean!.name}__next`, `${varr!.name}__next`, '', ''] }, node);
    g.replaceAllUses(node.outputs[0], bt.outputs[0]);
    g.removeNode(node);
    next.set(mean!, bt.outputs[1]);
    next.set(varr!, bt.outputs[2]);
  }
  activateDropout(g, next, opts.seed ?? 0);
  inferShapes(g);
  const output = g.outputs[0];
  const input = g.inputs[0];
  const params = markParams(g, freeze);
  const { labels, loss } = addLoss(g, output, opts.loss);
  inferShapes(g);
  const grads = backward(g, loss, params);
  for (const [p, d] of addOptimizer(g, grads, opts.optimizer)) next.set(p, d);
  inferShapes(g);
  g.outputs = [loss, output, ...next.values()];
  removeDeadNodes(g);
  return { graph: g, input, labels, output, loss, next, grads, manifest: trainingManifest(g, next.keys(), bn) };
}
