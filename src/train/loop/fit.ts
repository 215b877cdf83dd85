// The training run: load a model, split it into training and inference graphs, loop over epochs or steps
// on any backend, evaluate the inference graph with the trained state, and checkpoint atomically. The
// checkpoint is written after each epoch (and at the end); when a step diverges (LC067) the last good state
// is saved before the error propagates. Used by `layerc train`, examples/main.js and the bench.
import { readFileSync } from 'node:fs';
import type { Graph } from '../../ir/graph.ts';
import type { Tensor } from '../../ir/tensor.ts';
import { buildInferenceGraph, buildTrainingGraph, type SplitOptions } from '../../../passes/split-train-infer.ts';
import { Trainer } from './trainer.ts';
import { batches, gatherRows, type Dataset, type Split } from './data.ts';
import { checkSchedule, learningRateAt, type LrSchedule } from '../schedule.ts';
import { saveCheckpoint, sha256, loadCheckpoint } from '../../io/safetensors.ts';
import { compileFor } from '../../compile-for.ts';
import { LayercError, lcError } from '../../diagnostics.ts';
import { checkLabels } from './check-data.ts';
import { manifestToMetadata, type StateManifest } from '../state.ts';
import { METRICS, type Metric } from './metrics.ts';

export interface FitOptions extends SplitOptions {
  batch: number;
  epochs?: number;
  steps?: number;
  seed?: number;
  backend?: string;
  /** Worker threads of the JS backend (default: the backend's own default). */
  threads?: number;
  checkpoint?: string;
  /** Model path recorded in the checkpoint metadata (with its SHA-256). */
  modelPath?: string;
  resume?: string;
  /** --resume from a checkpoint that lacks some state: keep that state at its initial value (warns what). */
  allowPartial?: boolean;
  evalEvery?: number;
  /** Held-out data evaluated after every epoch (val_loss, val_accuracy); see also validationSplit. */
  validation?: Split;
  /** Keras' validation_split: this fraction of the training rows (the last ones, before shuffling) is held out. */
  validationSplit?: number;
  /** Learning-rate schedule (src/train/schedule.ts); default constant. */
  schedule?: LrSchedule;
  /** Stop when `monitor` has not improved by more than minDelta for `patience` epochs (Keras EarlyStopping). */
  earlyStopping?: { monitor: Metric; patience?: number; minDelta?: number };
  /** Called once the training program is built, before the first step: its state and BN settings. */
  onStart?(manifest: StateManifest): void;
  onStep?(info: { step: number; totalSteps: number; loss: number; imagesPerSec: number }): void;
  onEpoch?(info: EpochMetrics): void;
}

/**
 * One epoch: trainLoss is the MEAN of its steps' losses (like Keras' `loss`), trainAccuracy the fraction of its
 * training rows classified right during the epoch (cross-entropy), lr the rate of its last step.
 */
export interface EpochMetrics {
  epoch: number; step: number; trainLoss: number; trainAccuracy?: number; valLoss?: number; valAccuracy?: number;
  testLoss?: number; testAccuracy?: number; lr: number; seconds: number;
}
export { METRICS, type Metric } from './metrics.ts';
const METRIC_FIELD: Record<Metric, keyof EpochMetrics> = {
  loss: 'trainLoss', accuracy: 'trainAccuracy', val_loss: 'valLoss', val_accuracy: 'valAccuracy', test_loss: 'testLoss', test_accuracy: 'testAccuracy',
};
export interface FitResult {
  trainer: Trainer; inference: Graph; losses: number[]; epochs: EpochMetrics[]; imagesPerSec: number;
  /** Set when early stopping ended the run: the epoch it stopped after and the best value of the metric. */
  stoppedEarly?: { epoch: number; monitor: Metric; best: number };
  /** Eval-mode loss (and accuracy) of the final state on the test split, or on the training data without one. */
  final: { split: 'test' | 'train'; loss: number; accuracy?: number };
}

/** Copies trained state into the inference graph's initializers (same names). */
export function applyState(g: Graph, state: Map<string, Tensor>): void {
  for (const v of g.initializers) { const t = state.get(v.name); if (t) g.setConst(v, t); }
}

/** Mean loss and accuracy (classification) or MSE of the inference graph on a split. */
export async function evaluate(g: Graph, split: Split, loss: 'mse' | 'cross-entropy', backend = 'reference', batch = 500, threads?: number): Promise<{ loss: number; accuracy?: number }> {
  const model = await compileFor(backend, g, { threads });
  let total = 0, correct = 0, count = 0;
  try {
    for (const b of batches(split, Math.min(batch, split.x.shape[0]), 0, 0, false)) {
      const y = (await model.run({ [g.inputs[0].name]: b.x }))[g.outputs[0].name];
      const n = b.x.shape[0], k = y.size / n;
      for (let r = 0; r < n; r++) {
        if (loss === 'cross-entropy') {
          let m = -Infinity, arg = 0, s = 0;
          for (let j = 0; j < k; j++) if (y.data[r * k + j] > m) { m = y.data[r * k + j]; arg = j; }
          for (let j = 0; j < k; j++) s += Math.exp(y.data[r * k + j] - m);
          total += Math.log(s) + m - y.data[r * k + b.y.data[r]];
          if (arg === b.y.data[r]) correct++;
        } else for (let j = 0; j < k; j++) { const d = y.data[r * k + j] - b.y.data[r * k + j]; total += d * d / k; }
      }
      count += n;
    }
  } finally { await model.dispose(); }
  return { loss: total / count, accuracy: loss === 'cross-entropy' ? correct / count : undefined };
}

