// Checks a command's outputs up front, before any work: no output may be one of the command's inputs (LC005,
// even with --force), and an existing output needs --force (LC004). Commands whose files are written late or
// repeatedly (train: checkpoint every epoch, log and plot at the end) call this first, so a typo such as
// `--log X.npy` cannot destroy the training data hours later.
import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { lcError } from '../diagnostics.ts';

export function guardOutputs(outputs: (string | undefined)[], inputs: (string | undefined)[], force: boolean, reusable: (string | undefined)[] = []): void {
  const ins = inputs.filter((p): p is string => !!p).map(canonical);
  const reuse = reusable.filter((p): p is string => !!p).map(canonical);
  for (const out of outputs) {
    if (!out) continue;
    const c = canonical(out);
    if (reuse.includes(c)) continue; // e.g. --resume ck --checkpoint ck: continuing in place is intended
    if (ins.includes(c)) throw lcError('LC005', [out]);
    if (existsSync(c) && !force) throw lcError('LC004', [out]);
  }
}

function canonical(p: string): string {
  try { return realpathSync(p); } catch { return resolve(p); }
}
