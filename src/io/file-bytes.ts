// Byte ranges of a model file left in the file when it is loaded (loadOnnxFile: large float32 weights, read when
// first needed, by a packer straight into wasm memory: src/ir/tensor.ts float32From). The file's descriptor from the
// load is kept, so the file may be renamed, replaced or removed afterwards; a file changed in place (size or
// modification time) is reported (LC003) instead of other bytes being read. Descriptors are closed when the graph's
// tensors are collected, and at most MAX_OPEN stay open at once: a file past that is opened again by its path when
// read, and must then still be the same file (device, inode, size, modification time).
import { lcError } from '../diagnostics.ts';
import type { ByteSource } from '../ir/tensor.ts';

type Fs = typeof import('node:fs');
type Stats = import('node:fs').Stats;

/** Descriptors kept open at most (the least recently read is closed first; it reopens by path). */
export const MAX_OPEN = 16;

/** Closes a collected file's descriptor (held: the fs and the descriptor, never the LoadedFile itself). */
const closer = new FinalizationRegistry<{ fs: Fs; fd: number }>(({ fs, fd }) => { try { fs.closeSync(fd); } catch { /* closed already */ } });
/** Files holding a descriptor, least recently read first. */
let holding: WeakRef<LoadedFile>[] = [];

export class LoadedFile {
  private fd: number | null = null;
  private readonly token = {};

  /** What identified the file when it was loaded. */
  private readonly seen: Pick<Stats, 'dev' | 'ino' | 'size' | 'mtimeMs'>;

  constructor(private readonly fs: Fs, readonly path: string, stat: Stats) {
    this.seen = { dev: stat.dev, ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs };
  }

  /** Takes `fd` (the load's descriptor of this file): kept for reads, closed when this file is collected. */
  adopt(fd: number): void { this.hold(fd); }

  /** Bytes [pos, pos + into.length) of the file, if it is still the file that was loaded. */
  read(into: Uint8Array, pos: number): void {
    const { fs, seen } = this;
    let fd = this.fd;
    if (fd === null) {
      try { fd = fs.openSync(this.path, 'r'); } catch (e) { throw this.changed((e as NodeJS.ErrnoException).code ?? (e as Error).message); }
      const now = fs.fstatSync(fd);
      if (now.dev !== seen.dev || now.ino !== seen.ino) { fs.closeSync(fd); throw this.changed('replaced'); }
      this.hold(fd);
    } else {
      holding = [...holding.filter((r) => r.deref() !== this), new WeakRef(this)]; // the most recently read
    }
    const now = fs.fstatSync(fd);
    if (now.size !== seen.size || now.mtimeMs !== seen.mtimeMs) throw this.changed('changed');
    for (let done = 0; done < into.length;) {
      const n = fs.readSync(fd, into, done, into.length - done, pos + done);
      if (n <= 0) throw this.changed('short read');
      done += n;
    }
  }

  /** Bytes [pos, pos + length) as a source that reads them when asked. */
  range(pos: number, length: number): ByteSource {
    return {
      byteLength: length,
      read: (into, at) => { if (at < 0 || at + into.length > length) throw new RangeError('outside the range'); this.read(into, pos + at); },
    };
  }

  private hold(fd: number): void {
    this.fd = fd;
    closer.register(this, { fs: this.fs, fd }, this.token);
    holding = [...holding.filter((r) => r.deref()?.fd != null), new WeakRef(this)];
    while (holding.length > MAX_OPEN) holding.shift()!.deref()?.release();
  }

  private release(): void {
    if (this.fd === null) return;
    closer.unregister(this.token);
    this.fs.closeSync(this.fd);
    this.fd = null;
  }

  private changed(why: string) {
    return lcError('LC003', [this.path, `${why} since the model was loaded (its large weights are read from the file when first needed: load it again)`]);
  }
}
