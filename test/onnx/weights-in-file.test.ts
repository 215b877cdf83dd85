// loadOnnxFile leaves a large file's float32 payloads of 64 KiB or more in the file (src/frontend/onnx-hollow.ts
// `leave`, src/io/file-bytes.ts): such a tensor reads its bytes when its data is first read, and the js backend's
// Winograd packer reads them straight into its staging area. Checked here: which tensors are left (large float32
// only; a large int64 is read at import, a small float32 too), every value bit for bit as importOnnx of the same
// bytes, a compiled conv + BatchNorm whose weight is never read into an array and whose outputs equal the program of
// the bytes' import bit for bit; the file renamed over or removed after the load still read (the load's descriptor is
// kept), a file changed in place reported as LC003 naming the file (when a weight is read, and from a compile), and
// past MAX_OPEN loaded files, one opened again by its path only if it is still the same file.
import { afterAll, describe, expect, it } from 'vitest';
import onnx from 'onnx-proto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importOnnx, loadOnnxFile } from '../../src/frontend/onnx.ts';
import { byteSourceOf, isDeferred, Tensor } from '../../src/ir/tensor.ts';
import type { Graph } from '../../src/ir/graph.ts';
import { optimize } from '../../passes/index.ts';
import { compileFor } from '../../src/compile-for.ts';
import { lcg } from '../helpers/random.ts';
import { MAX_OPEN } from '../../src/io/file-bytes.ts';

