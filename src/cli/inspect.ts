// `layerc inspect MODEL`: ops and counts, inputs/outputs with shapes, parameter count and bytes, opset;
// `--summary` adds the per-layer table (src/api/summary.ts).
// `layerc inspect CHECKPOINT` (a safetensors file, by content): its state, kind by kind (src/train/checkpoint-report.ts).
import type { Command } from 'commander';
import { fileKind } from '../io/sniff.ts';
import { BN_CONVENTIONS, type BnConvention } from '../ops/batchnorm-train.ts';
import { lcError } from '../diagnostics.ts';
import type { Graph } from '../ir/graph.ts';
import { byteSize } from '../ir/dtype.ts';
import { printGraph, typeToString } from '../ir/printer.ts';
import type { LoadOptions } from '../frontend/load.ts';
import { declaredOpset } from '../frontend/declared-opset.ts';
import { formatSummary, summary } from '../api/summary.ts';

export function summarize(g: Graph): string {
  const counts = new Map<string, number>();
  for (const n of g.nodes) { const k = n.domain ? `${n.domain}::${n.op}` : n.op; counts.set(k, (counts.get(k) ?? 0) + 1); }
  let bytes = 0;
  for (const v of g.initializers) bytes += v.const!.size * byteSize(v.const!.dtype);
  const declared = declaredOpset.get(g);
  const lines = [`model ${g.name}${g.source ? ` (${g.source})` : ''}`, `opset ${g.opset}${declared !== undefined && declared !== g.opset ? ` (upgraded from the file's opset ${declared})` : ''}`, 'inputs:'];
  for (const v of g.inputs) lines.push(`  ${v.name}: ${typeToString(v.type)}`);
  lines.push('outputs:');
  for (const v of g.outputs) lines.push(`  ${v.name}: ${typeToString(v.type)}`);
  lines.push(`ops (${g.nodes.length} nodes):`);
  for (const [op, c] of [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) lines.push(`  ${op.padEnd(24)} ${c}`);
  const t = summary(g).totals;
  lines.push(`parameters: ${t.trainable + t.nonTrainable} (trainable ${t.trainable}, non-trainable ${t.nonTrainable})`);
  lines.push(`state: ${t.state} (BatchNorm running statistics)`);
  lines.push(`constants: ${t.constants} values; ${g.initializers.length} initializers in all (${bytes} bytes)`);
  return lines.join('\n');
}

export function register(program: Command): void {
  program.command('inspect')
    .description('show a model\'s ops, inputs/outputs, parameters and opset')
    .argument('<model>', '.onnx or .layers model, or a .safetensors checkpoint (its state, with a statistic per tensor)')
    .option('--graph', 'also print the full graph (with each node\'s source line:column for .layers models)')
    .option('--summary', 'also print a per-layer table: output shape, trainable / non-trainable parameters, state')
    .option('--seed <n>', '.layers: seed of the weight initialization', Number, 0)
    .option('--weights <file>', 'trained weights by initializer name: a .safetensors checkpoint or an .onnx model')
    .option('--sequential <prefix>', '--weights named by PyTorch nn.Sequential index (<prefix>.<k>.weight)')
    .addHelpText('after', '\nExamples:\n  layerc inspect ../shared/fixtures/models/lenet_bn/model.onnx --graph\n  layerc inspect examples/lenet_bn.layers --graph --seed 1\n  layerc inspect examples/lenet_bn.layers --summary')
    .option('--allow-partial', '--weights may miss state (it stays at initialization; a warning lists it)')
    .option('--state', 'also list the model\'s state: parameters and BN running statistics by kind, BN settings')
    .option('--bn-convention <c>', 'with --state: the training convention whose BN settings to show', 'pytorch')
    .action(async (path: string, o: { graph?: boolean; summary?: boolean; state?: boolean; bnConvention: string } & LoadOptions) => {
      // Loaded on use: the importers and the checkpoint reader are not needed by `--help` or the other commands.
      const { describeCheckpoint, describeModelState } = await import('../train/checkpoint-report.ts');
      if (fileKind(path) === 'safetensors') { console.log(describeCheckpoint(path, (await import('../io/safetensors.ts')).loadCheckpoint(path))); return; }
      const { loadModel } = await import('../frontend/load.ts');
      const g = await loadModel(path, { seed: o.seed, weights: o.weights, sequential: o.sequential, allowPartial: o.allowPartial });
      console.log(summarize(g));
      if (o.summary) console.log(`\n${formatSummary(summary(g))}`);
      if (o.state) {
        if (!BN_CONVENTIONS.includes(o.bnConvention as BnConvention)) throw lcError('LC002', [`--bn-convention must be one of ${BN_CONVENTIONS.join(', ')}`]);
        console.log(describeModelState(g, o.bnConvention as BnConvention));
      }
      if (o.graph) console.log(`\n${printGraph(g, { spans: true })}`);
    });
}
