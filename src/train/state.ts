// The declared state of a model: every tensor that a trained model is made of besides its graph, by name and
// kind — trainable and frozen parameters, BatchNorm running statistics (and PyTorch's num_batches_tracked),
// optimizer slots, the step counter, the dropout RNG counter — and, per BatchNorm layer, the convention,
// momentum and eps its running statistics follow. Loaders (state-match.ts) check a file against this list,
// checkpoints record it in their metadata (`state`), `layerc inspect CHECKPOINT` prints it, `layerc train`
// prints its BatchNorm part. A running statistic is state even when the model file hides it: PyTorch's exporter
// de-duplicates equal initializers, so a fresh running_var of ones arrives as `Identity(gamma)`;
// ownRunningStats gives each one its own named initializer first.
import type { Graph, Node, StateRole, Value } from '../ir/graph.ts';
import type { Tensor } from '../ir/tensor.ts';
import { isFloat } from '../ir/dtype.ts';
import { lcError } from '../diagnostics.ts';
import { DEFAULT_MOMENTUM, oldWeight, type BnConvention } from '../ops/batchnorm-train.ts';

export type StateKind = 'param' | 'frozen_param' | 'running_mean' | 'running_var' | 'num_batches_tracked' | 'optimizer' | 'step' | 'rng';
/** Kinds only a training run needs: an inference graph has no use for them (and a weights file may carry them). */
export const TRAINING_ONLY: ReadonlySet<StateKind> = new Set(['num_batches_tracked', 'optimizer', 'step', 'rng']);

export interface StateEntry { name: string; kind: StateKind }

/** How one BatchNorm layer's running statistics move. `momentum` is in the convention's own meaning. */
export interface BnSetting {
  layer: string;
  convention: BnConvention;
  momentum: number;
  /** ONNX BatchNormalization's `momentum`: the weight of the OLD running value. */
  onnxMomentum: number;
  eps: number;
  /** Frozen: normalizes with its running statistics and never updates them. */
  frozen: boolean;
  /** PyTorch convention: the name of the layer's batch counter. */
  numBatchesTracked?: string;
}

export interface StateManifest { entries: StateEntry[]; bn: BnSetting[] }

export const isBn = (n: Node): boolean => n.op === 'BatchNormalization' && !n.domain;

/** The setting a BatchNorm node trains with: its own ONNX momentum when it has one, else the convention's default. */
export function bnSetting(node: Node, convention: BnConvention, frozen = false): BnSetting {
  const onnxM = node.attrs.momentum as number | undefined;
  const momentum = onnxM === undefined ? DEFAULT_MOMENTUM[convention] : convention === 'pytorch' ? 1 - onnxM : onnxM;
  const eps = (node.attrs.epsilon as number | undefined) ?? 1e-5;
  const s: BnSetting = { layer: node.name, convention, momentum, onnxMomentum: oldWeight(convention, momentum), eps, frozen };
  if (convention === 'pytorch' && !frozen) s.numBatchesTracked = numBatchesTrackedName(node);
  return s;
}

/** PyTorch's name when the statistics use PyTorch's names (`net.1.running_mean` -> `net.1.num_batches_tracked`). */
function numBatchesTrackedName(node: Node): string {
  const mean = node.inputs[3]?.name ?? '';
  return mean.endsWith('.running_mean') ? `${mean.slice(0, -'.running_mean'.length)}.num_batches_tracked` : `${node.name}.num_batches_tracked`;
}

/** One line per distinct setting, naming its layers: what `layerc train` and `layerc inspect` print. */
export function describeBnSettings(bn: BnSetting[]): string[] {
  const groups = new Map<string, string[]>();
  const f = (x: number) => String(Number(x.toPrecision(6))); // attributes are float32: 0.1 is stored as 0.100000024
  for (const s of bn) {
    const rule = s.frozen ? 'frozen (running statistics, no update)'
      : `${s.convention} convention, momentum ${f(s.momentum)} (running = ${f(s.onnxMomentum)} * running + ${f(1 - s.onnxMomentum)} * batch, ${s.convention === 'pytorch' ? 'unbiased' : 'biased'} batch variance)`;
    const key = `${rule}, eps ${f(s.eps)}`;
    groups.set(key, [...(groups.get(key) ?? []), s.layer]);
  }
  return [...groups].map(([key, layers]) => `batchnorm: ${key}: ${layers.join(', ')}`);
}

