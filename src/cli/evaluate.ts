// `layerc evaluate MODEL|CHECKPOINT --data ...`: the eval-mode loss (and accuracy for cross-entropy) of a model, or
// of a checkpoint applied to its model, on a data set's test split (or on all of `X.npy,y.npy`): Keras' evaluate.
import type { Command } from 'commander';
import { isFloat } from '../ir/dtype.ts';
import { lcError } from '../diagnostics.ts';
import { fileKind } from '../io/sniff.ts';
import type { LossKind } from '../train/losses.ts';
import { positiveInt } from './bench.ts';

export function register(program: Command): void {
  program.command('evaluate')
    .description('loss and accuracy of a model or checkpoint on data (the test split, or all of X.npy,y.npy)')
    .argument('<model>', '.onnx / .layers model, or a checkpoint (recognised by content)')
    .requiredOption('--data <spec>', "'fashion-mnist', 'fashion-mnist-subset' or 'X.npy,y.npy'")
    .option('--loss <kind>', 'cross-entropy | mse (default: the checkpoint\'s, else cross-entropy for integer labels, mse otherwise)')
    .option('--model <model>', "a checkpoint's model (default: the path in its metadata)")
    .option('--backend <name>', 'reference | js | wgsl', 'js')
    .option('--threads <n>', 'worker threads of the js backend')
    .option('--batch <n>', 'rows per evaluation batch (default: the model\'s fixed batch, else 500)')
    .option('--seed <n>', '.layers model: seed of the weight initialization', Number, 0)
    .addHelpText('after', '\nExamples:\n  layerc evaluate lenet.safetensors --data fashion-mnist\n  layerc evaluate model.onnx --data X.npy,y.npy --loss mse')
    .action(async (path: string, o: { data: string; loss?: string; model?: string; backend: string; threads?: string; batch?: string; seed: number }) => {
      // Loaded on use: checkpoints, data sets and the training loop are not needed by `--help` or the other commands.
      const { loadCheckpoint } = await import('../io/safetensors.ts');
      const { evalBatch, evaluate } = await import('../train/loop/fit.ts');
      const { loadDataset } = await import('../train/loop/data.ts');
      const { checkLabels } = await import('../train/loop/check-data.ts');
      const { modelWithState } = await import('../train/graphs/export.ts');
      const { LOSSES } = await import('../train/losses.ts');
      const data = loadDataset(o.data);
      const split = data.test ?? data.train;
      const trained = fileKind(path) === 'safetensors' ? loadCheckpoint(path).metadata.loss : undefined;
      const loss = (o.loss ?? trained ?? (isFloat(split.y.dtype) ? 'mse' : 'cross-entropy')) as LossKind;
      if (!LOSSES.includes(loss)) throw lcError('LC002', [`--loss must be one of ${LOSSES.join(', ')}, got '${loss}'`]);
      const g = modelWithState(path, o.model, o.seed);
      checkLabels(g, split, loss, o.data);
      const threads = o.threads === undefined ? undefined : positiveInt('--threads', o.threads);
      const r = await evaluate(g, split, loss, o.backend, o.batch === undefined ? evalBatch(g) : positiveInt('--batch', o.batch), threads);
      const acc = r.accuracy !== undefined ? ` - accuracy: ${r.accuracy.toFixed(4)}` : '';
      console.log(`loss: ${r.loss.toFixed(6)}${acc} (${loss}, ${split.x.shape[0]} rows of ${data.test ? `${data.source}, test split` : o.data})`);
    });
}
