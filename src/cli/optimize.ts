// `layerc optimize IN -o OUT.onnx`: the inference optimizer (passes/index.ts) from the command line. The
// output uses standard ONNX ops only (Fused nodes are written back as their base op + epilogue ops), so any
// ONNX runtime runs it; --report prints what each pass changed or skipped and the node counts.
import type { Command } from 'commander';
import { writeFileAtomic } from '../io/atomic.ts';
import { lcError } from '../diagnostics.ts';
import { parseLevel } from './level.ts';
import type { Pass } from '../../passes/pass.ts';

function listPasses(PASSES: Pass[], describeLevel: (level: 0 | 1 | 2) => string): string {
  const width = Math.max(...PASSES.map((p) => p.name.length));
  const lines = PASSES.map((p) => `  ${p.name.padEnd(width)}  ${p.summary}`);
  for (const lvl of [0, 1, 2] as const) lines.push(`-O${lvl}: ${describeLevel(lvl)}`);
  return lines.join('\n');
}

export function register(program: Command): void {
  program.command('optimize')
    .description('inference optimization: BN folding, epilogue fusion, constant folding and cleanup; writes standard ONNX')
    .argument('[input]', '.onnx or .layers model')
    .option('-o, --output <file>', 'ONNX file to write')
    .option('-O, --opt-level <n>', 'optimization level 0, 1 or 2 (-O0, -O1, -O2)', '2')
    .option('--passes <list>', 'explicit comma-separated pass list (overrides -O)')
    .option('--report', 'print what each pass changed and skipped, and node counts before/after')
    .option('--list-passes', 'list the passes and the -O pipelines, then exit')
    .option('--force', 'replace an existing output')
    .addHelpText('after', '\nExamples:\n  layerc optimize resnet.onnx -o resnet-opt.onnx -O2 --report\n'
      + '  layerc optimize model.onnx -o folded.onnx --passes simplify-inference,fold-batchnorm\n  layerc optimize --list-passes')
    .action(async (input: string | undefined, o) => {
      // Loaded on use: the optimizer, the importers and the exporter are not needed by `--help` or the other commands.
      const { optimize, PASSES, describeLevel } = await import('../../passes/index.ts');
      const { formatReport } = await import('../../passes/pass.ts');
      const { loadModel } = await import('../frontend/load.ts');
      const { exportOnnx } = await import('../export/onnx.ts');
      if (o.listPasses) { console.log(listPasses(PASSES, describeLevel)); return; }
      if (!input) throw lcError('LC002', ['optimize needs an input model (see layerc optimize --help)']);
      if (!o.output) throw lcError('LC002', ['optimize needs -o OUT.onnx']);
      const passes = typeof o.passes === 'string' ? o.passes.split(',').map((s: string) => s.trim()).filter(Boolean) : undefined;
      const level = parseLevel(String(o.optLevel));
      const g = await loadModel(input);
      const { graph, reports } = optimize(g, passes ? { passes } : { level });
      writeFileAtomic(o.output, exportOnnx(graph, { producer: 'layerc optimize' }), { force: o.force, inputs: [input] });
      if (o.report) console.log(reports.length ? formatReport(reports) : `no passes ran; nodes: ${graph.nodes.length}`);
      console.log(`wrote ${o.output} (${passes ? `passes ${passes.join(',')}` : `-O${level}`}, ${graph.nodes.length} nodes)`);
    });
}
