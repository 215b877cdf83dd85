// ONNX backend-format test cases (model.onnx + test_data_set_*/input_K.pb, output_K.pb): discovery,
// running on a backend, and elementwise comparison |a-e| <= atol + rtol*|e| (NaN must meet NaN).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { Graph } from '../ir/graph.ts';
import type { Tensor } from '../ir/tensor.ts';
import { isLayercError, lcError } from '../diagnostics.ts';
import { loadOnnxFile } from '../frontend/onnx.ts';
import { readTensorFile } from '../io/tensor-file.ts';
import { compileFor } from '../compile-for.ts';
import type { Optimize } from './level.ts';

export interface Tolerance { rtol: number; atol: number }
export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-3, atol: 1e-5 };

export type CaseStatus = 'PASS' | 'FAIL' | 'UNSUPPORTED';
export interface CaseResult {
  name: string; status: CaseStatus; maxAbsErr: number; reason?: string;
  /** What of the model did not run in the backend's kernels (the reference interpreter or the host), if anything. */
  fallback?: string;
}

/** The compiled model's own account of its fallbacks (js: reference nodes or the whole graph; wgsl: host nodes). */
function fallbackOf(info: Record<string, string | number> | undefined): string | undefined {
  if (!info) return undefined;
  if (info.fallback) return String(info.fallback);
  if (info.hostFallback) return `host: ${info.hostFallback}`;
  return Number(info.fallbacks) > 0 ? `${info.fallbacks} node(s) on the reference interpreter${info.fallbackOps ? ` (${info.fallbackOps})` : ''}` : undefined;
}
export interface RunCaseOptions { backend?: string; optimize?: Optimize }

/** Every case folder under the given paths: a folder with model.onnx is a case; folders are searched recursively. */
export function findCases(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (existsSync(join(dir, 'model.onnx'))) out.push(dir);
    for (const e of readdirSync(dir).sort()) {
      const p = join(dir, e);
      if (!e.startsWith('test_data_set_') && statSync(p).isDirectory()) walk(p);
    }
  };
  for (const p of paths) {
    if (!existsSync(p) || !statSync(p).isDirectory()) throw lcError('LC003', [p, 'not a directory']);
    walk(p);
  }
  return out;
}

export function caseName(dir: string, roots: string[]): string {
  for (const r of roots) { const rel = relative(r, dir); if (rel && !rel.startsWith('..')) return rel; }
  return basename(dir);
}

export function tolerance(dir: string): Tolerance {
  const f = join(dir, 'case.json');
  if (!existsSync(f)) return DEFAULT_TOLERANCE;
  const t = (JSON.parse(readFileSync(f, 'utf8')) as { tolerance?: Partial<Tolerance> }).tolerance ?? {};
  return { rtol: t.rtol ?? DEFAULT_TOLERANCE.rtol, atol: t.atol ?? DEFAULT_TOLERANCE.atol };
}

/** Max abs error, and whether every element is within tolerance (shapes must agree). */
export function compare(actual: Tensor, expected: Tensor, tol: Tolerance): { ok: boolean; maxAbsErr: number; why?: string } {
  if (actual.shape.join(',') !== expected.shape.join(',')) return { ok: false, maxAbsErr: Infinity, why: `shape [${actual.shape}] != expected [${expected.shape}]` };
  let ok = true, max = 0;
  for (let i = 0; i < expected.size; i++) {
    const a = actual.data[i], e = expected.data[i];
    if (Number.isNaN(e) || Number.isNaN(a)) { if (Number.isNaN(e) !== Number.isNaN(a)) { ok = false; max = Infinity; } continue; }
    if (a === e) continue; // also covers matching infinities
    const d = Math.abs(a - e);
    if (!(d <= tol.atol + tol.rtol * Math.abs(e))) ok = false;
    if (d > max || Number.isNaN(d)) max = Number.isNaN(d) ? Infinity : d;
  }
  return { ok, maxAbsErr: max };
}

function dataSets(dir: string): string[] {
  return readdirSync(dir).filter((e) => e.startsWith('test_data_set_')).sort().map((e) => join(dir, e));
}

function numbered(dir: string, prefix: string): string[] {
  const files = readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.pb'));
  return files.sort((a, b) => Number(a.slice(prefix.length, -3)) - Number(b.slice(prefix.length, -3))).map((f) => join(dir, f));
}

export async function runCase(dir: string, name: string, opts: RunCaseOptions = {}): Promise<CaseResult> {
  let graph: Graph;
  try {
    graph = loadOnnxFile(join(dir, 'model.onnx'));
    opts.optimize?.(graph);
  } catch (e) {
    if (isLayercError(e) && ['LC011', 'LC012', 'LC016', 'LC019', 'LC035'].includes(e.code)) {
      return { name, status: 'UNSUPPORTED', maxAbsErr: NaN, reason: `${e.code} ${e.message}` };
    }
    return { name, status: 'FAIL', maxAbsErr: NaN, reason: isLayercError(e) ? `${e.code} ${e.message}` : String(e) };
  }
  const tol = tolerance(dir);
  let maxAbsErr = 0;
  let reason: string | undefined;
  const compiled = await compileFor(opts.backend ?? 'reference', graph);
  try {
    for (const ds of dataSets(dir)) {
      const feeds: Record<string, Tensor> = {};
      numbered(ds, 'input_').forEach((f, k) => { if (graph.inputs[k]) feeds[graph.inputs[k].name] = readTensorFile(f); });
      let outs: Record<string, Tensor>;
      try { outs = await compiled.run(feeds); } catch (e) {
        if (isLayercError(e) && e.code === 'LC035') return { name, status: 'UNSUPPORTED', maxAbsErr: NaN, reason: `${e.code} ${e.message}` };
        return { name, status: 'FAIL', maxAbsErr: NaN, reason: isLayercError(e) ? `${e.code} ${e.message}` : String(e) };
      }
      numbered(ds, 'output_').forEach((f, k) => {
        const v = graph.outputs[k];
        const r = v ? compare(outs[v.name], readTensorFile(f), tol) : { ok: false, maxAbsErr: Infinity, why: `no graph output ${k}` };
        maxAbsErr = Math.max(maxAbsErr, r.maxAbsErr);
        if (!r.ok && !reason) reason = `${basename(ds)} output ${v?.name ?? k}: ${r.why ?? `outside rtol ${tol.rtol} / atol ${tol.atol}`}`;
      });
    }
  } finally { await compiled.dispose(); }
  return { name, status: reason ? 'FAIL' : 'PASS', maxAbsErr, reason, fallback: fallbackOf(compiled.info) };
}

export function formatResult(r: CaseResult): string {
  const err = Number.isNaN(r.maxAbsErr) ? '-' : r.maxAbsErr.toExponential(2);
  return `${r.status.padEnd(11)} ${r.name}  max_abs_err=${err}${r.reason ? `  (${r.reason})` : ''}${r.fallback ? `  [fallback: ${r.fallback}]` : ''}`;
}
