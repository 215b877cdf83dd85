// Checkpoints in the safetensors format (https://huggingface.co/docs/safetensors), so PyTorch, JAX and
// numpy users can read them: an 8-byte little-endian header length, a JSON header mapping each tensor name to
// { dtype, shape, data_offsets } plus `__metadata__` (string -> string), then the raw little-endian data.
// Tensor names are layerc state names (parameters, running_mean/var, optimizer moments, step). Metadata:
//   format: "layerc-checkpoint/2", step, bn_convention, model (path as given), model_sha256 (of the model
//   file), roles (JSON name -> role), and sha256: the SHA-256 of the header in canonical form (keys sorted,
//   without the sha256 field itself) followed by the data section. It covers names, dtypes, shapes, offsets and
//   metadata as well as the bytes, so a flipped bit anywhere is LC065 rather than a silently different
//   checkpoint. Version 1 files (data_sha256 over the data only) still load. Foreign safetensors files (no
//   layerc format) load without a checksum, but every entry is validated. Written atomically through
//   writeFileAtomic.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Tensor } from '../ir/tensor.ts';
import type { DType } from '../ir/dtype.ts';
import { writeFileAtomic, type WriteOptions } from './atomic.ts';
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
  const metadata: Record<string, string> = { ...ck.metadata, format: FORMAT };
  delete metadata.sha256;
  delete metadata.data_sha256;
  header.__metadata__ = metadata;
  metadata.sha256 = checksum(header, data);
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
  let header: unknown;
  try { header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n))); } catch { return bad('header is not valid JSON'); }
  if (!isRecord(header)) return bad('header is not a JSON object');
  const data = bytes.subarray(8 + n);
  const metadata = header.__metadata__ ?? {};
  if (!isRecord(metadata) || !Object.values(metadata).every((v) => typeof v === 'string')) return bad('__metadata__ is not a string -> string map');
  const meta = metadata as Record<string, string>;
  if (meta.sha256 !== undefined) {
    if (meta.sha256 !== checksum(header, data)) bad('SHA-256 of the header and data does not match __metadata__.sha256');
  } else if (meta.data_sha256 !== undefined) {
    if (meta.data_sha256 !== sha256(data)) bad('SHA-256 of the data section does not match __metadata__.data_sha256');
  } else if (meta.format?.startsWith('layerc-checkpoint')) {
    bad('a layerc checkpoint without its checksum');
  }
  const tensors = new Map<string, Tensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!isRecord(entry)) return bad(`tensor '${name}' has no {dtype, shape, data_offsets} entry`);
    const dtype = FROM_ST[String(entry.dtype)] ?? bad(`tensor '${name}' has unsupported dtype ${String(entry.dtype)}`);
    const { shape, data_offsets: offsets } = entry;
    if (!Array.isArray(shape) || !shape.every(isCount)) return bad(`tensor '${name}' has a malformed shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) return bad(`tensor '${name}' has malformed data_offsets`);
    const [b, end] = offsets as [number, number];
    if (!(end >= b && end <= data.byteLength)) bad(`tensor '${name}' has offsets outside the data section`);
    const size = (shape as number[]).reduce((p, d) => p * d, 1);
    if (size * ITEM_BYTES[dtype] !== end - b) bad(`tensor '${name}' declares ${size} ${dtype} elements but holds ${end - b} bytes`);
    tensors.set(name, fromBytes(dtype, shape as number[], data.subarray(b, end)));
  }
  return { tensors, metadata: meta };
}

const FORMAT = 'layerc-checkpoint/2';
const ITEM_BYTES: Record<DType, number> = { float32: 4, float64: 8, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 };
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** JSON with object keys sorted at every level: the same header gives the same text however it was written. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isRecord(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** SHA-256 over the canonical header without its own sha256 field, then the data section. */
function checksum(header: Record<string, unknown>, data: Uint8Array): string {
  const meta = { ...(header.__metadata__ as Record<string, string>) };
  delete meta.sha256;
  return createHash('sha256').update(canonical({ ...header, __metadata__: meta })).update(data).digest('hex');
}

export function saveCheckpoint(path: string, ck: Checkpoint, opts: WriteOptions = {}): void { writeFileAtomic(path, encodeCheckpoint(ck), opts); }

export function loadCheckpoint(path: string): Checkpoint {
  let bytes: Uint8Array;
  try { bytes = readFileSync(path); } catch (e) { throw lcError('LC003', [path, (e as Error).message]); }
  return decodeCheckpoint(bytes, path);
}

export function sha256(data: Uint8Array | string): string { return createHash('sha256').update(data).digest('hex'); }