/** Evaluation batches of 500, or the model's own batch size when its input fixes one. */
/** Rows per evaluation batch: the model's fixed batch, else 500. */
export const evalBatch = (g: Graph): number => { const n = g.inputs[0]?.type.shape?.[0]; return typeof n === 'number' ? n : 500; };

export async function fit(model: Graph, full: Dataset, opts: FitOptions): Promise<FitResult> {
  if (!opts.epochs === !opts.steps) throw lcError('LC069', ['give exactly one of --epochs and --steps']);
  if (opts.schedule) checkSchedule(opts.schedule);
  const { data, validation } = holdOut(full, opts);
  checkLabels(model, data.train, opts.loss, data.source);
  if (data.test) checkLabels(model, data.test, opts.loss, `${data.source} (test split)`);
  if (validation) checkLabels(model, validation, opts.loss, 'the validation data');
  const stop = opts.earlyStopping;
  if (stop && !METRICS.includes(stop.monitor)) throw lcError('LC069', [`early stopping: unknown metric '${stop.monitor}' (choose ${METRICS.join(', ')})`]);
  if (stop && /^val_/.test(stop.monitor) && !validation) throw lcError('LC069', [`early stopping on ${stop.monitor} needs validation data (--validation-split or --validation-data)`]);
  if (stop && /^test_/.test(stop.monitor) && !data.test) throw lcError('LC069', [`early stopping on ${stop.monitor} needs a test split (${data.source} has none)`]);
  if (stop && /accuracy$/.test(stop.monitor) && opts.loss !== 'cross-entropy') throw lcError('LC069', [`early stopping on ${stop.monitor} needs --loss cross-entropy`]);
  const program = buildTrainingGraph(model, { ...opts, seed: opts.seed ?? 0, batch: Math.min(opts.batch, data.train.x.shape[0]) });
  const inference = buildInferenceGraph(model);
  const seed = opts.seed ?? 0;
  const trainer = await Trainer.create(program, opts.backend ?? 'reference', seed, opts.threads);
  const batch = Math.min(opts.batch, data.train.x.shape[0]);
  opts.onStart?.(program.manifest);
  if (opts.resume) {
    const ck = loadCheckpoint(opts.resume);
    // Resuming continues a training run: its step (and, through loadState, its optimizer state) must be there.
    if (!/^\d+$/.test(ck.metadata.step ?? '') && !opts.allowPartial) {
      throw lcError('LC071', [opts.resume, 'this training run', 'missing step (not a layerc training checkpoint; to start from its weights, use it as --weights of the model, or pass --allow-partial)'], { file: opts.resume });
    }
    // Bit-identical continuation needs the same batches: the seed and batch size decide the order.
    for (const [key, want] of [['seed', seed], ['batch', batch]] as const) {
      const got = ck.metadata[key];
      if (got !== undefined && Number(got) !== want) throw lcError('LC070', [opts.resume, `it was trained with ${key} ${got}, this run uses ${want}`]);
    }
    // Its running statistics moved by one convention's rule; continuing under another would mix two meanings.
    const conv = ck.metadata.bn_convention, want = opts.bnConvention ?? 'pytorch';
    if (conv !== undefined && conv !== want) throw lcError('LC070', [opts.resume, `it was trained with --bn-convention ${conv}, this run uses ${want}`]);
    trainer.loadState(ck.tensors, Number(ck.metadata.step ?? 0), opts.resume, opts.allowPartial);
  }
  const perEpoch = Math.floor(data.train.x.shape[0] / batch);
  // --steps / --epochs count from the start of training, so a resumed run stops where the uninterrupted one would.
  const totalSteps = opts.steps ?? perEpoch * opts.epochs!;
  const startStep = trainer.step;
  const save = () => {
    if (!opts.checkpoint) return;
    const metadata: Record<string, string> = { step: String(trainer.step), bn_convention: opts.bnConvention ?? 'pytorch', loss: opts.loss, optimizer: opts.optimizer.kind, seed: String(seed), batch: String(batch) };
    if (opts.modelPath) { metadata.model = opts.modelPath; metadata.model_sha256 = sha256(readFileSync(opts.modelPath)); }
    metadata.roles = JSON.stringify(Object.fromEntries([...program.next.keys()].map((v) => [v.name, v.role ?? ''])));
    metadata.state = manifestToMetadata(program.manifest);
    saveCheckpoint(opts.checkpoint, { tensors: trainer.state, metadata }, { force: true, inputs: opts.modelPath ? [opts.modelPath] : [] });
  };
  const losses: number[] = [], epochs: EpochMetrics[] = [];
  let best = Infinity, sinceBest = 0, stoppedEarly: FitResult['stoppedEarly'];
  const sign = stop && /accuracy$/.test(stop.monitor) ? -1 : 1; // accuracies improve upwards
  const t0 = performance.now();
  let images = 0, asideMs = 0; // asideMs: evaluation and checkpoint time, left out of the training images/s
  const rate = () => images / ((performance.now() - t0 - asideMs) / 1000);
  try {
    for (let epoch = Math.floor(startStep / perEpoch); trainer.step < totalSteps; epoch++) {
      const te = performance.now();
      let sum = 0, n = 0, correct = 0, seen = 0, lr = trainer.learningRate;
      let skip = trainer.step - epoch * perEpoch; // batches of this epoch done before a resume
      for (const b of batches(data.train, batch, seed, epoch)) {
        if (skip > 0) { skip--; continue; }
        if (trainer.step >= totalSteps) break;
        lr = trainer.learningRate = learningRateAt(opts.optimizer.lr, opts.schedule, trainer.step, epoch, totalSteps);
        const { loss, output } = await trainer.trainStepWithOutput(b.x, b.y);
        losses.push(loss); sum += loss; n++; images += b.x.shape[0];
        if (opts.loss === 'cross-entropy') { correct += countCorrect(output, b.y); seen += b.x.shape[0]; }
        opts.onStep?.({ step: trainer.step, totalSteps, loss, imagesPerSec: rate() });
      }
      const m: EpochMetrics = { epoch: epoch + 1, step: trainer.step, trainLoss: sum / Math.max(n, 1), lr, seconds: (performance.now() - te) / 1000 };
      if (seen) m.trainAccuracy = correct / seen;
      const ta = performance.now();
      if (validation) {
        applyState(inference, trainer.state);
        const r = await evaluate(inference, validation, opts.loss, opts.backend, evalBatch(inference), opts.threads);
        m.valLoss = r.loss; m.valAccuracy = r.accuracy;
      }
      if (data.test && (!opts.evalEvery || (epoch + 1) % opts.evalEvery === 0)) {
        applyState(inference, trainer.state);
        const r = await evaluate(inference, data.test, opts.loss, opts.backend, evalBatch(inference), opts.threads);
        m.testLoss = r.loss; m.testAccuracy = r.accuracy;
      }
      epochs.push(m);
      opts.onEpoch?.(m);
      save();
      asideMs += performance.now() - ta;
      if (stop) {
        const v = m[METRIC_FIELD[stop.monitor]] as number | undefined;
        if (v !== undefined && sign * v < best - (stop.minDelta ?? 0)) { best = sign * v; sinceBest = 0; }
        else if (v !== undefined && ++sinceBest >= (stop.patience ?? 0) && trainer.step < totalSteps) {
          stoppedEarly = { epoch: m.epoch, monitor: stop.monitor, best: sign * best };
          break;
        }
      }
    }
  } catch (e) {
    if (e instanceof LayercError && e.code === 'LC067') save(); // the state is still the last good one
    await trainer.dispose();
    throw e;
  }
  const imagesPerSec = rate();
  save();
  applyState(inference, trainer.state);
  await trainer.dispose();
  const last = epochs.at(-1);
  const final = data.test && last?.testLoss !== undefined && last.step === trainer.step
    ? { split: 'test' as const, loss: last.testLoss, accuracy: last.testAccuracy }
    : { split: data.test ? 'test' as const : 'train' as const, ...await evaluate(inference, data.test ?? data.train, opts.loss, opts.backend, evalBatch(inference), opts.threads) };
  return { trainer, inference, losses, epochs, imagesPerSec, final, stoppedEarly };
}

