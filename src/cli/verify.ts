// `layerc verify A B`: translation validation. Both models run on the reference interpreter over K seeded
// random inputs; every output of B is compared with A's (A is the reference: |b - a| <= atol + rtol * |a|,
// NaN only where A has NaN). It checks any optimizer's output, ours or another tool's, against its source.
// `layerc verify A --backend js|wgsl`: the same check of a backend: A compiled for the backend (after -O
// passes, if asked) against A on the reference interpreter. `layerc bench --check` runs it before timing.
// Symbolic input dims take the value given with --dim name=value (default 1), the same in both models.
import type { Command } from 'commander';
import type { Dim, Graph, Value } from '../ir/graph.ts';
import { Tensor, sizeOf } from '../ir/tensor.ts';
import { isFloat } from '../ir/dtype.ts';
import { runGraph } from '../ir/interpret.ts';
import { inferShapes } from '../ir/infer.ts';
import { cloneGraph } from '../ir/clone.ts';
import { lcError } from '../diagnostics.ts';
import type { Backend } from '../../runtime/backend.ts';
import { loadOptimizer, parseLevel, type OptLevel } from './level.ts';

export interface VerifyOptions {
  trials?: number;
  seed?: number;
  rtol?: number;
  atol?: number;
  /** Values for symbolic input dims (default 1). */
  dims?: Record<string, number>;
}

export interface OutputComparison {
  name: string; maxAbsErr: number; maxRelErr: number; ok: boolean;
  /** Elements where one side is NaN or infinite and the other is not the same. */
  nonFiniteMismatches: number;
  /** The element furthest outside (or closest to) the tolerance: its index and both values. */
  worst?: { index: number[]; want: number; got: number };
}
export interface VerifyResult { ok: boolean; outputs: OutputComparison[]; trials: number; rtol: number; atol: number }

export const DEFAULT_RTOL = 1e-3;
export const DEFAULT_ATOL = 1e-4;

/** Compares B against A on random inputs. Throws LC064 when their interfaces differ. */
export function verifyModels(a: Graph, b: Graph, o: VerifyOptions = {}): VerifyResult {
  const trials = o.trials ?? 3, rtol = o.rtol ?? DEFAULT_RTOL, atol = o.atol ?? DEFAULT_ATOL;
  checkInterfaces(a, b, o.dims ?? {});
  const rnd = lcg(o.seed ?? 1);
  const stats = newStats(a);
  for (let t = 0; t < trials; t++) {
    const feeds = Object.fromEntries(a.inputs.filter((v) => !v.const).map((v) => [v.name, randomInput(v, o.dims ?? {}, rnd)]));
    const ra = runGraph(a, feeds), rb = runGraph(b, feeds);
    for (const s of stats.values()) compareInto(s, ra[s.name]!, rb[s.name]!, rtol, atol);
  }
  const outputs = [...stats.values()];
  return { ok: outputs.every((s) => s.ok), outputs, trials, rtol, atol };
}

const newStats = (g: Graph) => new Map<string, OutputComparison>(g.outputs.map((v) => [v.name, { name: v.name, maxAbsErr: 0, maxRelErr: 0, ok: true, nonFiniteMismatches: 0 }]));

export interface BackendVerifyOptions extends VerifyOptions {
  /** Optimization level applied before compiling for the backend (the reference runs the model as loaded). */
  level?: OptLevel;
  /** Worker threads for the js backend. */
  threads?: number;
}

/**
 * Compiles `g` for `backend` (lowered for its capabilities, as every caller does) and compares it with the reference interpreter running `g`, on K seeded random
 * inputs (same inputs, tolerance and report as verifyModels). Symbolic input dims are fixed (--dim, default 1)
 * before compiling.
 */
export async function verifyBackend(g: Graph, backend: Backend, o: BackendVerifyOptions = {}): Promise<VerifyResult> {
  const trials = o.trials ?? 3, rtol = o.rtol ?? DEFAULT_RTOL, atol = o.atol ?? DEFAULT_ATOL;
  const model = cloneGraph(g);
  for (const v of model.inputs) if (!v.const) v.type = { ...v.type, shape: concrete(v, o.dims ?? {}) };
  inferShapes(model);
  const compiledGraph = cloneGraph(model);
  (await loadOptimizer(o.level ?? 0))(compiledGraph);
  const { lowering } = await import('../../passes/pipelines.ts'); // loaded on use (CLI start-up)
  const compiled = await backend.compile(compiledGraph, { threads: o.threads, lower: lowering(backend.capabilities) });
  const rnd = lcg(o.seed ?? 1);
  const stats = newStats(model);
  try {
    for (let t = 0; t < trials; t++) {
      const feeds = Object.fromEntries(model.inputs.filter((v) => !v.const).map((v) => [v.name, randomInput(v, {}, rnd)]));
      const want = runGraph(model, feeds), got = await compiled.run(feeds);
      for (const s of stats.values()) compareInto(s, want[s.name]!, got[s.name]!, rtol, atol);
    }
  } finally { await compiled.dispose(); }
  const outputs = [...stats.values()];
  return { ok: outputs.every((s) => s.ok), outputs, trials, rtol, atol };
}

