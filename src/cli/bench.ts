// `layerc bench MODEL`: latency of one backend on seeded random inputs, in the manner of onnxruntime's
// perf_test: compile once, warm up, then time K runs and report median/min/max, plus memory (the
// backend's arena and memory when it reports them, and the process's peak RSS). Symbolic input dims
// (the batch) are fixed with --batch before compiling, since backends need static shapes. --check first runs
// `layerc verify --backend` (one seeded input) and refuses to time a backend that computes wrong numbers.
import type { Command } from 'commander';
import type { Graph } from '../ir/graph.ts';
import { Tensor } from '../ir/tensor.ts';
import { inferShapes } from '../ir/infer.ts';
import { lcError } from '../diagnostics.ts';
import { loadOptimizer, parseLevel } from './level.ts';

export interface BenchResult {
  model: string; backend: string; threads: number | null; optLevel: number; runs: number; warmup: number;
  medianMs: number; minMs: number; maxMs: number; peakRssBytes: number; info: Record<string, string | number>;
  /** Getting the model ready, once, wall ms: load (file -> IR), optimize (-O passes), compile (input shapes
   *  fixed, lowering, the backend's kernels, weights and memory: everything until the first run can start). */
  loadMs: number; optimizeMs: number; compileMs: number;
}

/** Replaces symbolic input dims by `batch` and re-infers shapes. */
export function fixInputShapes(g: Graph, batch: number): void {
  for (const v of g.inputs) if (v.type.shape) v.type = { ...v.type, shape: v.type.shape.map((d) => (typeof d === 'number' ? d : batch)) };
  inferShapes(g);
}

export function randomFeeds(g: Graph, seed = 1): Record<string, Tensor> {
  let s = seed >>> 0 || 1;
  const rnd = () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
  const feeds: Record<string, Tensor> = {};
  for (const v of g.inputs) {
    if (v.isConst) continue;
    const shape = v.type.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    const t = Tensor.zeros(v.type.dtype, shape);
    for (let i = 0; i < n; i++) t.data[i] = v.type.dtype === 'float32' || v.type.dtype === 'float64' ? rnd() * 2 - 1 : 0;
    feeds[v.name] = t;
  }
  return feeds;
}