/** Rows whose largest logit is the label. */
function countCorrect(logits: Tensor, labels: Tensor): number {
  const n = labels.size, k = logits.size / n;
  let correct = 0;
  for (let r = 0; r < n; r++) {
    let arg = 0;
    for (let j = 1; j < k; j++) if (logits.data[r * k + j] > logits.data[r * k + arg]) arg = j;
    if (arg === Number(labels.data[r])) correct++;
  }
  return correct;
}

/** The training data minus a held-out validation part (validationSplit), and the validation data if any. */
function holdOut(full: Dataset, opts: FitOptions): { data: Dataset; validation?: Split } {
  const f = opts.validationSplit;
  if (f === undefined || f === 0) return { data: full, validation: opts.validation };
  if (opts.validation) throw lcError('LC069', ['give one of --validation-split and --validation-data']);
  const n = full.train.x.shape[0], held = Math.round(n * f);
  if (!(f > 0 && f < 1) || held < 1 || held >= n) throw lcError('LC069', [`--validation-split must leave rows on both sides (0 < f < 1), got ${f} of ${n} rows`]);
  const rows = (a: number, b: number) => Uint32Array.from({ length: b - a }, (_, i) => a + i);
  const train = { x: gatherRows(full.train.x, rows(0, n - held)), y: gatherRows(full.train.y, rows(0, n - held)) };
  return { data: { ...full, train }, validation: { x: gatherRows(full.train.x, rows(n - held, n)), y: gatherRows(full.train.y, rows(n - held, n)) } };
}
