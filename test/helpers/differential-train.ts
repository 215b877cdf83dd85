// One training step, differentially: a DSL model becomes its training graph (forward, loss, backward,
// optimizer), every gradient is added as a graph output beside the loss, the model output and the next
// state (parameters, BatchNorm running statistics, optimizer moments, step counter), and each backend
// variant must reproduce the reference interpreter's step.
//
// Tolerance, derived per output tensor by statistical condition estimation (Kenney & Laub 1994): a float32
// backend's error is that of an exact computation on inputs perturbed by about K u relative (u = 2^-24,
// K = the longest accumulation in the step: a layer's fan-in, or batch x pixels for a weight gradient or a
// BatchNorm statistic). So the reference runs four more times (two antithetic pairs: the second run of a pair mirrors the
// first's draws), each op's result moved by 4u times its scale (roundingNoise), every input and state tensor by
// independent random relative amounts in [-K u, K u] and every constant (learning rate, Adam's betas, BN's
// epsilon) by one rounding, [-u, u] (Adam's bias correction 1 - b2^t cancels: a float32 pow that is a few
// ULP off moves the first step by ~1e-4); the output's sensitivity is the largest change seen. A value that
// is zero whatever the inputs (the gradient of a bias followed by BatchNorm) is float noise on every backend,
// of the size of the terms that cancel, which no perturbation shows: that floor is K u times the step's
// gradient scale G = max |gradient| (G^2 for Adam's second moment), or K u max|ref| if larger. The tolerance
// is SAFETY_TRAIN (sensitivity + floor). This adapts to ill-conditioned steps (BatchNorm over few values,
// Adam's sign-like first step on noise-level gradients) where a fixed rtol cannot, and stays orders of
// magnitude below the effect of a wrong kernel (a misread operand or a wrong update rule changes a tensor
// by O(G)). An optimizer output adds, per element, the exact range its formula gives to gradients within their
// tolerance (optimizer-slack.ts): Adam's first step maps a noise-level gradient of either sign to +-lr.
import type { Graph, Value } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { buildTrainingGraph } from '../../passes/split-train-infer.ts';
import { stateAsInputs } from '../../src/train/loop/trainer.ts';
import type { LossKind } from '../../src/train/losses.ts';
import type { OptimizerOptions } from '../../src/train/optimizers.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { lcg, uniformTensor } from './random.ts';
import { SAFETY, U } from './error-bound.ts';
import { runOnVariants, type Shared, type Variant, type Verdict } from './differential.ts';
import { optimizerSlack } from './optimizer-slack.ts';

export const SAFETY_TRAIN = 8;

export interface TrainCase { src: string; batch: number; loss: LossKind; optimizer: OptimizerOptions; seed: number }

/** The training step as one graph with its feeds (state fed as inputs, as the Trainer does). */
export interface TrainingStep {
  graph: Graph; feeds: Record<string, Tensor>; gradients: Set<string>;
  /** Each trained parameter with its gradient's graph output. */
  params: { param: string; grad: string }[];
}

export function trainingStep(c: TrainCase): TrainingStep {
  const model = compileDsl(c.src, 'random.layers', { seed: c.seed });
  for (const v of model.inputs) v.type = { ...v.type, shape: v.type.shape!.map((d) => (typeof d === 'number' ? d : c.batch)) };
  inferShapes(model);
  const p = buildTrainingGraph(model, { loss: c.loss, optimizer: c.optimizer, seed: c.seed });
  const g = p.graph;
  for (const grad of p.grads.values()) if (grad && !g.outputs.includes(grad)) g.outputs.push(grad);
  stateAsInputs(g, [...p.next.keys(), ...g.initializers.filter((v) => v.role && !p.next.has(v))]);
  const rnd = lcg(c.seed);
  const feeds: Record<string, Tensor> = { [p.input.name]: uniformTensor(p.input.type.shape as number[], rnd) };
  const out = p.output.type.shape as number[];
  feeds[p.labels.name] = c.loss === 'mse' ? uniformTensor(p.labels.type.shape as number[], rnd)
    : Tensor.fromArray('int64', [c.batch], Array.from({ length: c.batch }, () => Math.floor(rnd() * out[1]!)));
  for (const v of g.inputs) if (v.const && !feeds[v.name]) feeds[v.name] = v.const;
  const params = [...p.grads].flatMap(([param, grad]) => (grad ? [{ param: param.name, grad: grad.name }] : []));
  return { graph: g, feeds, gradients: new Set(params.map((x) => x.grad)), params };
}

/** The longest accumulation in the step (see the header). */
function longestAccumulation(g: Graph): number {
  let K = 1;
  const shape = (v: Value | null) => (v?.type.shape ?? []) as number[];
  for (const n of g.nodes) {
    for (const v of [...n.inputs, ...n.outputs]) {
      const s = shape(v);
      if (s.length >= 2) K = Math.max(K, s[0]! * s.slice(2).reduce((a, b) => a * b, 1), s.slice(1).reduce((a, b) => a * b, 1));
    }
  }
  return K;
}

/** Draws in [-1, 1]; `sign` -1 gives the mirror image of the same draws (an antithetic pair of runs). */
const draws = (seed: number, sign: number) => { const rnd = lcg(seed); return () => sign * (2 * rnd() - 1); };

