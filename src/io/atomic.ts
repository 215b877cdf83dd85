// Every file layerc writes goes through here: written to a temporary file in the same directory, fsynced,
// then renamed over the target, so a crash or kill mid-write leaves the previous file intact. It refuses to
// overwrite one of the command's own inputs, and an existing output unless `force` is set.
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, realpathSync, renameSync, unlinkSync, writeSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { lcError } from '../diagnostics.ts';

export interface WriteOptions {
  /** Replace an existing file (default: refuse). */
  force?: boolean;
  /** Paths this command reads: never overwritten. */
  inputs?: string[];
}

export function writeFileAtomic(path: string, data: Uint8Array | string, opts: WriteOptions = {}): void {
  const target = resolve(path);
  for (const inp of opts.inputs ?? []) {
    if (samePath(inp, target)) throw lcError('LC005', [path]);
  }
  if (existsSync(target) && !opts.force) throw lcError('LC004', [path]);
  const dir = dirname(target);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw lcError('LC007', [path, (e as Error).message]);
  }
  removeStaleTemps(dir, basename(target));
  const tmp = join(dir, `.${basename(target)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w', 0o644);
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) try { closeSync(fd); } catch { /* already failing */ }
    try { unlinkSync(tmp); } catch { /* may not exist */ }
    throw lcError('LC007', [path, (e as Error).message]);
  }
}

/** Temp files of earlier writes to the same target whose process is gone (killed mid-write) are removed. */
function removeStaleTemps(dir: string, name: string): void {
  const prefix = `.${name}.`;
  let entries: string[];
  try { entries = readdirSync(dir); } catch { return; }
  for (const e of entries) {
    const m = e.startsWith(prefix) ? /^(\d+)\.\d+\.tmp$/.exec(e.slice(prefix.length)) : null;
    if (m && !alive(Number(m[1]))) try { unlinkSync(join(dir, e)); } catch { /* another writer got there first */ }
  }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

function samePath(a: string, b: string): boolean {
  const ra = resolve(a);
  if (ra === b) return true;
  try {
    return existsSync(b) && realpathSync(ra) === realpathSync(b);
  } catch {
    return false;
  }
}
