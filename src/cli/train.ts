// `layerc train`: trains a .layers or .onnx model, Keras-fit style: one line per epoch (loss = the epoch's mean,
// accuracy, validation and test metrics, learning rate, time) printed above the progress bar, so the lines stay
// on screen on a terminal; optional checkpoint (see README "Training").
import type { Command } from 'commander';
import { writeFileAtomic } from '../io/atomic.ts';
import type { EpochMetrics } from '../train/loop/fit.ts';
import { METRICS, type Metric } from '../train/loop/metrics.ts';
import { SCHEDULES, type ScheduleKind } from '../train/schedule.ts';
import type { LossKind } from '../train/losses.ts';
import { OPTIMIZERS, type OptimizerKind } from '../train/optimizers.ts';
import { BN_CONVENTIONS, type BnConvention } from '../ops/batchnorm-train.ts';
import { lcError } from '../diagnostics.ts';
import { guardOutputs } from './outputs.ts';

function choice<T extends string>(name: string, v: string, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) throw lcError('LC002', [`${name} must be one of ${allowed.join(', ')}, got '${v}'`]);
  return v as T;
}

export function register(program: Command): void {
  program.command('train')
    .description('train a model (BatchNorm in training mode, autodiff, SGD/momentum/Adam/AdamW/RMSprop), one line per epoch, optional checkpoint')
    .argument('<model>', '.layers or .onnx model (eval mode)')
    .requiredOption('--data <spec>', "'fashion-mnist', 'fashion-mnist-subset' or 'X.npy,y.npy'")
    .requiredOption('--loss <kind>', 'cross-entropy | mse')
    .requiredOption('--optimizer <kind>', 'sgd | momentum | adam | adamw | rmsprop')
    .requiredOption('--lr <f>', 'learning rate (the schedule\'s peak)', Number)
    .option('--lr-schedule <kind>', 'constant | step (x gamma every --lr-step-epochs) | cosine (to 0 at the last step)', 'constant')
    .option('--lr-step-epochs <n>', 'step schedule: epochs between decays', Number, 1)
    .option('--lr-gamma <f>', 'step schedule: decay factor', Number, 0.1)
    .option('--warmup <steps>', 'linear learning-rate warm-up over the first steps', Number, 0)
    .option('--validation-split <f>', 'hold out this fraction of the training rows (the last ones) as validation data', Number)
    .option('--validation-data <spec>', "validation data 'X.npy,y.npy' (or a data set name: its training split)")
    .option('--early-stopping <metric>', `stop when the metric stops improving: ${METRICS.join(' | ')}`)
    .option('--patience <n>', 'early stopping: epochs without improvement before stopping', Number, 0)
    .option('--momentum <f>', 'momentum of the momentum optimizer', Number, 0.9)
    .option('--weight-decay <f>', 'weight decay (L2 in the gradient; adamw: decoupled)', Number, 0)
    .option('--batch <n>', 'batch size', Number, 64)
    .option('--epochs <n>', 'epochs, counted from the start of training (also with --resume)', Number)
    .option('--steps <n>', 'optimizer steps, counted from the start of training (also with --resume)', Number)
    .option('--bn-convention <c>', 'pytorch | keras | onnx', 'pytorch')
    .option('--seed <s>', 'seed (shuffling, init, dropout)', Number, 0)
    .option('--freeze <pattern...>', 'freeze parameters / layers whose name matches (glob, * wildcard)')
    // js is the default: tests check it step for step against the reference interpreter (LeNet-BN, MobileNet
    // block) and against PyTorch's 200-step mlp_train_sgd run (cli-train.test.ts runs the default).
    .option('--backend <name>', 'js (default; checked equal to reference) | reference (the interpreter, slow) | wgsl (WebGPU)', 'js')
    .option('--threads <n>', 'JS backend worker threads (default: cores; 1 is faster on a busy machine)', Number)
    .option('--checkpoint <out>', 'safetensors checkpoint to write (after each epoch and at the end)')
    .option('--log <file>', 'JSON log: per-step loss, per-epoch metrics')
    .option('--eval-every <n>', 'evaluate the test split every N epochs', Number, 1)
    .option('--resume <ckpt>', 'continue from a checkpoint of the same model, seed and batch size (bit-identical to an uninterrupted run)')
    .option('--allow-partial', '--resume from a checkpoint missing some state: it stays at initialization (a warning lists it)')
    .option('--plot <png>', 'write the test accuracy per epoch as a PNG chart')
    .option('--force', 'replace an existing checkpoint, log or plot')
    .addHelpText('after', '\nExample:\n  layerc train examples/lenet_bn.layers --data fashion-mnist --loss cross-entropy --optimizer momentum --lr 0.05 --batch 256 --epochs 10 --checkpoint lenet.safetensors --log lenet.json' +
      '\n\nThe training step runs on the JS backend unless --backend says otherwise; --backend reference runs the\nreference interpreter (the semantics every backend is tested against), --backend wgsl the WebGPU backend.')
    .action(async (modelPath: string, o) => {
      // Loaded on use: the training loop, the model loaders and the progress bar are not needed by `--help`.
      const { MultiBar, Presets } = await import('cli-progress');
      const { fit } = await import('../train/loop/fit.ts');
      const { accuracyPlot } = await import('./plot/accuracy-plot.ts');
      const { loadDataset } = await import('../train/loop/data.ts');
      const { loadTrainableModel } = await import('../train/graphs/load-model.ts');
      const { LOSSES } = await import('../train/losses.ts');
      const { describeBnSettings } = await import('../train/state.ts');
      const loss = choice<LossKind>('--loss', o.loss, LOSSES);
      const kind = choice<OptimizerKind>('--optimizer', o.optimizer, OPTIMIZERS);
      const schedule = choice<ScheduleKind>('--lr-schedule', o.lrSchedule, SCHEDULES);
      const monitor = o.earlyStopping === undefined ? undefined : choice<Metric>('--early-stopping', o.earlyStopping, METRICS);
      const bnConvention = choice<BnConvention>('--bn-convention', o.bnConvention, BN_CONVENTIONS);
      const dataFiles = /^fashion-mnist/.test(o.data) ? [] : String(o.data).split(',');
      const inputs: string[] = [modelPath, ...dataFiles, o.resume].filter(Boolean);
      if (o.checkpoint) guardOutputs([o.checkpoint], inputs, !!o.force, [o.resume]); // --resume ck --checkpoint ck continues in place
      guardOutputs([o.log, o.plot], inputs, !!o.force);
      const model = loadTrainableModel(modelPath, o.seed);
      const data = loadDataset(o.data);
      const validation = o.validationData ? loadDataset(o.validationData).train : undefined;
      // One bar in a MultiBar: its log() prints a line above the bar, so the epoch lines stay on a terminal.
      const bars = new MultiBar({ format: 'train [{bar}] {value}/{total} steps | loss {loss} | {ips} img/s | ETA {eta_formatted}', hideCursor: true }, Presets.shades_classic);
      let bar: ReturnType<InstanceType<typeof MultiBar>['create']> | undefined;
      const tty = !!process.stderr.isTTY && !!process.stdout.isTTY; // the bar draws on stderr; piped runs get plain lines
      // Training seldom yields to the event loop, so the MultiBar's redraw timer rarely fires: redraw by hand
      // (log lines at once, the bar at most 10 times a second).
      let drawn = 0;
      const redraw = (force: boolean) => { if (force || performance.now() - drawn > 100) { bars.update(); drawn = performance.now(); } };
      const say = (line: string) => { if (bar) { bars.log(`${line}\n`); redraw(true); } else console.log(line); };
      const result = await fit(model, data, {
        loss, bnConvention, freeze: o.freeze, batch: o.batch, epochs: o.epochs, steps: o.steps, seed: o.seed, backend: o.backend, threads: o.threads,
        optimizer: { kind, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay },
        schedule: { kind: schedule, every: o.lrStepEpochs, gamma: o.lrGamma, warmup: o.warmup },
        validation, validationSplit: o.validationSplit, earlyStopping: monitor && { monitor, patience: o.patience },
        checkpoint: o.checkpoint, modelPath, resume: o.resume, allowPartial: o.allowPartial, evalEvery: o.evalEvery,
        onStart: (manifest) => { for (const line of describeBnSettings(manifest.bn)) console.log(line); },
        onEpoch: (m) => say(epochLine(m, o.epochs)),
        onStep: (s) => {
          if (!tty) return;
          bar ??= bars.create(s.totalSteps, s.step - 1, { loss: '-', ips: '-' });
          bar.update(s.step, { loss: s.loss.toPrecision(5), ips: s.imagesPerSec.toFixed(0) });
          redraw(false);
        },
      }).finally(() => { if (bar) bars.stop(); }); // stop() writes a newline even with no bar
      if (result.stoppedEarly) console.log(`early stopping after epoch ${result.stoppedEarly.epoch}: ${result.stoppedEarly.monitor} did not improve for ${o.patience + 1} epoch(s) (best ${result.stoppedEarly.best.toPrecision(6)})`);
      const last = result.epochs.at(-1);
      const metric = last?.testAccuracy !== undefined ? `test accuracy ${(100 * last.testAccuracy).toFixed(2)} %, test loss ${last.testLoss!.toFixed(4)}`
        : last?.testLoss !== undefined ? `test loss ${last.testLoss.toFixed(6)}` : last ? `last epoch's mean train loss ${last.trainLoss.toPrecision(6)}` : 'nothing left to train';
      console.log(`${result.losses.length} steps, ${result.imagesPerSec.toFixed(0)} images/s; ${metric}${o.checkpoint ? `; checkpoint ${o.checkpoint}` : ''}`);
      // Full precision (shortest round-trip form): a restored checkpoint must reproduce this number exactly.
      if (result.final.split === 'train') console.log(`eval-mode ${loss} loss on the training data: ${result.final.loss}`);
      if (o.plot) writeFileAtomic(o.plot, accuracyPlot(result.epochs.map((e) => e.testAccuracy ?? 0)), { force: true, inputs });
      if (o.log) writeFileAtomic(o.log, JSON.stringify({ losses: result.losses, epochs: result.epochs, imagesPerSec: result.imagesPerSec, final: result.final }, null, 1), { force: true, inputs });
    });
}

/** `Epoch 3/10 - 4.2 s - loss: 0.4123 - accuracy: 0.8512 - val_loss: ... - lr: 0.05` (Keras' fit line). */
export function epochLine(m: EpochMetrics, epochs?: number): string {
  const parts = [`Epoch ${m.epoch}${epochs ? `/${epochs}` : ''}`, `${m.seconds.toFixed(1)} s`, `loss: ${m.trainLoss.toFixed(4)}`];
  const add = (name: string, v: number | undefined) => { if (v !== undefined) parts.push(`${name}: ${v.toFixed(4)}`); };
  add('accuracy', m.trainAccuracy); add('val_loss', m.valLoss); add('val_accuracy', m.valAccuracy);
  add('test_loss', m.testLoss); add('test_accuracy', m.testAccuracy);
  if (Number.isFinite(m.lr)) parts.push(`lr: ${Number(m.lr.toPrecision(4))}`);
  return parts.join(' - ');
}
