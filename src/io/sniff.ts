// What a file holds, judged by its first bytes rather than its name, so `layerc export ck.ckpt` works on the
// checkpoint `layerc train --checkpoint ck.ckpt` wrote. A safetensors checkpoint starts with its header length
// (8 bytes, little-endian, far below 2^40) followed by the JSON header's '{': that signature wins over any name.
// Otherwise a known extension decides (so a damaged model.onnx gets the ONNX loader's own error), and a file
// with another name is a .layers model when it is text, an ONNX model (a binary protobuf ModelProto: its first
// field tag, 0x08 for ir_version, is a control byte) when it is not.
import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { lcError } from '../diagnostics.ts';

export type FileKind = 'safetensors' | 'onnx' | 'layers';

export function fileKind(path: string): FileKind {
  const head = new Uint8Array(512);
  let n: number;
  try {
    const fd = openSync(path, 'r');
    try { n = readSync(fd, head, 0, head.length, 0); } finally { closeSync(fd); }
  } catch (e) { throw lcError('LC003', [path, (e as NodeJS.ErrnoException).code ?? (e as Error).message]); }
  if (n >= 9 && head[8] === 0x7b && head[5] === 0 && head[6] === 0 && head[7] === 0) return 'safetensors';
  const known = byExtension(path);
  if (known || n === 0) return known ?? 'onnx';
  const text = head.subarray(0, n).every((b) => b === 0x09 || b === 0x0a || b === 0x0d || b >= 0x20);
  return text ? 'layers' : 'onnx';
}

function byExtension(path: string): FileKind | undefined {
  return ({ '.safetensors': 'safetensors', '.layers': 'layers', '.onnx': 'onnx' } as const)[extname(path).toLowerCase()];
}
