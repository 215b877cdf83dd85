// Training data: .npy pairs (`X.npy,y.npy`) and Fashion-MNIST in IDX gzip (the Debian package
// dataset-fashion-mnist, or the subset committed under examples/data/). Images become float32 [N, 1, 28, 28]
// scaled to [0, 1]; labels int64 [N]. Batches come in a seeded per-epoch shuffle (mulberry32 + Fisher-Yates),
// so a run is reproducible from --seed; a last partial batch is dropped (BN statistics of tiny batches are noise).
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../../ir/tensor.ts';
import { lcError } from '../../diagnostics.ts';
import { mulberry32 } from '../../random.ts';

export interface Split { x: Tensor; y: Tensor }
export interface Dataset { train: Split; test?: Split; source: string }

export const FASHION_MNIST_SYSTEM = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_BUNDLED = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples/data');

/** Reads a little-endian C-order .npy file (float32, float64, int64, int32, uint8). */
export function readNpyFile(path: string): Tensor {
  let buf: Buffer;
  try { buf = readFileSync(path); } catch (e) { throw lcError('LC003', [path, (e as Error).message]); }
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw lcError('LC068', [path, 'not a .npy file']);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  if (/'fortran_order':\s*True/.test(header)) throw lcError('LC068', [path, 'Fortran-order arrays are not supported']);
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const body = new Uint8Array(buf.byteLength - start - hlen);
  body.set(buf.subarray(start + hlen));
  switch (descr) {
    case '<f4': return new Tensor('float32', shape, new Float32Array(body.buffer));
    case '<f8': return new Tensor('float64', shape, new Float64Array(body.buffer));
    case '<i8': return new Tensor('int64', shape, Float64Array.from(new BigInt64Array(body.buffer), Number));
    case '<i4': return Tensor.fromArray('int64', shape, new Int32Array(body.buffer));
    case '|u1': return new Tensor('uint8', shape, body);
    default: throw lcError('LC068', [path, `unsupported dtype ${descr}`]);
  }
}

/** Reads one IDX file (gzip or raw): unsigned-byte data with big-endian dimensions. */
export function readIdx(path: string): { dims: number[]; data: Uint8Array } {
  let raw: Buffer = readFileSync(path);
  if (raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipSync(raw);
  if (raw[0] !== 0 || raw[1] !== 0 || raw[2] !== 0x08) throw lcError('LC068', [path, 'not an unsigned-byte IDX file']);
  const nd = raw[3];
  const dims = Array.from({ length: nd }, (_, i) => raw.readUInt32BE(4 + 4 * i));
  const data = raw.subarray(4 + 4 * nd);
  if (data.length !== dims.reduce((a, b) => a * b, 1)) throw lcError('LC068', [path, 'data length does not match its dimensions']);
  return { dims, data };
}

function idxSplit(dir: string, prefix: string): Split {
  const img = readIdx(join(dir, `${prefix}-images-idx3-ubyte.gz`)), lab = readIdx(join(dir, `${prefix}-labels-idx1-ubyte.gz`));
  const [n, h, w] = img.dims;
  const x = Tensor.zeros('float32', [n, 1, h, w]);
  for (let i = 0; i < img.data.length; i++) x.data[i] = img.data[i] / 255;
  return { x, y: Tensor.fromArray('int64', [n], lab.data) };
}

/** The system package's directory when installed (full set), else the bundled subset's. */
export function fashionMnistDir(spec = 'fashion-mnist'): string {
  return spec === 'fashion-mnist' && existsSync(join(FASHION_MNIST_SYSTEM, 'train-images-idx3-ubyte.gz')) ? FASHION_MNIST_SYSTEM : FASHION_MNIST_BUNDLED;
}

/** Only the Fashion-MNIST test split (for one-image tools that need not unpack 60000 training images). */
export function loadFashionMnistTest(): Split { return idxSplit(fashionMnistDir(), 't10k'); }

/** `fashion-mnist` (system package, else the bundled subset), `fashion-mnist-subset`, or `X.npy,y.npy`. */
export function loadDataset(spec: string): Dataset {
  if (spec === 'fashion-mnist' || spec === 'fashion-mnist-subset') {
    const dir = fashionMnistDir(spec);
    return { train: idxSplit(dir, 'train'), test: idxSplit(dir, 't10k'), source: dir };
  }
  const parts = spec.split(',');
  if (parts.length !== 2) throw lcError('LC068', [spec, "expected 'fashion-mnist' or 'X.npy,y.npy'"]);
  const x = readNpyFile(parts[0]), y = readNpyFile(parts[1]);
  if (x.shape[0] !== y.shape[0]) throw lcError('LC068', [spec, `X has ${x.shape[0]} rows, y has ${y.shape[0]}`]);
  return { train: { x, y }, source: spec };
}


/** Rows `idx` of a tensor, as a new tensor. */
export function gatherRows(t: Tensor, idx: ArrayLike<number>): Tensor {
  const row = t.size / t.shape[0];
  const out = Tensor.zeros(t.dtype, [idx.length, ...t.shape.slice(1)]);
  for (let i = 0; i < idx.length; i++) out.data.set(t.data.subarray(idx[i] * row, (idx[i] + 1) * row), i * row);
  return out;
}

/** The batches of one epoch: a seeded permutation (seed + epoch) unless `shuffle` is false. */
export function* batches(split: Split, batch: number, seed: number, epoch: number, shuffle = true): Generator<Split> {
  const n = split.x.shape[0];
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  if (shuffle) {
    const rnd = mulberry32(seed * 1000003 + epoch);
    for (let i = n - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
  }
  const b = Math.min(batch, n);
  for (let s = 0; s + b <= n; s += b) {
    const idx = order.subarray(s, s + b);
    yield { x: gatherRows(split.x, idx), y: gatherRows(split.y, idx) };
  }
}
