// `layerc train`: trains a .layers or .onnx model and writes a safetensors checkpoint (see README "Training").
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { writeFileAtomic } from '../io/atomic.ts';
import { fit } from '../train/loop/fit.ts';
import { accuracyPlot } from './plot/accuracy-plot.ts';
import { loadDataset } from '../train/loop/data.ts';
import { loadTrainableModel } from '../train/graphs/load-model.ts';
import { LOSSES, type LossKind } from '../train/losses.ts';
import { OPTIMIZERS, type OptimizerKind } from '../train/optimizers.ts';
import { BN_CONVENTIONS, type BnConvention } from '../ops/batchnorm-train.ts';
import { describeBnSettings } from '../train/state.ts';
import { lcError } from '../diagnostics.ts';
import { guardOutputs } from './outputs.ts';

function choice<T extends string>(name: string, v: string, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) throw lcError('LC002', [`${name} must be one of ${allowed.join(', ')}, got '${v}'`]);
  return v as T;
}

export function register(program: Command): void {
  program.command('train')
    .description('train a model (BatchNorm in training mode, autodiff, SGD/momentum/Adam) and write a checkpoint')
    .argument('<model>', '.layers or .onnx model (eval mode)')
    .requiredOption('--data <spec>', "'fashion-mnist', 'fashion-mnist-subset' or 'X.npy,y.npy'")
    .requiredOption('--loss <kind>', 'cross-entropy | mse')
    .requiredOption('--optimizer <kind>', 'sgd | momentum | adam')
    .requiredOption('--lr <f>', 'learning rate', Number)
    .option('--momentum <f>', 'momentum of the momentum optimizer', Number, 0.9)
    .option('--weight-decay <f>', 'L2 weight decay', Number, 0)
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
    .requiredOption('--checkpoint <out>', 'safetensors checkpoint to write')
    .option('--log <file>', 'JSON log: per-step loss, per-epoch metrics')
    .option('--eval-every <n>', 'evaluate the test split every N epochs', Number, 1)
    .option('--resume <ckpt>', 'continue from a checkpoint of the same model, seed and batch size (bit-identical to an uninterrupted run)')
    .option('--allow-partial', '--resume from a checkpoint missing some state: it stays at initialization (a warning lists it)')
    .option('--plot <png>', 'write the test accuracy per epoch as a PNG chart')
    .option('--force', 'replace an existing checkpoint, log or plot')
    .addHelpText('after', '\nExample:\n  layerc train examples/lenet_bn.layers --data fashion-mnist --loss cross-entropy --optimizer momentum --lr 0.05 --batch 256 --epochs 10 --checkpoint lenet.safetensors --log lenet.json' +
      '\n\nThe training step runs on the JS backend unless --backend says otherwise; --backend reference runs the\nreference interpreter (the semantics every backend is tested against), --backend wgsl the WebGPU backend.')
    .action(async (modelPath: string, o) => {
      const loss = choice<LossKind>('--loss', o.loss, LOSSES);
      const kind = choice<OptimizerKind>('--optimizer', o.optimizer, OPTIMIZERS);
      const bnConvention = choice<BnConvention>('--bn-convention', o.bnConvention, BN_CONVENTIONS);
      const dataFiles = /^fashion-mnist/.test(o.data) ? [] : String(o.data).split(',');
      const inputs: string[] = [modelPath, ...dataFiles, o.resume].filter(Boolean);
      guardOutputs([o.checkpoint], inputs, !!o.force, [o.resume]); // --resume ck --checkpoint ck continues in place
      guardOutputs([o.log, o.plot], inputs, !!o.force);
      const model = loadTrainableModel(modelPath, o.seed);
      const data = loadDataset(o.data);
      const bar = new SingleBar({ format: 'train [{bar}] {value}/{total} steps | loss {loss} | {ips} img/s | ETA {eta_formatted}' }, Presets.shades_classic);
      let started = false;
      const result = await fit(model, data, {
        loss, bnConvention, freeze: o.freeze, batch: o.batch, epochs: o.epochs, steps: o.steps, seed: o.seed, backend: o.backend, threads: o.threads,
        optimizer: { kind, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay },
        checkpoint: o.checkpoint, modelPath, resume: o.resume, allowPartial: o.allowPartial, evalEvery: o.evalEvery,
        onStart: (manifest) => { for (const line of describeBnSettings(manifest.bn)) console.log(line); },
        onEpoch: (m) => {
          const acc = m.testAccuracy !== undefined ? `, test accuracy ${(100 * m.testAccuracy).toFixed(2)} %` : '';
          const testLoss = m.testLoss !== undefined ? `, test loss ${m.testLoss.toFixed(4)}` : '';
          if (!process.stdout.isTTY) console.log(`epoch ${m.epoch}: step ${m.step}, train loss ${m.trainLoss.toFixed(4)}${acc}${testLoss}, ${m.seconds.toFixed(1)} s`);
        },
        onStep: (s) => {
          if (!started) { bar.start(s.totalSteps, s.step - 1, { loss: '-', ips: '-' }); started = true; }
          bar.update(s.step, { loss: s.loss.toPrecision(5), ips: s.imagesPerSec.toFixed(0) });
        },
      }).finally(() => bar.stop());
      const last = result.epochs.at(-1);
      const metric = last?.testAccuracy !== undefined ? `test accuracy ${(100 * last.testAccuracy).toFixed(2)} %, test loss ${last.testLoss!.toFixed(4)}`
        : last?.testLoss !== undefined ? `test loss ${last.testLoss.toFixed(6)}` : result.losses.length ? `final train loss ${result.losses.at(-1)!.toPrecision(6)}` : 'nothing left to train';
      console.log(`${result.losses.length} steps, ${result.imagesPerSec.toFixed(0)} images/s; ${metric}; checkpoint ${o.checkpoint}`);
      // Full precision (shortest round-trip form): a restored checkpoint must reproduce this number exactly.
      if (result.final.split === 'train') console.log(`eval-mode ${loss} loss on the training data: ${result.final.loss}`);
      if (o.plot) writeFileAtomic(o.plot, accuracyPlot(result.epochs.map((e) => e.testAccuracy ?? 0)), { force: true, inputs });
      if (o.log) writeFileAtomic(o.log, JSON.stringify({ losses: result.losses, epochs: result.epochs, imagesPerSec: result.imagesPerSec, final: result.final }, null, 1), { force: true, inputs });
    });
}
