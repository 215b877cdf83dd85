// What `layerc inspect CHECKPOINT.safetensors` prints: the run that wrote it (metadata), the BatchNorm settings
// its running statistics followed, and every state tensor with its kind and a short statistic (min/max/mean);
// `layerc inspect MODEL --state` prints the same table for a model's own state (describeModelState).
// Running statistics still at their initial values (mean all 0, variance all 1) are flagged: that is what a
// model whose statistics were never updated, or never saved, looks like. Files without a layerc manifest
// (a PyTorch state_dict saved as safetensors) get kinds guessed from their names.
import type { Graph } from '../ir/graph.ts';
import type { Tensor } from '../ir/tensor.ts';
import type { Checkpoint } from '../io/safetensors.ts';
import type { BnConvention } from '../ops/batchnorm-train.ts';
import { describeBnSettings, guessKind, manifestFromMetadata, modelManifest, ownRunningStats, type StateKind } from './state.ts';

function stats(t: Tensor): string {
  if (t.size === 1) return `${t.data[0]}`;
  let min = Infinity, max = -Infinity, sum = 0;
  for (let i = 0; i < t.size; i++) { const x = t.data[i]; if (x < min) min = x; if (x > max) max = x; sum += x; }
  const f = (x: number) => String(Number(x.toPrecision(5)));
  return `min ${f(min)} max ${f(max)} mean ${f(sum / Math.max(1, t.size))}`;
}

/** Running statistics still at their initial values: mean all 0, variance all 1. */
function atInit(kind: StateKind, t: Tensor): string {
  const all = (v: number) => t.size > 0 && Array.prototype.every.call(t.data, (x: number) => x === v);
  if (kind === 'running_mean' && all(0)) return '  <- still at its initial value (all 0)';
  if (kind === 'running_var' && all(1)) return '  <- still at its initial value (all 1)';
  return '';
}

export function describeCheckpoint(path: string, ck: Checkpoint): string {
  const m = ck.metadata;
  const manifest = manifestFromMetadata(m);
  const run = ['format', 'step', 'model', 'bn_convention', 'optimizer', 'loss', 'seed', 'batch'].filter((k) => m[k] !== undefined).map((k) => `${k} ${m[k]}`);
  const lines = [`checkpoint ${path}${run.length ? `: ${run.join(', ')}` : ''}`];
  if (manifest) lines.push(...describeBnSettings(manifest.bn));
  const kinds = new Map(manifest?.entries.map((e) => [e.name, e.kind]));
  const values = [...ck.tensors.values()].reduce((s, t) => s + t.size, 0);
  lines.push(`state (${ck.tensors.size} tensors, ${values} values${manifest ? '' : '; no layerc manifest, kinds guessed from the names'}):`);
  lines.push(...stateTable([...ck.tensors].map(([name, t]) => [kinds.get(name) ?? guessKind(name), name, t])));
  const absent = manifest?.entries.filter((e) => !ck.tensors.has(e.name)).map((e) => `${e.kind} ${e.name}`) ?? [];
  if (absent.length) lines.push(`declared in the manifest but not in the file: ${absent.join(', ')}`);
  return lines.join('\n');
}

/** One aligned line per tensor: kind, name, dtype[shape], statistic (and the at-init flag). */
function stateTable(rows: [StateKind, string, Tensor][]): string[] {
  const cells = rows.map(([kind, name, t]) => [kind, name, `${t.dtype}[${t.shape.join(', ')}]`, stats(t) + atInit(kind, t)]);
  const width = [0, 1, 2].map((i) => Math.max(0, ...cells.map((r) => r[i].length)));
  return cells.map((r) => `  ${r.slice(0, 3).map((c, i) => c.padEnd(width[i])).join('  ')}  ${r[3]}`);
}

/** A model's declared state (running statistics hidden behind Identity aliases get their own entries first). */
export function describeModelState(g: Graph, convention: BnConvention = 'pytorch'): string {
  ownRunningStats(g);
  const m = modelManifest(g, convention);
  const rows = m.entries.map((e) => [e.kind, e.name, g.value(e.name)!.const!] as [StateKind, string, Tensor]);
  return [`state (${rows.length} tensors; BatchNorm as --bn-convention ${convention} trains it):`, ...describeBnSettings(m.bn).map((l) => `  ${l}`), ...stateTable(rows)].join('\n');
}
