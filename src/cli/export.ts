// `layerc export`: the inference or training graph of a model or checkpoint as standard ONNX (README "Training").
import type { Command } from 'commander';
import { writeFileAtomic } from '../io/atomic.ts';
import { lcError } from '../diagnostics.ts';
import { fileKind } from '../io/sniff.ts';
import { BN_CONVENTIONS, type BnConvention } from '../ops/batchnorm-train.ts';

export function register(program: Command): void {
  program.command('export')
    .description('write the inference graph (BN folded) or the training-mode graph of a model or checkpoint as ONNX')
    .argument('<input>', '.onnx / .layers model, or a checkpoint (safetensors, recognised by content whatever its name)')
    .requiredOption('-o, --output <file>', 'ONNX file to write')
    .option('--mode <mode>', 'inference | training', 'inference')
    .option('--model <model>', "the checkpoint's model (default: the path in its metadata)")
    .option('--no-fold', 'inference: keep BatchNormalization (with the trained running statistics)')
    .option('--force', 'replace an existing output')
    .option('--seed <n>', '.layers model: seed of the weight initialization', Number, 0)
    .option('--bn-convention <c>', 'training: pytorch | keras | onnx, whose BN momentum the graph carries (default: the checkpoint\'s, else pytorch)')
    .option('--allow-partial', 'a checkpoint missing some state: it stays at initialization (a warning lists it)')
    .addHelpText('after', '\nExamples:\n  layerc export lenet.safetensors --mode inference -o lenet.onnx\n  layerc export lenet.safetensors --mode training -o lenet-train.onnx')
    .action(async (input: string, o) => {
      if (o.mode !== 'inference' && o.mode !== 'training') throw lcError('LC002', [`--mode must be inference or training, got '${o.mode}'`]);
      // Loaded on use: the model loaders, checkpoints and the exporter are not needed by `--help` or the other commands.
      const { exportOnnx } = await import('../export/onnx.ts');
      const { modelWithState, trainingModeGraph } = await import('../train/graphs/export.ts');
      const { foldForInference } = await import('../train/graphs/fold-inference.ts');
      const { loadCheckpoint } = await import('../io/safetensors.ts');
      let g = modelWithState(input, o.model, o.seed, o.allowPartial);
      if (o.mode === 'training') {
        const trained = fileKind(input) === 'safetensors' ? loadCheckpoint(input).metadata.bn_convention : undefined;
        if (o.bnConvention && trained && o.bnConvention !== trained) throw lcError('LC069', [`${input} was trained with --bn-convention ${trained}; its training graph keeps that convention (asked: ${o.bnConvention})`]);
        const convention = (o.bnConvention ?? trained ?? 'pytorch') as BnConvention;
        if (!BN_CONVENTIONS.includes(convention)) throw lcError('LC002', [`--bn-convention must be one of ${BN_CONVENTIONS.join(', ')}, got '${convention}'`]);
        g = trainingModeGraph(g, convention);
      }
      let note = o.mode === 'inference' && !o.fold ? ', BN kept' : '';
      if (o.mode === 'inference' && o.fold) {
        const r = foldForInference(g);
        g = r.graph;
        note = `, -O2: BatchNormalization ${r.bnBefore} -> ${r.bnAfter}${r.missingPasses.length ? `; passes not registered: ${r.missingPasses.join(', ')}` : ''}`;
      }
      writeFileAtomic(o.output, exportOnnx(g, { producer: 'layerc' }), { force: o.force, inputs: [input, o.model].filter(Boolean) });
      console.log(`wrote ${o.output} (${o.mode}${note})`);
    });
}
