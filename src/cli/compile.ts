// `layerc compile MODEL --target js|wgsl -o DIR`: emits a loadable module for a target. Each target is one
// module `runtime/<target>/emit-module.ts` exporting `emitModule(graph, opts) => { name, data }[]`; this
// command loads, optimizes, fixes shapes and lowers for the target's capabilities (passes/pipelines.ts), then
// writes the target's files atomically into DIR.
import type { Command } from 'commander';
import { join } from 'node:path';
import type { Graph } from '../ir/graph.ts';
import { lcError, suggest } from '../diagnostics.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { loadOptimizer, parseLevel } from './level.ts';
import { fixInputShapes, layoutOption, LAYOUT_HELP, positiveInt, type Layout } from './bench.ts';

type EmitModule = (g: Graph, o: { threads?: number; winograd?: boolean; layout?: Layout }) => { name: string; data: Uint8Array | string }[];

/** Target name -> module path (relative to this file), imported on use. */
const TARGETS: Record<string, string> = {
  js: '../../runtime/js/emit-module.ts',
  wgsl: '../../runtime/wgsl/emit-module.ts',
};

export async function compileModel(path: string, o: { target: string; output: string; optLevel: number; threads?: number; batch: number; force?: boolean; winograd?: boolean; layout?: Layout }): Promise<string[]> {
  const mod = TARGETS[o.target];
  if (!mod) {
    const s = suggest(o.target, Object.keys(TARGETS));
    throw lcError('LC002', [`unknown target '${o.target}'${s ? ` (did you mean '${s}'?)` : ''}; choose one of ${Object.keys(TARGETS).join(', ')}`]);
  }
  const emit = ((await import(mod).catch(() => null)) as { emitModule?: EmitModule } | null)?.emitModule;
  if (!emit) throw lcError('LC002', [`target '${o.target}' has no module emitter in this build`]);
  const optimize = await loadOptimizer(parseLevel(String(o.optLevel)));
  // Loaded on use (start-up of the other commands): the importers, the backends and the lowering.
  const { loadModel } = await import('../frontend/load.ts');
  const { getBackend } = await import('../../runtime/backend.ts');
  const { lowerInPlace } = await import('../../passes/pipelines.ts');
  const g = await loadModel(path);
  optimize(g);
  fixInputShapes(g, o.batch);
  lowerInPlace(g, (await getBackend(o.target)).capabilities);
  const files = emit(g, { threads: o.threads, winograd: o.winograd, layout: o.layout });
  const written: string[] = [];
  for (const f of files) {
    const target = join(o.output, f.name);
    writeFileAtomic(target, f.data, { force: o.force, inputs: [path] });
    written.push(target);
  }
  return written;
}

export function register(program: Command): void {
  program.command('compile')
    .description('emit a model as a loadable module for a target (kernels, memory plan, weights)')
    .argument('<model>', '.onnx or .layers model')
    .requiredOption('-o, --output <dir>', 'directory to write the module into')
    .option('--target <name>', 'js | wgsl', 'js')
    .option('-O, --opt-level <n>', 'optimization level 0, 1 or 2 (-O0 runs the model exactly as written)', '2')
    .option('--threads <n>', 'js: worker threads the module uses in Node', '1')
    .option('--batch <n>', 'size for symbolic input dims', '1')
    .option('--force', 'replace existing files in the output directory')
    .option('--no-winograd', 'js: 3x3 stride-1 and stride-2 convs on the direct and im2col kernels instead of Winograd (smaller rounding error)')
    .option('--layout <layout>', LAYOUT_HELP, 'auto')
    .addHelpText('after', '\nExample:\n  layerc compile model.onnx --target js -O2 -o out/model\n  node -e "const m = await (await import(\'./out/model/model.mjs\')).load(); ..."')
    .action(async (path: string, o: { output: string; target: string; optLevel: string; threads: string; batch: string; force?: boolean; winograd: boolean; layout: string }) => {
      const files = await compileModel(path, { target: o.target, output: o.output, optLevel: parseLevel(o.optLevel), threads: positiveInt('--threads', o.threads),
        batch: positiveInt('--batch', o.batch), force: o.force, winograd: o.winograd, layout: layoutOption(o.layout) });
      for (const f of files) console.log(`wrote ${f}`);
    });
}
