// Optimizer updates as graph nodes, so one training step is a pure function state -> state'. Every moment
// buffer and the step counter are named state (role 'optimizer' / 'step'), saved with checkpoints.
//   sgd:      p' = p - lr (g + wd p)
//   momentum: v' = mu v + (g + wd p); p' = p - lr v'                         (PyTorch SGD with momentum)
//   adam:     t' = t + 1; m' = b1 m + (1-b1) g; v' = b2 v + (1-b2) g^2;
//             p' = p - lr (m' / (1 - b1^t')) / (sqrt(v' / (1 - b2^t')) + eps)   (PyTorch Adam, L2 weight decay)
//   adamw:    as adam on the plain gradient, with decoupled decay first: p' = p (1 - lr wd) - lr (adam step)
//             (PyTorch AdamW; its default wd is 0.01, ours the --weight-decay given)
//   rmsprop:  v' = alpha v + (1-alpha) g^2; p' = p - lr g / (sqrt(v') + eps)      (PyTorch RMSprop, alpha 0.99,
//             eps 1e-8, L2 weight decay in g, no momentum, not centered)
// The learning rate is one named scalar, `optimizer.lr`: an initializer (so the graph runs as is), which the
// Trainer feeds as an input each step so a schedule (src/train/schedule.ts) can change it.
import type { Graph, Value } from '../ir/graph.ts';
import { Tensor } from '../ir/tensor.ts';

export type OptimizerKind = 'sgd' | 'momentum' | 'adam' | 'adamw' | 'rmsprop';
export const OPTIMIZERS: readonly OptimizerKind[] = ['sgd', 'momentum', 'adam', 'adamw', 'rmsprop'];
export const LEARNING_RATE = 'optimizer.lr';

export interface OptimizerOptions {
  kind: OptimizerKind;
  lr: number;
  momentum?: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** rmsprop's smoothing constant (PyTorch `alpha`, default 0.99). */
  alpha?: number;
}

/** state name -> value holding its next value (a step output). */
export type StateUpdates = Map<Value, Value>;

export function addOptimizer(graph: Graph, grads: Map<Value, Value | null>, opt: OptimizerOptions): StateUpdates {
  const updates: StateUpdates = new Map();
  const dtypeOf = (v: Value) => v.type.dtype;
  const k = (like: Value, x: number) => graph.addConst('opt_const', Tensor.fromArray(dtypeOf(like), [], [x]));
  const bin = (op: string, a: Value, b: Value, name?: string) => graph.addNode(op, [a, b], {}, name ? { outputNames: [name] } : {}).outputs[0];
  const zerosLike = (p: Value, suffix: string) => graph.addConst(`${p.name}.${suffix}`, Tensor.zeros(dtypeOf(p), p.const!.shape), 'optimizer');
  const lr = graph.addConst(LEARNING_RATE, Tensor.fromArray('float32', [], [opt.lr]));
  let step: Value | null = null, stepNext: Value | null = null;
  const adam = opt.kind === 'adam' || opt.kind === 'adamw';
  if (adam) {
    step = graph.addConst('optimizer.step', Tensor.fromArray('float32', [], [0]), 'step');
    stepNext = bin('Add', step, k(step, 1), `${step.name}__next`);
    updates.set(step, stepNext);
  }
  for (const [p, g0] of grads) {
    if (!g0) continue;
    const wd = opt.weightDecay ?? 0;
    const decoupled = opt.kind === 'adamw';
    const g = wd && !decoupled ? bin('Add', g0, bin('Mul', p, k(p, wd))) : g0;
    const base = decoupled && wd ? bin('Mul', p, bin('Sub', k(p, 1), bin('Mul', lr, k(p, wd)))) : p; // p (1 - lr wd)
    let delta: Value;
    if (opt.kind === 'sgd') {
      delta = g;
    } else if (opt.kind === 'momentum') {
      const v = zerosLike(p, 'momentum_buffer');
      delta = bin('Add', bin('Mul', v, k(p, opt.momentum ?? 0.9)), g, `${v.name}__next`);
      updates.set(v, delta);
    } else if (opt.kind === 'rmsprop') {
      const a = opt.alpha ?? 0.99;
      const v = zerosLike(p, 'square_avg');
      const v2 = bin('Add', bin('Mul', v, k(p, a)), bin('Mul', bin('Mul', g, g), k(p, 1 - a)), `${v.name}__next`);
      updates.set(v, v2);
      delta = bin('Div', g, bin('Add', graph.addNode('Sqrt', [v2]).outputs[0], k(p, opt.eps ?? 1e-8)));
    } else {
      const b1 = opt.beta1 ?? 0.9, b2 = opt.beta2 ?? 0.999;
      const m = zerosLike(p, 'exp_avg'), v = zerosLike(p, 'exp_avg_sq');
      const m2 = bin('Add', bin('Mul', m, k(p, b1)), bin('Mul', g, k(p, 1 - b1)), `${m.name}__next`);
      const v2 = bin('Add', bin('Mul', v, k(p, b2)), bin('Mul', bin('Mul', g, g), k(p, 1 - b2)), `${v.name}__next`);
      updates.set(m, m2);
      updates.set(v, v2);
      // Bias corrections 1 - b^t computed from the step state (float32 scalar).
      const c1 = bin('Sub', k(stepNext!, 1), bin('Pow', k(stepNext!, b1), stepNext!));
      const c2 = bin('Sub', k(stepNext!, 1), bin('Pow', k(stepNext!, b2), stepNext!));
      const denom = bin('Add', graph.addNode('Sqrt', [bin('Div', v2, c2)]).outputs[0], k(p, opt.eps ?? 1e-8));
      delta = bin('Div', bin('Div', m2, c1), denom);
    }
    updates.set(p, bin('Sub', base, bin('Mul', delta, lr), `${p.name}__next`));
  }
  return updates;
}
