// Reading an .onnx file without first reading it whole into one buffer. The weights are most of a model file
// (ResNet-18: 44.6 of 44.7 MB), and a buffer that large is fresh memory each time (the allocator maps blocks over
// 32 MB anew), whose first touch costs a page fault per 4 KiB (~13 µs on the VM the benches run on: ~150 ms for
// ResNet-18's file, on every load). Here the file is walked with small reads down to the initializers'
// raw_data (ModelProto.graph = 7 -> GraphProto.initializer = 5 -> TensorProto.raw_data = 9): each payload of
// PAYLOAD_MIN bytes or more is read straight into an array of its own (the tensor's storage: float32 data becomes a
// view of it, tensorproto.ts), everything else is copied into a compact protobuf without those payloads, which the
// importer decodes and checks as usual (onnx-wire.ts prescan, protobufjs) before the payloads are put back.
// A per-tensor array is an ordinary heap block the allocator reuses once an earlier model's weights are collected.
// A payload the caller's `leave` takes (loadOnnxFile: 64 KiB or more) is not read at all: its place in the file is
// kept (`left`), and the importer makes a float32 tensor read from there when first needed (src/io/file-bytes.ts):
// 45 MB of new arrays per ResNet-18 load cost a garbage collection and fresh pages every load or two.
// Anything unexpected on the way (a truncated or odd field, a second graph or raw_data field, which protobuf would
// merge) returns null and the caller reads the file whole, where the full checks report it.
import type { ByteSource } from '../ir/tensor.ts';

/** Payloads below this stay in the compact protobuf (no gain in taking them out). */
export const PAYLOAD_MIN = 1024;

export interface Hollow {
  /** The model's protobuf with the large initializer payloads taken out (their raw_data fields dropped). */
  compact: Uint8Array;
  /** raw_data of initializer i (in file order), for those taken out. */
  payloads: Map<number, Uint8Array>;
  /** raw_data of initializer i left in the file, for those `leave` took: where it is. */
  left: Map<number, ByteSource>;
}

type Fs = typeof import('node:fs');

/** Small positioned reads through one reused window. */
class FileReader {
  private win: Uint8Array;
  private at = 0;
  private len = 0;
  constructor(private fs: Fs, private fd: number, readonly size: number, window = 1 << 16) { this.win = new Uint8Array(window); }
  private fill(pos: number): void {
    this.at = pos;
    this.len = this.fs.readSync(this.fd, this.win, 0, Math.min(this.win.length, this.size - pos), pos);
    if (this.len <= 0) throw new RangeError('short read');
  }
  byte(pos: number): number {
    if (pos < this.at || pos >= this.at + this.len) this.fill(pos);
    return this.win[pos - this.at]!;
  }
  /** Reads bytes [pos, pos + into.length) of the file into `into`: small ranges through the window (a node's fields:
   *  not a system call each), large ones straight from the file (a payload: no copy through the window). */
  read(into: Uint8Array, pos: number): void {
    const n = into.length, inWindow = () => pos >= this.at && pos + n <= this.at + this.len;
    if (!inWindow() && n <= this.win.length >> 2 && pos < this.size) this.fill(pos);
    if (inWindow()) { into.set(this.win.subarray(pos - this.at, pos - this.at + n)); return; }
    for (let done = 0; done < into.length;) {
      const n = this.fs.readSync(this.fd, into, done, into.length - done, pos + done);
      if (n <= 0) throw new RangeError('short read');
      done += n;
    }
  }
}

/** A growing byte array. */
class Sink {
  bytes = new Uint8Array(256);
  length = 0;
  reserve(n: number): Uint8Array {
    if (this.length + n > this.bytes.length) {
      const b = new Uint8Array(Math.max(this.length + n, 2 * this.bytes.length));
      b.set(this.bytes.subarray(0, this.length));
      this.bytes = b;
    }
    const v = this.bytes.subarray(this.length, this.length + n);
    this.length += n;
    return v;
  }
  varint(x: number): void { while (x >= 0x80) { this.reserve(1)[0] = (x % 0x80) | 0x80; x = Math.floor(x / 0x80); } this.reserve(1)[0] = x; }
  append(b: Uint8Array): void { this.reserve(b.length).set(b); }
  view(): Uint8Array { return this.bytes.subarray(0, this.length); }
}