/** One line per output (PASS/FAIL, errors, worst element), then the summary line with the tolerance. */
export function formatVerify(r: VerifyResult, against = ''): string[] {
  const lines = r.outputs.map((s) => {
    const w = s.worst ? ` worst=${s.name}[${s.worst.index.join(',')}] want=${s.worst.want} got=${s.worst.got}` : '';
    return `${s.ok ? 'PASS' : 'FAIL'}  ${s.name}  max_abs_err=${s.maxAbsErr.toExponential(3)} max_rel_err=${s.maxRelErr.toExponential(3)}${s.nonFiniteMismatches ? ` nan_or_inf_mismatches=${s.nonFiniteMismatches}` : ''}${w}`;
  });
  lines.push(`${r.ok ? 'PASS' : 'FAIL'}: ${r.outputs.length} output(s), ${r.trials} trial(s), rtol=${r.rtol} atol=${r.atol}${against}`);
  return lines;
}

function checkInterfaces(a: Graph, b: Graph, dims: Record<string, number>): void {
  const names = (vs: Value[]) => vs.map((v) => v.name).sort().join(', ');
  const fail = (what: string) => { throw lcError('LC064', [what]); };
  const feedsA = a.inputs.filter((v) => !v.const), feedsB = b.inputs.filter((v) => !v.const);
  if (names(feedsA) !== names(feedsB)) fail(`inputs differ: A has [${names(feedsA)}], B has [${names(feedsB)}]`);
  for (const va of feedsA) {
    const vb = feedsB.find((v) => v.name === va.name)!;
    const [sa, sb] = [concrete(va, dims), concrete(vb, dims)];
    if (va.type.dtype !== vb.type.dtype || sa.join() !== sb.join()) {
      fail(`input '${va.name}' is ${va.type.dtype}[${sa.join(', ')}] in A but ${vb.type.dtype}[${sb.join(', ')}] in B`);
    }
  }
  if (names(a.outputs) !== names(b.outputs)) fail(`outputs differ: A has [${names(a.outputs)}], B has [${names(b.outputs)}]`);
}

/** The input's shape with symbolic dims replaced by --dim values (default 1). */
function concrete(v: Value, dims: Record<string, number>): number[] {
  if (!v.type.shape) throw lcError('LC064', [`input '${v.name}' has no known rank`]);
  return v.type.shape.map((d: Dim) => (typeof d === 'number' ? d : dims[d] ?? 1));
}

/** Floats uniform in [-1, 1); integers in [0, 3) (small: they are often indices or sizes); bools 0/1. */
function randomInput(v: Value, dims: Record<string, number>, rnd: () => number): Tensor {
  const shape = concrete(v, dims);
  const t = Tensor.zeros(v.type.dtype, shape);
  const n = sizeOf(shape);
  for (let i = 0; i < n; i++) t.data[i] = isFloat(v.type.dtype) ? rnd() * 2 - 1 : v.type.dtype === 'bool' ? (rnd() < 0.5 ? 1 : 0) : Math.floor(rnd() * 3);
  return t;
}

function compareInto(s: OutputComparison, ta: Tensor, tb: Tensor, rtol: number, atol: number): void {
  if (ta.shape.join() !== tb.shape.join()) {
    throw lcError('LC064', [`output '${s.name}' has shape [${ta.shape.join(', ')}] in A but [${tb.shape.join(', ')}] in B`]);
  }
  let worst = -1, worstAt = -1;
  for (let i = 0; i < ta.size; i++) {
    const x = ta.data[i]!, y = tb.data[i]!;
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue; // also equal infinities
    if (!Number.isFinite(x) || !Number.isFinite(y)) { s.ok = false; s.nonFiniteMismatches++; if (worst < Infinity) { worst = Infinity; worstAt = i; } continue; }
    const abs = Math.abs(x - y);
    s.maxAbsErr = Math.max(s.maxAbsErr, abs);
    s.maxRelErr = Math.max(s.maxRelErr, abs / Math.max(Math.abs(x), Number.MIN_VALUE));
    const excess = abs / (atol + rtol * Math.abs(x));
    if (!(excess <= 1)) s.ok = false;
    if (excess > worst) { worst = excess; worstAt = i; }
  }
  const prev = s.worst ? Math.abs(s.worst.got - s.worst.want) / (atol + rtol * Math.abs(s.worst.want)) : -1;
  if (worstAt >= 0 && worst > (Number.isNaN(prev) ? Infinity : prev)) {
    s.worst = { index: unflatten(worstAt, ta.shape), want: Number(ta.data[worstAt]), got: Number(tb.data[worstAt]) };
  }
}