export async function bench(path: string, o: { backend: string; threads?: number; runs: number; warmup: number; optLevel: number; batch: number; winograd?: boolean; layout?: Layout }): Promise<BenchResult> {
  const optimize = await loadOptimizer(parseLevel(String(o.optLevel)));
  // Loaded on use: the importers and the backends are not needed by `--help` or the other commands.
  const { loadModel } = await import('../frontend/load.ts');
  const { compileFor } = await import('../compile-for.ts');
  const t0 = performance.now();
  const g = await loadModel(path);
  const t1 = performance.now();
  optimize(g);
  const t2 = performance.now();
  fixInputShapes(g, o.batch);
  const feeds = randomFeeds(g); // (microseconds; counted in compileMs)
  const compiled = await compileFor(o.backend, g, { threads: o.threads, winograd: o.winograd, layout: o.layout });
  const phases = { loadMs: t1 - t0, optimizeMs: t2 - t1, compileMs: performance.now() - t2 };
  try {
    for (let i = 0; i < o.warmup; i++) await compiled.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      const t0 = performance.now();
      await compiled.run(feeds);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const mid = times.length >> 1;
    const median = times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
    return {
      model: path, backend: o.backend, threads: o.backend === 'js' ? Number(compiled.info?.threads ?? o.threads ?? 0) : null, optLevel: o.optLevel,
      runs: o.runs, warmup: o.warmup, medianMs: median, minMs: times[0]!, maxMs: times[times.length - 1]!,
      peakRssBytes: process.resourceUsage().maxRSS * 1024, info: compiled.info ?? {}, ...phases,
    };
  } finally { await compiled.dispose(); }
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

export function formatBench(r: BenchResult): string {
  const lines = [
    `${r.model}: backend ${r.backend}${r.threads ? `, ${r.threads} thread${r.threads > 1 ? 's' : ''}` : ''}, -O${r.optLevel}`,
    `  latency: median ${r.medianMs.toFixed(2)} ms, min ${r.minMs.toFixed(2)} ms, max ${r.maxMs.toFixed(2)} ms (${r.runs} runs after ${r.warmup} warm-up)`,
    `  ready in ${(r.loadMs + r.optimizeMs + r.compileMs).toFixed(1)} ms: load ${r.loadMs.toFixed(1)} ms, optimize ${r.optimizeMs.toFixed(1)} ms, compile ${r.compileMs.toFixed(1)} ms`,
  ];
  const mem: string[] = [];
  if (typeof r.info.arenaBytes === 'number') mem.push(`arena ${mib(r.info.arenaBytes)}` + (typeof r.info.lowerBoundBytes === 'number' ? ` (lower bound ${mib(r.info.lowerBoundBytes)})` : ''));
  if (typeof r.info.memoryBytes === 'number') mem.push(`backend memory ${mib(r.info.memoryBytes)}`);
  mem.push(`process peak RSS ${mib(r.peakRssBytes)}`);
  lines.push(`  memory: ${mem.join(', ')}`);
  const extra = Object.entries(r.info).filter(([k]) => !['arenaBytes', 'lowerBoundBytes', 'memoryBytes', 'threads'].includes(k));
  if (extra.length) lines.push(`  ${extra.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  return lines.join('\n');
}

export function positiveInt(name: string, s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw lcError('LC002', [`${name} must be a positive integer, got '${s}'`]);
  return n;
}

export type Layout = 'auto' | 'nchw';
export const LAYOUT_HELP = 'js: auto (NCHWc4 regions where a depthwise conv gains) | nchw (every activation NCHW)';

/** The --layout value. */
export function layoutOption(s: string): Layout {
  if (s !== 'auto' && s !== 'nchw') throw lcError('LC002', [`--layout must be auto or nchw, got '${s}'`]);
  return s;
}

export function register(program: Command): void {
  program.command('bench')
    .description('measure inference latency (median/min/max) and memory of a model on a backend')
    .argument('<model>', '.onnx or .layers model')
    .option('--backend <name>', 'reference | js | wgsl', 'js')
    .option('--threads <n>', 'worker threads for the js backend (default: number of cores)')
    .option('--runs <k>', 'timed runs', '20')
    .option('--warmup <k>', 'untimed runs first', '5')
    .option('--batch <n>', 'size for symbolic input dims', '1')
    .option('-O, --opt-level <n>', 'optimization level 0, 1 or 2 (-O0 runs the model exactly as written)', '2')
    .option('--json', 'print the result as JSON')
    .option('--no-winograd', 'js: 3x3 stride-1 and stride-2 convs on the direct and im2col kernels instead of Winograd')
    .option('--layout <layout>', LAYOUT_HELP, 'auto')
    .option('--check', 'first check the backend against the reference interpreter (layerc verify --backend); on FAIL, exit 1 without timing')
    .addHelpText('after', '\nExample:\n  layerc bench model.onnx --backend js --threads 2 --runs 50 -O2 --check\n  layerc bench model.onnx --backend reference --runs 3 --json')
    .action(async (path: string, o: { backend: string; threads?: string; runs: string; warmup: string; batch: string; optLevel: string; json?: boolean; check?: boolean; winograd: boolean; layout: string }) => {
      const opts = {
        backend: o.backend, threads: o.threads === undefined ? undefined : positiveInt('--threads', o.threads),
        runs: positiveInt('--runs', o.runs), warmup: Number(o.warmup) >= 0 ? Number(o.warmup) : positiveInt('--warmup', o.warmup),
        optLevel: parseLevel(o.optLevel), batch: positiveInt('--batch', o.batch), winograd: o.winograd, layout: layoutOption(o.layout),
      };
      if (o.check) {
        const { loadModel } = await import('../frontend/load.ts');
        const { getBackend } = await import('../../runtime/backend.ts');
        const { formatVerify, verifyBackend } = await import('./verify.ts');
        const g = await loadModel(path);
        const dims = Object.fromEntries(g.inputs.flatMap((v) => v.type.shape ?? []).filter((d) => typeof d === 'string').map((d) => [d, opts.batch]));
        const v = await verifyBackend(g, await getBackend(o.backend), { level: opts.optLevel, threads: opts.threads, dims, trials: 1 });
        for (const line of formatVerify(v, `; backend ${o.backend} -O${opts.optLevel} vs reference`)) (o.json ? console.error : console.log)(line);
        if (!v.ok) { process.exitCode = 1; return; }
      }
      const r = await bench(path, opts);
      console.log(o.json ? JSON.stringify(r, null, 2) : formatBench(r));
    });
}