const P = onnx.onnx;
const T = P.TensorProto.DataType;
const dir = mkdtempSync(join(tmpdir(), 'layerc-in-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const f32 = (name: string, dims: number[], rnd: () => number) =>
  ({ name, dims, dataType: T.FLOAT, rawData: new Uint8Array(Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rnd() * 2 - 1).buffer) });

/** Conv 3x3 (64 -> 64, a 147 KB weight) + BatchNormalization + Relu, a 1.2 MB float32 and a 80 KB int64 initializer
 *  beside it (unused, imported all the same): a file over the 1 MiB from which loadOnnxFile reads it apart. */
function model(seed: number): Uint8Array {
  const rnd = lcg(seed), C = 64;
  const int64 = { name: 'ints', dims: [10_000], dataType: T.INT64, rawData: new Uint8Array(BigInt64Array.from({ length: 10_000 }, (_, i) => BigInt(i * 7 - 3)).buffer) };
  const vi = (name: string, shape: number[]) => ({ name, type: { tensorType: { elemType: T.FLOAT, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } });
  return P.ModelProto.encode({
    irVersion: 8, opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      initializer: [f32('w', [C, C, 3, 3], rnd), f32('gamma', [C], rnd), f32('beta', [C], rnd), f32('mean', [C], rnd),
        { ...f32('var', [C], rnd), rawData: new Uint8Array(Float32Array.from({ length: C }, () => 0.5 + rnd()).buffer) },
        f32('big', [300_000], rnd), f32('small', [1000], rnd), int64],
      node: [
        { opType: 'Conv', input: ['x', 'w'], output: ['c'], attribute: [{ name: 'pads', type: P.AttributeProto.AttributeType.INTS, ints: [1, 1, 1, 1] }] },
        { opType: 'BatchNormalization', input: ['c', 'gamma', 'beta', 'mean', 'var'], output: ['b'] },
        { opType: 'Relu', input: ['b'], output: ['y'] }],
      input: [vi('x', [1, C, 12, 12])],
      output: [vi('y', [1, C, 12, 12])],
    },
  }).finish();
}

const constOf = (g: Graph, name: string) => [...g.initializers].find((v) => v.name === name)!.const!;
const bits = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64');

describe('large float32 weights left in the model file until needed', () => {
  it('leaves the large float32 payloads (only those) and reads every value as importOnnx does', () => {
    const bytes = model(1), path = join(dir, 'm.onnx');
    writeFileSync(path, bytes);
    const g = loadOnnxFile(path), ref = importOnnx(bytes);
    for (const name of ['w', 'big']) expect([name, isDeferred(constOf(g, name)), !!byteSourceOf(constOf(g, name))]).toEqual([name, true, true]);
    for (const name of ['small', 'ints', 'gamma']) expect([name, isDeferred(constOf(g, name))]).toEqual([name, false]);
    for (const name of ['w', 'big', 'small', 'ints', 'gamma', 'var']) expect([name, bits(constOf(g, name))]).toEqual([name, bits(constOf(ref, name))]);
  });

  it('compiles for js with the conv weight read straight into the Winograd staging: the outputs of the bytes\' import, bit for bit', async () => {
    const bytes = model(2), path = join(dir, 'c.onnx');
    writeFileSync(path, bytes);
    const x = Tensor.fromArray('float32', [1, 64, 12, 12], Array.from({ length: 64 * 144 }, (_, i) => Math.sin(i)));
    const run = async (g: Graph) => {
      optimize(g, { level: 2 });
      const m = await compileFor('js', g, { threads: 1, winogradTile: 4 });
      try { return Array.from((await m.run({ x })).y!.data as Float32Array); } finally { await m.dispose(); }
    };
    const g = loadOnnxFile(path), w = constOf(g, 'w');
    const got = await run(g), want = await run(importOnnx(bytes));
    expect(got.every((v, i) => Object.is(v, want[i]))).toBe(true);
    expect(isDeferred(w)).toBe(true); // never read into an array of its own
  });

  it('the file renamed over or removed after the load: the loaded bytes all the same (the load\'s descriptor is kept)', async () => {
    for (const change of [(p: string) => { writeFileSync(`${p}.new`, model(4)); renameSync(`${p}.new`, p); }, (p: string) => rmSync(p)]) {
      const path = join(dir, 'kept.onnx'), bytes = model(3);
      writeFileSync(path, bytes);
      const g = loadOnnxFile(path);
      change(path);
      expect(bits(constOf(g, 'big'))).toEqual(bits(constOf(importOnnx(bytes), 'big')));
    }
  });

  it('the file changed in place after the load: LC003 naming the file, on reading a weight and from a compile', async () => {
    const path = join(dir, 'x.onnx');
    writeFileSync(path, model(3));
    const g = loadOnnxFile(path), g2 = loadOnnxFile(path);
    optimize(g2, { level: 2 });
    await new Promise((r) => setTimeout(r, 20)); // a later modification time
    writeFileSync(path, model(4)); // same size, other bytes
    let err: { code?: string; message?: string } = {};
    try { void constOf(g, 'big').data; } catch (e) { err = e as typeof err; }
    expect([err.code, err.message?.includes(path)]).toEqual(['LC003', true]);
    await expect(compileFor('js', g2, { threads: 1 })).rejects.toMatchObject({ code: 'LC003' });
  });

  it(`past ${MAX_OPEN} files loaded, the least recently read is opened again by path and must be the same file`, () => {
    const paths = Array.from({ length: MAX_OPEN + 2 }, (_, i) => join(dir, `many${i}.onnx`));
    for (const p of paths) writeFileSync(p, model(5));
    const graphs = paths.map((p) => loadOnnxFile(p)); // the first two descriptors are closed by now
    writeFileSync(`${paths[0]}.new`, model(6));
    renameSync(`${paths[0]}.new`, paths[0]!); // the first replaced: no descriptor of the loaded file is left
    let err: { code?: string; message?: string } = {};
    try { void constOf(graphs[0]!, 'big').data; } catch (e) { err = e as typeof err; }
    expect([err.code, err.message?.includes('replaced')]).toEqual(['LC003', true]);
    expect(bits(constOf(graphs[1]!, 'big'))).toEqual(bits(constOf(importOnnx(model(5)), 'big'))); // reopened: the same file
    expect(bits(constOf(graphs.at(-1)!, 'big'))).toEqual(bits(constOf(importOnnx(model(5)), 'big')));
  });
});
