// ONNX external data (tensor bytes kept in a side file). Off by default: a model file must not make layerc
// read arbitrary files. When allowed, the location must be a relative path that resolves — after following
// symlinks — inside the directory that holds the model, and offset/length must lie inside that file and
// match the tensor's declared size. Only then are the bytes read (exactly `length` of them) into raw_data.
import onnx from 'onnx-proto';
import { lcError } from '../diagnostics.ts';
import { nodeBuiltin } from '../node-builtin.ts';
import { usesExternalData } from '../io/tensorproto.ts';

const P = onnx.onnx;

export interface ExternalDataOptions {
  /** Path of the model file (external locations are relative to its directory). */
  file?: string;
  /** Read external data (CLI --allow-external-data; env LAYERC_ALLOW_EXTERNAL_DATA=1). Default: refuse. */
  allowExternalData?: boolean;
}

export function externalDataAllowed(opts: ExternalDataOptions): boolean {
  return opts.allowExternalData ?? globalThis.process?.env.LAYERC_ALLOW_EXTERNAL_DATA === '1';
}

/**
 * Replaces external data by inline raw_data, or throws: LC013 when disabled, LC086 for a location that is absolute,
 * escapes the model directory or does not exist, LC087 when offset/length do not fit the file or the tensor.
 * `declaredBytes` is the tensor's size from dims x dtype (already checked against the limits).
 */
export function inlineExternalData(t: onnx.onnx.ITensorProto, what: string, declaredBytes: number, opts: ExternalDataOptions): void {
  if (!usesExternalData(t)) return;
  if (!externalDataAllowed(opts)) throw lcError('LC013', [what]);
  const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = kv.get('location') ?? '';
  if (!location) throw lcError('LC086', [what, "''", 'is missing']);
  const fs = nodeBuiltin?.('node:fs'), path = nodeBuiltin?.('node:path');
  if (!fs || !path) throw lcError('LC086', [what, `'${location}'`, 'cannot be read outside Node.js']);
  const { closeSync, fstatSync, openSync, readSync, realpathSync } = fs, { dirname, isAbsolute, resolve } = path;
  if (isAbsolute(location) || /^[A-Za-z]:[\\/]/.test(location) || location.includes('\0')) throw lcError('LC086', [what, `'${location}'`, 'is an absolute path (only paths relative to the model directory are allowed)']);
  if (!opts.file) throw lcError('LC086', [what, `'${location}'`, 'cannot be resolved: the model was not loaded from a file']);
  let modelDir: string;
  try { modelDir = realpathSync(dirname(resolve(opts.file))); } catch (e) {
    throw lcError('LC086', [what, `'${location}'`, `cannot be resolved: the model's directory is not readable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`]);
  }
  let real: string;
  try { real = realpathSync(resolve(modelDir, location)); } catch (e) {
    // Judge containment on the unresolved path first, so a traversal attempt is named as such even if missing.
    if (!inside(path, modelDir, resolve(modelDir, location))) throw lcError('LC086', [what, `'${location}'`, `resolves outside the model directory ${modelDir}`]);
    throw lcError('LC086', [what, `'${location}'`, `cannot be opened (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`]);
  }
  if (!inside(path, modelDir, real)) throw lcError('LC086', [what, `'${location}'`, `resolves (after symlinks) to ${real}, outside the model directory ${modelDir}`]);
  const num = (k: string): number | undefined => {
    const v = kv.get(k);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw lcError('LC087', [what, location, `${k} '${v}' is not a non-negative integer`]);
    return Number(v);
  };
  const offset = num('offset') ?? 0;
  // Non-blocking open, then fstat: a FIFO (or a device) in the model folder must be refused, not wait forever
  // for a writer in open(); O_NONBLOCK changes nothing for the regular files that are accepted.
  const { O_RDONLY, O_NONBLOCK } = fs.constants;
  let fd: number;
  try { fd = openSync(real, O_RDONLY | (O_NONBLOCK ?? 0)); } catch (e) {
    throw lcError('LC086', [what, `'${location}'`, `cannot be opened (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`]);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw lcError('LC086', [what, `'${location}'`, `is not a regular file (${st.isFIFO() ? 'a FIFO' : st.isDirectory() ? 'a directory' : 'a device or socket'})`]);
    const length = num('length') ?? Math.max(0, st.size - offset);
    if (offset > st.size || offset + length > st.size) throw lcError('LC087', [what, location, `offset ${offset} + length ${length} is beyond the end of the file (${st.size} bytes)`]);
    if (length !== declaredBytes) throw lcError('LC087', [what, location, `length ${length} does not match the ${declaredBytes} bytes its dims and data type need`]);
    const buf = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, offset + got);
      if (n === 0) throw lcError('LC087', [what, location, `file ended after ${offset + got} bytes`]);
      got += n;
    }
    t.rawData = buf;
  } finally { closeSync(fd); }
  t.dataLocation = P.TensorProto.DataLocation.DEFAULT;
  t.externalData = [];
}

function inside({ relative, sep, isAbsolute }: typeof import('node:path'), dir: string, path: string): boolean {
  const r = relative(dir, path);
  return r !== '' && !r.startsWith('..' + sep) && r !== '..' && !isAbsolute(r);
}
