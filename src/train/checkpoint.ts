// Checkpoints in the safetensors format (https://huggingface.co/docs/safetensors), so PyTorch, JAX and
// numpy users can read them: an 8-byte little-endian header length, a JSON header mapping each tensor name to
// { dtype, shape, data_offsets } plus `__metadata__` (string -> string), then the raw little-endian data.
// Tensor names are layerc state names (parameters, running_mean/var, optimizer moments, step). Metadata:
//   format: "layerc-checkpoint/1", step, bn_convention, model (path as given), model_sha256 (of the model
//   file), data_sha256 (SHA-256 of the data section, verified on load: a mismatch is LC065), roles (JSON
//   name -> role). Written atomically (temp file + rename) through writeFileAtomic.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Tensor } from '../ir/tensor.ts';
import type { DType } from '../ir/dtype.ts';
import { writeFileAtomic, type WriteOptions } from '../io/atomic.ts';
import { lcError } from '../diagnostics.ts';

const ST_DTYPE: Record<string, string> = { float32: 'F32', float64: 'F64', int64: 'I64', int32: 'I32', int8: 'I8', uint8: 'U8', bool: 'BOOL' };
const FROM_ST: Record<string, DType> = Object.fromEntries(Object.entries(ST_DTYPE).map(([k, v]) => [v, k as DType]));

export interface Checkpoint {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

function toBytes(t: Tensor): Uint8Array {
  if (t.dtype === 'int64') {
    const b = new BigInt64Array(t.size);
    for (let i = 0; i < t.size; i++) b[i] = BigInt(t.data[i]);
    return new Uint8Array(b.buffer);
  }
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function fromBytes(dtype: DType, shape: number[], bytes: Uint8Array): Tensor {
  const copy = new Uint8Array(bytes.byteLength); // also aligns; Buffer#slice would share Node's pool
  copy.set(bytes);
  const ab = copy.buffer;
  switch (dtype) {
    case 'float32': return new Tensor(dtype, shape, new Float32Array(ab));
    case 'float64': return new Tensor(dtype, shape, new Float64Array(ab));
    case 'int64': return new Tensor(dtype, shape, Float64Array.from(new BigInt64Array(ab), Number));
    case 'int32': return new Tensor(dtype, shape, new Int32Array(ab));
    case 'int8': return new Tensor(dtype, shape, new Int8Array(ab));
    default: return new Tensor(dtype, shape, new Uint8Array(ab));
  }
}

export function encodeCheckpoint(ck: Checkpoint): Uint8Array {
  const names = [...ck.tensors.keys()].sort();
  const parts = names.map((n) => toBytes(ck.tensors.get(n)!));
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const data = new Uint8Array(total);
  const header: Record<string, unknown> = {};
  let off = 0;
  names.forEach((n, i) => {
    const t = ck.tensors.get(n)!;
    data.set(parts[i], off);
    header[n] = { dtype: ST_DTYPE[t.dtype], shape: [...t.shape], data_offsets: [off, off + parts[i].byteLength] };
    off += parts[i].byteLength;
  });
  header.__metadata__ = { ...ck.metadata, format: 'layerc-checkpoint/1', data_sha256: sha256(data) };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // the spec allows trailing spaces; keeps data 8-aligned
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.byteLength + total);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.byteLength), true);
  out.set(head, 8);
  out.set(data, 8 + head.byteLength);
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array, path = 'checkpoint'): Checkpoint {
  const bad = (why: string): never => { throw lcError('LC065', [path, why], { file: path }); };
  if (bytes.byteLength < 8) bad('file is shorter than the 8-byte header length');
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  if (8 + n > bytes.byteLength) bad(`header length ${n} exceeds the file size`);
  type Entry = { dtype: string; shape: number[]; data_offsets: [number, number] };
  let header: Record<string, unknown>;
  try { header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))); } catch { return bad('header is not valid JSON'); }
  const data = bytes.subarray(8 + n);
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  if (metadata.data_sha256 && metadata.data_sha256 !== sha256(data)) bad('SHA-256 of the data section does not match __metadata__.data_sha256');
  const tensors = new Map<string, Tensor>();
  for (const [name, entry] of Object.entries(header)) {
    const e = entry as Entry;
    if (name === '__metadata__') continue;
    const dtype = FROM_ST[e.dtype] ?? bad(`tensor '${name}' has unsupported dtype ${e.dtype}`);
    const [b, end] = e.data_offsets;
    if (!(b >= 0 && end >= b && end <= data.byteLength)) bad(`tensor '${name}' has offsets outside the data section`);
    tensors.set(name, fromBytes(dtype, e.shape, data.subarray(b, end)));
  }
  return { tensors, metadata };
}

export function saveCheckpoint(path: string, ck: Checkpoint, opts: WriteOptions = {}): void { writeFileAtomic(path, encodeCheckpoint(ck), opts); }

export function loadCheckpoint(path: string): Checkpoint {
  let bytes: Uint8Array;
  try { bytes = readFileSync(path); } catch (e) { throw lcError('LC003', [path, (e as Error).message]); }
  return decodeCheckpoint(bytes, path);
}

export function sha256(data: Uint8Array | string): string { return createHash('sha256').update(data).digest('hex'); }
