// NumPy .npy files (format versions 1-3): magic, version, little-endian header length, a Python dict
// literal header {'descr', 'fortran_order', 'shape'}, then the C-order data. Only little-endian (or
// byte-sized) element types layerc holds are accepted; Fortran order and big-endian data are refused.
import type { DType } from '../ir/dtype.ts';
import { Tensor } from '../ir/tensor.ts';
import { lcError } from '../diagnostics.ts';
import { tensorBytes } from './tensorproto.ts';

const DESCR: Record<string, DType> = { '<f4': 'float32', '<f8': 'float64', '<i8': 'int64', '<i4': 'int32', '|u1': 'uint8', '|i1': 'int8', '|b1': 'bool' };
const DESCR_OF: Record<DType, string> = Object.fromEntries(Object.entries(DESCR).map(([k, v]) => [v, k])) as Record<DType, string>;
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export function decodeNpy(bytes: Uint8Array, file = '<npy>'): Tensor {
  const bad = (why: string) => lcError('LC017', [file, why], { file });
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('not a .npy file (bad magic)');
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [hlen, start] = major === 1 ? [dv.getUint16(8, true), 10] : major <= 3 && bytes.length >= 12 ? [dv.getUint32(8, true), 12] : [-1, 0];
  if (hlen < 0 || start + hlen > bytes.length) throw bad(`unsupported .npy version ${major} or truncated header`);
  const header = new TextDecoder().decode(bytes.subarray(start, start + hlen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw bad('malformed header');
  if (fortran === 'True') throw bad('Fortran-order arrays are not supported (save with np.ascontiguousarray)');
  if (descr.startsWith('>')) throw bad(`big-endian data (${descr}) is not supported`);
  const dtype = DESCR[descr];
  if (!dtype) throw lcError('LC012', [`${descr} (${file})`], { file });
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw bad(`bad shape (${shapeText})`);
  const n = shape.reduce((a, b) => a * b, 1);
  const size = { float32: 4, float64: 8, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 }[dtype];
  const off = start + hlen;
  if (bytes.length - off < n * size) throw bad(`data is truncated: ${bytes.length - off} bytes, need ${n * size}`);
  const t = Tensor.zeros(dtype, shape);
  const d = new DataView(bytes.buffer, bytes.byteOffset + off, n * size);
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case 'float32': t.data[i] = d.getFloat32(i * 4, true); break;
      case 'float64': t.data[i] = d.getFloat64(i * 8, true); break;
      case 'int64': t.data[i] = Number(d.getBigInt64(i * 8, true)); break;
      case 'int32': t.data[i] = d.getInt32(i * 4, true); break;
      case 'int8': t.data[i] = d.getInt8(i); break;
      case 'uint8': t.data[i] = d.getUint8(i); break;
      case 'bool': t.data[i] = d.getUint8(i) ? 1 : 0; break;
    }
  }
  return t;
}

export function encodeNpy(t: Tensor): Uint8Array {
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${DESCR_OF[t.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const h = new TextEncoder().encode(header);
  const data = tensorBytes(t);
  const out = new Uint8Array(10 + h.length + data.length);
  out.set(MAGIC, 0); out[6] = 1; out[7] = 0;
  new DataView(out.buffer).setUint16(8, h.length, true);
  out.set(h, 10); out.set(data, 10 + h.length);
  return out;
}