function perturb(t: Tensor, rel: number, draw: () => number): Tensor {
  if (t.dtype !== 'float32') return t;
  return Tensor.fromArray('float32', t.shape, Array.from(t.data as Float32Array, (x) => x * (1 + rel * draw())));
}

/**
 * The perturbed runs' per-op rounding: each float32 result moves by up to 4u times the largest magnitude among the
 * op's inputs and result. Perturbing only the inputs cannot move a value that is 0 whatever the inputs (the mean of a
 * normalized map); a backend computes it as float noise of either sign, and a ReLU on it then passes or blocks the
 * gradient (fuzz:backends --seed 20261213 --only 11309): this noise lets the perturbed runs see that flip.
 */
const maxAbs = (t: Tensor) => { let m = 0; for (let i = 0; i < t.size; i++) m = Math.max(m, Math.abs(Number(t.data[i]))); return m; };

const EXACT = new Set(['Relu', 'Clip', 'Max', 'Min', 'MaxPool', 'Identity', 'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze',
  'Concat', 'Slice', 'Gather', 'Split', 'Expand', 'Tile', 'Pad', 'Abs', 'Neg']);

function roundingNoise(g: Graph, feeds: Record<string, Tensor>, rnd: () => number): (name: string, t: Tensor) => void {
  const scale = new Map<string, number>();
  for (const [k, t] of Object.entries(feeds)) scale.set(k, maxAbs(t));
  for (const v of g.initializers) if (v.const) scale.set(v.name, maxAbs(v.const));
  const producer = new Map(g.nodes.flatMap((n) => n.outputs.map((o) => [o.name, n] as const)));
  return (name, t) => {
    // Ops that select or move values round nothing: a ReLU's 0 is exact on every backend, and noise on it would
    // re-decide the mask its gradient reads.
    if (t.dtype !== 'float32' || EXACT.has(producer.get(name)?.op ?? '')) return;
    const own = maxAbs(t);
    let S = own;
    for (const v of producer.get(name)?.inputs ?? []) if (v) S = Math.max(S, scale.get(v.name) ?? 0);
    const d = t.data as Float32Array;
    // full size, random sign: |noise| = 4u S whatever the draw, so the mirrored run crosses any kink the value is within 4u S of
    for (let i = 0; i < d.length; i++) d[i] = d[i]! + (rnd() >= 0 ? 4 : -4) * U * S;
    scale.set(name, own);
  };
}

/** Per graph output: the reference value and its tolerance (a number for the whole tensor, or per element
 *  for an optimizer output whose gradient's tolerance it amplifies). */
export function referenceWithTolerance(step: TrainingStep, optimizer: OptimizerOptions): { ref: Record<string, Tensor>; tol: Map<string, number | Tensor> } {
  const { graph: g, feeds, gradients } = step;
  const ref = runGraph(g, feeds, { training: true });
  const K = longestAccumulation(g);
  const sens = new Map<string, number>();
  // Two antithetic pairs: each pair's second run mirrors the first's perturbations, so a value sitting on a kink
  // (a ReLU on float noise) is pushed to each side of it by one run of the pair.
  for (const [pair, sign] of [[1, 1], [1, -1], [2, 1], [2, -1]] as const) {
    const rnd = draws(1000 + pair, sign);
    const pf = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, perturb(t, K * U, rnd)]));
    const gp = cloneGraph(g);
    for (const v of gp.initializers) if (v.const) v.const = perturb(v.const, U, rnd);
    const pr = runGraph(gp, pf, { training: true, onValue: roundingNoise(gp, pf, rnd) });
    for (const [k, t] of Object.entries(ref)) {
      let m = sens.get(k) ?? 0;
      for (let i = 0; i < t.size; i++) m = Math.max(m, Math.abs(Number(pr[k]!.data[i]) - Number(t.data[i])));
      sens.set(k, m);
    }
  }
  const G = Math.max(0, ...[...gradients].map((k) => (ref[k] ? maxAbs(ref[k]!) : 0)));
  const tol = new Map<string, number | Tensor>();
  for (const [k, t] of Object.entries(ref)) {
    const floor = K * U * Math.max(maxAbs(t), k.includes('exp_avg_sq') ? G * G : G);
    // SAFETY (2) is applied again by worstElement: divide it out so the stated factor is SAFETY_TRAIN.
    tol.set(k, SAFETY_TRAIN * (sens.get(k)! + floor) / SAFETY);
  }
  const values = { ...feeds, ...ref };
  for (const { param, grad } of step.params) {
    if (!ref[grad]) continue;
    for (const [name, slack] of optimizerSlack(optimizer, param, grad, SAFETY * (tol.get(grad) as number), values)) {
      const own = tol.get(name);
      if (typeof own !== 'number') continue;
      tol.set(name, Tensor.fromArray('float32', ref[name]!.shape, Array.from(slack, (s) => own + s / SAFETY)));
    }
  }
  return { ref, tol };
}

/** One step on each variant against the reference step (`step`: the case's, when the caller built it already). */
export async function compareTrainingStep(c: TrainCase, variants: Variant[], shared: Shared = {}, step = trainingStep(c)): Promise<Verdict> {
  const { ref, tol } = referenceWithTolerance(step, c.optimizer);
  return runOnVariants(step.graph, step.feeds, ref, (name) => tol.get(name)!, variants, { training: true, seed: c.seed, ...shared });
}
