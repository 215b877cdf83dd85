// Every loader of trained state (`run --weights`, DSL weights, `--resume`, `export CHECKPOINT`, feature maps)
// goes through matchState: each required state entry must be found in the file (by name, or through the
// PyTorch nn.Sequential renaming), and each state tensor in the file must be used. Anything else is ONE error,
// LC071, that lists what is missing (with its kind, so lost running statistics stand out) and what in the file
// went unused (usually the same tensors under other names). `allowPartial` proceeds on purpose: a warning says
// what stays at its initial value and what was ignored. Shapes and dtypes are checked per tensor (LC051/LC070
// stay the callers' codes).
import type { Tensor } from '../ir/tensor.ts';
import { lcError, warn } from '../diagnostics.ts';
import type { StateEntry, StateKind } from './state.ts';

export interface MatchOptions {
  /** The file the tensors come from, and what they are loaded into (messages). */
  file: string;
  model: string;
  /** Model state name -> the name to look up in the file (nn.Sequential renaming). */
  rename?: (name: string) => string;
  /** File tensors that may stay unused (state the target has no place for, e.g. optimizer slots at inference). */
  ignorable?: (name: string) => boolean;
  allowPartial?: boolean;
}

export interface MatchResult {
  /** Model state name -> the file's tensor. */
  found: Map<string, Tensor>;
  missing: StateEntry[];
  unused: string[];
}

const LIST = 12;
const list = (xs: string[]): string => xs.length <= LIST ? xs.join(', ') : `${xs.slice(0, LIST).join(', ')}, ... (${xs.length} in all)`;

const KIND_ORDER: StateKind[] = ['running_mean', 'running_var', 'num_batches_tracked', 'param', 'frozen_param', 'step', 'rng', 'optimizer'];

function describeMissing(missing: StateEntry[], rename?: (n: string) => string): string {
  const byKind = new Map<StateKind, string[]>();
  for (const e of missing) {
    const looked = rename ? rename(e.name) : e.name;
    byKind.set(e.kind, [...(byKind.get(e.kind) ?? []), looked === e.name ? e.name : `${e.name} (as ${looked})`]);
  }
  // BatchNorm state first: the catalogue caps a message argument, and lost running statistics must never be
  // the part that is cut off (optimizer slots are listed last).
  return [...byKind].sort(([a], [b]) => KIND_ORDER.indexOf(a) - KIND_ORDER.indexOf(b))
    .map(([kind, names]) => `${kind} ${list(names)}`).join('; ');
}

export function matchState(required: StateEntry[], tensors: Map<string, Tensor>, opts: MatchOptions): MatchResult {
  const found = new Map<string, Tensor>();
  const used = new Set<string>();
  const missing: StateEntry[] = [];
  for (const e of required) {
    const key = opts.rename ? opts.rename(e.name) : e.name;
    const t = tensors.get(key);
    if (t) { found.set(e.name, t); used.add(key); } else missing.push(e);
  }
  const unused = [...tensors.keys()].filter((n) => !used.has(n) && !opts.ignorable?.(n));
  if (!missing.length && !unused.length) return { found, missing, unused };
  const parts: string[] = [];
  if (missing.length) parts.push(`missing ${describeMissing(missing, opts.rename)}`);
  if (unused.length) parts.push(`unused in the file: ${list(unused)}`);
  if (!opts.allowPartial) {
    throw lcError('LC071', [opts.file, opts.model, parts.join('; ')], {
      file: opts.file,
      notes: ['--allow-partial proceeds anyway and leaves the missing state at its initial value'],
    });
  }
  const left = missing.length ? `left at initialization: ${describeMissing(missing, opts.rename)}` : '';
  const ignored = unused.length ? `ignored in the file: ${list(unused)}` : '';
  warn(`--allow-partial: ${opts.file} does not hold all the state of ${opts.model}; ${[left, ignored].filter(Boolean).join('; ')}`);
  return { found, missing, unused };
}
