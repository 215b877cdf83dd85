// ONNX external data: refused by default (LC013); with allowExternalData the location must resolve, after
// symlinks, inside the model's directory (LC086) and offset/length must fit the file and the tensor (LC087).
// The valid case is checked against onnxruntime-node, which reads the same external file independently.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import * as ort from 'onnxruntime-node';
import fc from 'fast-check';
import { importOnnx, loadOnnxFile } from '../../src/frontend/onnx.ts';
import { LayercError } from '../../src/diagnostics.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { model, vi } from '../onnx/build.ts';
import { REPO_ROOT } from '../fixtures.ts';

let root: string, dir: string;
const W = new Float32Array([0.5, -1, 2, 3, -4, 0.25]);

/** y = x + w, with w (2x3 float32) stored externally at `location`. */
function write(name: string, location: string, extra: Record<string, string> = {}): string {
  const externalData = [{ key: 'location', value: location }, ...Object.entries(extra).map(([key, value]) => ({ key, value }))];
  const bytes = model([{ opType: 'Add', name: 'add', input: ['x', 'w'], output: ['y'] }],
    { initializer: [{ name: 'w', dataType: 1, dims: [2, 3], dataLocation: 1, externalData }] });
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}
function errorOf(f: () => unknown): LayercError {
  try { f(); } catch (e) { expect(e).toBeInstanceOf(LayercError); return e as LayercError; }
  throw new Error('loaded');
}
const allow = (p: string) => () => loadOnnxFile(p, { allowExternalData: true });

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'layerc-ext-'));
  dir = join(root, 'model');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'w.bin'), new Uint8Array(W.buffer));
  // Same weights at offset 16 inside a bigger file, in a subdirectory.
  const packed = new Uint8Array(16 + 24 + 8);
  packed.set(new Uint8Array(W.buffer), 16);
  writeFileSync(join(dir, 'sub', 'packed.bin'), packed);
  writeFileSync(join(root, 'secret.bin'), new Uint8Array(24));
  symlinkSync(join(root, 'secret.bin'), join(dir, 'link.bin'));
  symlinkSync(join(dir, 'w.bin'), join(dir, 'inner-link.bin'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('external data', () => {
  it('is refused by default with LC013 naming the tensor and the flag', () => {
    const e = errorOf(() => loadOnnxFile(write('m.onnx', 'w.bin')));
    expect(e.code).toBe('LC013');
    expect(e.message).toContain("tensor w");
    expect(e.message).toContain('--allow-external-data');
  });
  it('with --allow-external-data a valid model loads and computes what onnxruntime computes', async () => {
    for (const [file, loc, extra] of [['ok.onnx', 'w.bin', {}], ['off.onnx', 'sub/packed.bin', { offset: '16', length: '24' }], ['il.onnx', 'inner-link.bin', {}]] as const) {
      const path = write(file, loc, extra);
      const g = loadOnnxFile(path, { allowExternalData: true });
      const x = new Float32Array([1, 2, 3, 4, 5, 6]);
      const ours = runGraph(g, { x: new Tensor('float32', [2, 3], x) }).y.data;
      const sess = await ort.InferenceSession.create(path);
      const theirs = (await sess.run({ x: new ort.Tensor('float32', x, [2, 3]) })).y.data as Float32Array;
      expect(Array.from(ours)).toEqual(Array.from(theirs));
    }
  });
  it('path traversal ../../etc/passwd -> LC086', () => {
    const e = errorOf(allow(write('t.onnx', '../../etc/passwd')));
    expect(e.code).toBe('LC086');
    expect(e.message).toMatch(/outside the model directory/);
  });
  it('traversal to a file that does not exist is still named as traversal', () => {
    expect(errorOf(allow(write('t2.onnx', '../nope/../../x.bin'))).message).toMatch(/outside the model directory/);
  });
  it('absolute paths -> LC086', () => {
    expect(errorOf(allow(write('a.onnx', '/etc/passwd'))).message).toMatch(/absolute path/);
    expect(errorOf(allow(write('a2.onnx', join(dir, 'w.bin')))).code).toBe('LC086');
  });
  it('a symlink inside the directory pointing outside -> LC086', () => {
    const e = errorOf(allow(write('s.onnx', 'link.bin')));
    expect(e.code).toBe('LC086');
    expect(e.message).toMatch(/after symlinks/);
  });
  it('imported from bytes: no file, or a file name whose directory does not exist -> LC086', () => {
    const bytes = readFileSync(write('bytes.onnx', 'w.bin'));
    expect(errorOf(() => importOnnx(bytes, { allowExternalData: true })).message).toMatch(/not loaded from a file/);
    expect(errorOf(() => importOnnx(bytes, { allowExternalData: true, file: join(root, 'nowhere', 'm.onnx') })).code).toBe('LC086');
  });
  it('a missing file or a directory -> LC086', () => {
    expect(errorOf(allow(write('m2.onnx', 'missing.bin'))).message).toMatch(/cannot be opened \(ENOENT\)/);
    expect(errorOf(allow(write('d.onnx', 'sub'))).message).toMatch(/not a regular file/);
  });
  it('a FIFO inside the model directory is refused at once (non-blocking open + fstat), not waited on forever', () => {
    expect(spawnSync('mkfifo', [join(dir, 'pipe.bin')]).status).toBe(0);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test/robustness/helpers/load-model.ts'), write('fifo.onnx', 'pipe.bin')],
      { encoding: 'utf8', timeout: 20_000 });
    expect(r.signal, 'the import blocked on the FIFO').toBeNull();
    expect(r.stdout).toMatch(/^LC086 .*'pipe.bin' is not a regular file \(a FIFO\)/);
    expect(Date.now() - t0).toBeLessThan(20_000);
  }, 30_000);
  it('offset beyond EOF, length beyond EOF, length not matching dims -> LC087', () => {
    expect(errorOf(allow(write('o1.onnx', 'w.bin', { offset: '1000' }))).code).toBe('LC087');
    expect(errorOf(allow(write('o2.onnx', 'sub/packed.bin', { offset: '40', length: '24' }))).message).toMatch(/beyond the end of the file \(48 bytes\)/);
    expect(errorOf(allow(write('o3.onnx', 'w.bin', { length: '12' }))).message).toMatch(/does not match the 24 bytes/);
    expect(errorOf(allow(write('o4.onnx', 'w.bin', { offset: '-4' }))).code).toBe('LC087');
  });
  it('property: any location/offset/length either loads the right bytes from inside the directory or is refused', () => {
    const part = fc.constantFrom('..', '.', 'sub', 'w.bin', 'packed.bin', 'link.bin', 'inner-link.bin', '', 'etc', 'passwd', '%2e%2e', '..\\..', '~', 'model', 'w.bin\u0000x');
    const num = fc.oneof(fc.constantFrom('0', '16', '24', '-1', '1e3', '0x10', '99999999999999999999', ''), fc.nat({ max: 64 }).map(String));
    fc.assert(fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), fc.boolean(), fc.option(num), fc.option(num), (parts, abs, offset, length) => {
      const location = (abs ? '/' : '') + parts.join('/');
      const extra: Record<string, string> = {};
      if (offset !== null) extra.offset = offset;
      if (length !== null) extra.length = length;
      const path = write('prop.onnx', location, extra);
      try {
        const g = loadOnnxFile(path, { allowExternalData: true });
        // Loaded: only possible for the real weights, so the values are W exactly.
        expect(Array.from(g.initializers[0].const!.data)).toEqual(Array.from(W));
      } catch (e) {
        expect(e).toBeInstanceOf(LayercError);
        expect(['LC086', 'LC087']).toContain((e as LayercError).code);
      }
    }), { numRuns: 150, seed: 11 });
  });
  it('the CLI flag: `layerc inspect` refuses, `--allow-external-data` loads, traversal still refused', () => {
    const path = write('cli.onnx', 'w.bin');
    const cli = (...a: string[]) => spawnSync(process.execPath, [join(REPO_ROOT, 'bin/layerc.js'), ...a], { encoding: 'utf8', env: { ...process.env, LAYERC_ALLOW_EXTERNAL_DATA: '' } });
    const refused = cli('inspect', path);
    expect(refused.stderr).toContain('error[LC013]');
    expect(refused.status).toBe(4);
    const ok = cli('inspect', path, '--allow-external-data');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('parameters: 6');
    const bad = cli('--allow-external-data', 'inspect', write('cli2.onnx', '../../etc/passwd'));
    expect(bad.stderr).toContain('error[LC086]');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(bad.status).toBe(10);
  });
});
