// Tensor files by extension: .npy (NumPy) and .pb (ONNX TensorProto), read and written the same way.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Tensor } from '../ir/tensor.ts';
import { lcError } from '../diagnostics.ts';
import { decodeNpy, encodeNpy } from './npy.ts';
import { decodeTensorProto, encodeTensorProto } from './tensorproto.ts';
import { writeFileAtomic, type WriteOptions } from './atomic.ts';

export type TensorFormat = '.npy' | '.pb';

export function tensorFormat(path: string): TensorFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.npy' || ext === '.pb') return ext;
  throw lcError('LC006', [path, 'tensor files must be .npy or .pb (ONNX TensorProto)']);
}

export function readTensorFile(path: string): Tensor {
  const fmt = tensorFormat(path);
  let bytes: Uint8Array;
  try { bytes = readFileSync(path); } catch (e) { throw lcError('LC003', [path, (e as NodeJS.ErrnoException).code ?? (e as Error).message]); }
  return fmt === '.npy' ? decodeNpy(bytes, path) : decodeTensorProto(bytes, path);
}

export function writeTensorFile(path: string, t: Tensor, name = '', opts: WriteOptions = {}): void {
  writeFileAtomic(path, tensorFormat(path) === '.npy' ? encodeNpy(t) : encodeTensorProto(t, name), opts);
}