function unflatten(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = shape.length - 1; k >= 0; k--) { idx[k] = i % shape[k]!; i = Math.floor(i / shape[k]!); }
  return idx;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

function parseDims(specs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of specs) {
    const m = /^([^=]+)=(\d+)$/.exec(s);
    if (!m) throw lcError('LC002', [`--dim expects name=positive integer, got '${s}'`]);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

function positive(name: string, s: string, integer: boolean): number {
  const v = Number(s);
  if (!(v >= 0) || (integer && !Number.isInteger(v))) throw lcError('LC002', [`${name} must be a ${integer ? 'non-negative integer' : 'non-negative number'}, got '${s}'`]);
  return v;
}

export function register(program: Command): void {
  program.command('verify')
    .description('check that model B computes what model A computes, or that a backend computes what the reference interpreter does, on seeded random inputs')
    .argument('<a>', 'the reference model (.onnx or .layers)')
    .argument('[b]', 'the model to check, e.g. an optimized copy of A (omit with --backend)')
    .option('--backend <name>', 'instead of B: compile A for this backend (js | wgsl) and check it against the reference interpreter')
    .option('-O, --opt-level <n>', 'with --backend: optimization level applied before compiling (default 2, like run; -O0 checks the model as written)', '2')
    .option('--threads <n>', 'with --backend js: worker threads (default: number of cores)')
    .option('--trials <k>', 'number of random inputs', '3')
    .option('--seed <s>', 'random seed', '1')
    .option('--rtol <r>', 'relative tolerance', String(DEFAULT_RTOL))
    .option('--atol <a>', 'absolute tolerance', String(DEFAULT_ATOL))
    .option('--dim <name=value...>', 'value of a symbolic input dim (default 1); repeat per dim', [])
    .addHelpText('after', '\nPasses when |b - a| <= atol + rtol * |a| for every element of every output (a: model A on the reference\n'
      + 'interpreter); exit 1 on FAIL. Each output line names its worst element (furthest outside the tolerance).\n'
      + '\nExamples:\n  layerc optimize resnet.onnx -o resnet-opt.onnx -O2\n  layerc verify resnet.onnx resnet-opt.onnx --trials 5 --dim N=2\n'
      + '  layerc verify examples/resnet_mini.layers --backend js -O2 --dim N=2')
    .action(async (pa: string, pb: string | undefined, o: { backend?: string; optLevel: string; threads?: string; trials: string; seed: string; rtol: string; atol: string; dim: string[] }) => {
      const opts: VerifyOptions = {
        trials: positive('--trials', o.trials, true), seed: positive('--seed', o.seed, true),
        rtol: positive('--rtol', o.rtol, false), atol: positive('--atol', o.atol, false), dims: parseDims(o.dim),
      };
      if (pb !== undefined && o.backend !== undefined) throw lcError('LC002', ['verify takes either model B or --backend, not both']);
      if (pb === undefined && o.backend === undefined) throw lcError('LC002', ['verify needs model B, or --backend js|wgsl to check a backend against the reference interpreter']);
      // Loaded on use: the importers and the backends are not needed by `--help` or the other commands.
      const { loadModel } = await import('../frontend/load.ts');
      const { getBackend } = await import('../../runtime/backend.ts');
      let r: VerifyResult, against = '';
      if (o.backend !== undefined) {
        const level = parseLevel(o.optLevel);
        const backend = await getBackend(o.backend);
        r = await verifyBackend(await loadModel(pa), backend, { ...opts, level, threads: o.threads === undefined ? undefined : positive('--threads', o.threads, true) || undefined });
        against = `; backend ${o.backend} -O${level} vs reference`;
      } else r = verifyModels(await loadModel(pa), await loadModel(pb!), opts);
      for (const line of formatVerify(r, against)) console.log(line);
      if (!r.ok) process.exitCode = 1;
    });
}
