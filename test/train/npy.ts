// Minimal .npy reader for the training fixtures (little-endian float32/float64/int64, C order).
import { readFileSync } from 'node:fs';
import { Tensor } from '../../src/ir/tensor.ts';

export function readNpy(path: string): Tensor {
  const buf = readFileSync(path);
  const hlen = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + hlen).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)![1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)![1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const body = buf.subarray(10 + hlen);
  const ab = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
  if (descr === '<f4') return new Tensor('float32', shape, new Float32Array(ab));
  if (descr === '<f8') return new Tensor('float64', shape, new Float64Array(ab));
  if (descr === '<i8') return new Tensor('int64', shape, Float64Array.from(new BigInt64Array(ab), Number));
  throw new Error(`unsupported npy dtype ${descr}`);
}