const ROLE_KIND: Record<StateRole, StateKind> = { param: 'param', running_mean: 'running_mean', running_var: 'running_var', optimizer: 'optimizer', step: 'step' };

/** The kind of a state value; the dropout mask counter is the RNG state. */
function kindOf(v: Value, trainable: boolean): StateKind {
  if (v.role === 'step' && v.name === 'dropout.step') return 'rng';
  if (!v.role || v.role === 'param') return trainable && v.trainable !== false ? 'param' : 'frozen_param';
  return ROLE_KIND[v.role];
}

/** Float initializers of rank >= 1 are parameters unless they are running statistics (call ownRunningStats first). */
export function isStateValue(v: Value): boolean {
  return !!v.const && (!!v.role || (isFloat(v.const.dtype) && v.const.rank > 0));
}

/** The state of a model (eval-mode graph): parameters and running statistics, and its BN settings. */
export function modelManifest(g: Graph, convention: BnConvention = 'pytorch'): StateManifest {
  const entries = g.initializers.filter(isStateValue).map((v) => ({ name: v.name, kind: kindOf(v, true) }));
  const bn = g.nodes.filter(isBn).map((n) => bnSetting(n, convention, n.inputs[3]?.trainable === false || n.inputs[4]?.trainable === false));
  return { entries, bn };
}

/** The state of a training program: every initializer with a role (updated or frozen), and the batch counters. */
export function trainingManifest(g: Graph, updated: Iterable<Value>, bn: BnSetting[]): StateManifest {
  const live = new Set(updated);
  const entries: StateEntry[] = [...g.initializers, ...g.inputs].filter((v) => v.role && v.const).map((v) => ({ name: v.name, kind: kindOf(v, live.has(v)) }));
  for (const s of bn) if (s.numBatchesTracked) entries.push({ name: s.numBatchesTracked, kind: 'num_batches_tracked' });
  return { entries, bn };
}

/** The manifest a checkpoint records (metadata `state`), or null for files without one. */
export function manifestFromMetadata(metadata: Record<string, string>): StateManifest | null {
  if (!metadata.state) return null;
  try {
    const m = JSON.parse(metadata.state) as { entries: Record<string, StateKind>; bn: BnSetting[] };
    return { entries: Object.entries(m.entries).map(([name, kind]) => ({ name, kind })), bn: m.bn ?? [] };
  } catch { return null; }
}

export function manifestToMetadata(m: StateManifest): string {
  return JSON.stringify({ entries: Object.fromEntries(m.entries.map((e) => [e.name, e.kind])), bn: m.bn });
}

/** The kind of a tensor in a file that has no manifest, guessed from PyTorch's and layerc's naming. */
export function guessKind(name: string): StateKind {
  if (/\.running_mean$/.test(name)) return 'running_mean';
  if (/\.running_var$/.test(name)) return 'running_var';
  if (/\.num_batches_tracked$/.test(name)) return 'num_batches_tracked';
  if (/\.(momentum_buffer|exp_avg|exp_avg_sq|square_avg)$/.test(name)) return 'optimizer';
  if (name === 'optimizer.step') return 'step';
  if (name === 'dropout.step') return 'rng';
  return 'param';
}

/** Gives each BN running statistic its own initializer (role running_mean/var), named as the model names it. */
export function ownRunningStats(g: Graph): void {
  for (const node of g.nodes.filter(isBn)) {
    for (const [i, role] of [[3, 'running_mean'], [4, 'running_var']] as [number, StateRole][]) {
      const v = node.inputs[i]!;
      if (v.const && !v.role && v.users.length === 1) { v.role = role; continue; }
      if (v.const && v.role === role && v.users.length === 1) continue;
      const src = v.const ?? aliasOf(v);
      if (!src) throw lcError('LC069', [`running statistic '${v.name}' of BatchNormalization '${node.name}' is not a constant`]);
      let name = v.const ? `${node.name}.${role}` : v.name;
      if (!v.const) g.rename(v, g.uniqueName(`${v.name}__alias`));
      name = g.uniqueName(name);
      g.setInput(node, i, g.addConst(name, src.clone(), role));
    }
  }
}

/** The constant behind a chain of Identity nodes, if any. */
export function aliasOf(v: Value): Tensor | null {
  while (v.producer?.op === 'Identity' && !v.producer.domain) v = v.producer.inputs[0]!;
  return v.const;
}