/** Thrown inside the walk for anything this reader does not handle; readHollow turns it into null. */
class Unexpected extends Error {}

/** `alloc`: a payload's array (loadOnnxFile passes Buffer.allocUnsafeSlow: the read overwrites every byte, so zeroing it first would be a wasted pass over the weights). */
export function readHollow(fs: Fs, fd: number, size: number, alloc: (bytes: number) => Uint8Array = (n) => new Uint8Array(n),
  leave: (pos: number, bytes: number) => ByteSource | null = () => null): Hollow | null {
  const r = new FileReader(fs, fd, size);
  const payloads = new Map<number, Uint8Array>(), left = new Map<number, ByteSource>();
  let pos = 0, initializers = 0;
  const need = (ok: boolean) => { if (!ok) throw new Unexpected(); };
  const varint = (): number => {
    let x = 0, mul = 1;
    for (let i = 0; i < 8; i++) { const b = r.byte(pos++); x += (b & 0x7f) * mul; if (b < 0x80) return x; mul *= 0x80; }
    throw new Unexpected();
  };
  /** Skips the value of a field of wire type wt (pos after its tag). */
  const skip = (wt: number, end: number) => {
    if (wt === 0) varint();
    else if (wt === 1) pos += 8;
    else if (wt === 5) pos += 4;
    else if (wt === 2) { const n = varint(); pos += n; } else throw new Unexpected();
    need(pos <= end);
  };
  /** Copies the file's bytes [from, pos) to the sink. */
  const copy = (out: Sink, from: number) => r.read(out.reserve(pos - from), from);
  /** Walks a message body ending at `end`; `inner(field, wt, end)` returns the compact bytes of a field it takes over. */
  const walk = (end: number, out: Sink, inner: (field: number, wt: number, start: number) => boolean) => {
    while (pos < end) {
      const start = pos, tag = varint(), field = Math.floor(tag / 8), wt = tag & 7;
      need(field > 0);
      if (inner(field, wt, start)) continue;
      skip(wt, end);
      copy(out, start);
    }
    need(pos === end);
  };
  /** A length-delimited submessage at pos (after its tag): walked into its own sink, re-emitted with its new length. */
  const sub = (out: Sink, field: number, end: number, body: (subEnd: number, s: Sink) => void) => {
    const n = varint(), subEnd = pos + n;
    need(subEnd <= end);
    const s = new Sink();
    body(subEnd, s);
    out.varint(field * 8 + 2);
    out.varint(s.length);
    out.append(s.view());
  };
  try {
    const model = new Sink();
    let graphs = 0;
    walk(size, model, (field, wt) => {
      if (field !== 7 || wt !== 2) return false;
      need(++graphs === 1);
      sub(model, 7, size, (graphEnd, graph) => walk(graphEnd, graph, (f, w) => {
        if (f !== 5 || w !== 2) return false;
        const index = initializers++;
        let raws = 0; // a second raw_data would replace the first (protobuf: the last one wins): not handled here
        sub(graph, 5, graphEnd, (tensorEnd, tensor) => walk(tensorEnd, tensor, (tf, tw, start) => {
          if (tf !== 9 || tw !== 2) return false;
          const n = varint();
          need(pos + n <= tensorEnd && ++raws === 1);
          if (n < PAYLOAD_MIN) { pos += n; copy(tensor, start); return true; }
          const there = leave(pos, n);
          if (there) { left.set(index, there); pos += n; return true; }
          const payload = alloc(n);
          r.read(payload, pos);
          payloads.set(index, payload);
          pos += n;
          return true;
        }));
        return true;
      }));
      return true;
    });
    return { compact: model.view(), payloads, left };
  } catch (e) {
    if (e instanceof Unexpected || e instanceof RangeError) return null;
    throw e;
  }
}
