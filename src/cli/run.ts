// `layerc run MODEL --input name=FILE ...`: runs a model on a backend; outputs are written in the inputs'
// file format (.npy or .pb) to --output-dir, and a summary of each output is printed.
import type { Command } from 'commander';
import { join } from 'node:path';
import type { Graph } from '../ir/graph.ts';
import type { Tensor } from '../ir/tensor.ts';
import { lcError } from '../diagnostics.ts';
import type { LoadOptions } from '../frontend/load.ts';
import { loadOptimizer, parseLevel } from './level.ts';
import { layoutOption, LAYOUT_HELP, positiveInt } from './bench.ts';

export async function parseInputs(specs: string[], g: Graph): Promise<{ feeds: Record<string, Tensor>; format: string; files: string[] }> {
  const { readTensorFile, tensorFormat } = await import('../io/tensor-file.ts'); // loaded on use (start-up)
  const feeds: Record<string, Tensor> = {};
  const files: string[] = [];
  let format = '.npy';
  for (const s of specs) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw lcError('LC002', [`--input expects name=FILE, got '${s}'`]);
    const name = s.slice(0, eq), file = s.slice(eq + 1);
    if (!g.inputs.some((v) => v.name === name)) throw lcError('LC002', [`model has no input '${name}' (inputs: ${g.inputs.map((v) => v.name).join(', ')})`]);
    format = tensorFormat(file);
    feeds[name] = readTensorFile(file);
    files.push(file);
  }
  const missing = g.inputs.filter((v) => !feeds[v.name]).map((v) => v.name);
  if (missing.length) throw lcError('LC002', [`missing --input for ${missing.join(', ')}`]);
  return { feeds, format, files };
}

export function describeTensor(name: string, t: Tensor): string {
  let min = Infinity, max = -Infinity, sum = 0;
  for (let i = 0; i < t.size; i++) { const x = t.data[i]; if (x < min) min = x; if (x > max) max = x; sum += x; }
  const head = Array.from(t.data.subarray(0, 6) as ArrayLike<number>, (x) => Number(x.toPrecision(6))).join(', ');
  return `${name}: ${t.dtype}[${t.shape.join(', ')}] min=${min} max=${max} mean=${t.size ? sum / t.size : NaN} first=[${head}${t.size > 6 ? ', ...' : ''}]`;
}

/**
 * `--mode training`: every BatchNormalization normalizes with the batch's own mean and (population) variance,
 * as in a training step, and keeps only its Y output, so no running statistic changes. Comparing this run with
 * the inference run tells "running statistics not updated" from "not saved".
 */
export function batchStatisticsMode(g: Graph): void {
  for (const n of g.nodes) if (n.op === 'BatchNormalization' && !n.domain) n.attrs.training_mode = 1;
}

export function register(program: Command): void {
  program.command('run')
    .description('run a model on input tensors and write or print its outputs')
    .argument('<model>', '.onnx or .layers model')
    .option('--input <name=file...>', 'an input tensor (.npy or TensorProto .pb); repeat per input', [])
    .option('--backend <name>', 'reference | js | wgsl', 'reference')
    .option('-O, --opt-level <n>', 'optimization level 0, 1 or 2 (-O0 runs the model exactly as written)', '2')
    .option('--threads <n>', 'worker threads of the js backend (default: number of cores)')
    .option('--output-dir <dir>', 'write each output as <dir>/<name>.npy|.pb (same format as the inputs)')
    .option('--force', 'replace existing output files')
    .option('--no-winograd', 'js: 3x3 stride-1 and stride-2 convs on the direct and im2col kernels instead of Winograd (smaller rounding error)')
    .option('--layout <layout>', LAYOUT_HELP, 'auto')
    .option('--seed <n>', '.layers: seed of the weight initialization', Number, 0)
    .option('--weights <file>', 'trained weights by initializer name: a .safetensors checkpoint or an .onnx model')
    .option('--sequential <prefix>', '--weights named by PyTorch nn.Sequential index (<prefix>.<k>.weight)')
    .option('--allow-partial', '--weights may miss state (it stays at initialization; a warning lists it) or hold unused tensors')
    .option('--mode <mode>', 'inference (BatchNorm on running statistics) | training (BatchNorm on the batch statistics, no state update)', 'inference')
    .addHelpText('after', '\nExamples:\n  layerc run model.onnx --input input=x.npy --backend reference --output-dir out/'
      + '\n  layerc run examples/lenet_bn.layers --weights lenet.safetensors --input x=x.npy'
      + '\n  layerc run examples/lenet_bn.layers --weights lenet.safetensors --input x=x.npy --mode training')
    .action(async (path: string, o: { input: string[]; backend: string; optLevel: string; threads?: string; outputDir?: string; force?: boolean; mode: string; winograd: boolean; layout: string } & LoadOptions) => {
      const threads = o.threads === undefined ? undefined : positiveInt('--threads', o.threads), layout = layoutOption(o.layout);
      if (o.mode !== 'inference' && o.mode !== 'training') throw lcError('LC002', [`--mode must be inference or training, got '${o.mode}'`]);
      const optimize = await loadOptimizer(parseLevel(o.optLevel));
      // Loaded on use: the importers, the tensor files and the backends are not needed by `--help`.
      const { loadModel } = await import('../frontend/load.ts');
      const { writeTensorFile } = await import('../io/tensor-file.ts');
      const { compileFor } = await import('../compile-for.ts');
      const g = await loadModel(path, { seed: o.seed, weights: o.weights, sequential: o.sequential, allowPartial: o.allowPartial });
      if (o.mode === 'training') batchStatisticsMode(g);
      const { feeds, format, files } = await parseInputs(o.input, g);
      optimize(g);
      const compiled = await compileFor(o.backend, g, { threads, winograd: o.winograd, layout });
      try {
        const outs = await compiled.run(feeds);
        for (const v of g.outputs) {
          const t = outs[v.name];
          console.log(describeTensor(v.name, t));
          if (o.outputDir) {
            const file = join(o.outputDir, `${v.name.replace(/[^A-Za-z0-9_.-]/g, '_')}${format}`);
            writeTensorFile(file, t, v.name, { force: o.force, inputs: [path, ...files] });
            console.log(`  -> ${file}`);
          }
        }
      } finally { await compiled.dispose(); }
    });
}
