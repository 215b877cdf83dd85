// `.layers` files through the command line, in process (src/cli.ts main): `layerc export m.layers -o m.onnx`
// writes a model onnxruntime-node runs with our reference interpreter's outputs (per example); `inspect --graph`
// shows each node's source position, also after -O2 passes; `run --weights` loads a safetensors checkpoint by
// name and reproduces the PyTorch fixture; `--seed` changes the initialization and nothing else.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { main } from '../../src/cli.ts';
import { compileDslFile } from '../../src/frontend/dsl.ts';
import { loadOnnxFile } from '../../src/frontend/onnx.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { readTensorFile, writeTensorFile } from '../../src/io/tensor-file.ts';
import { saveCheckpoint } from '../../src/io/safetensors.ts';
import { optimize } from '../../passes/index.ts';
import { MODELS, REPO_ROOT } from '../fixtures.ts';
import { uniformTensor } from '../helpers/random.ts';

const EXAMPLES = join(REPO_ROOT, 'examples');
const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith('.layers')).sort();
const tmp = mkdtempSync(join(tmpdir(), 'layerc-dsl-cli-'));

/** Runs the CLI in this process; returns its exit code and what it printed. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out.push(a.join(' ')); });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err.push(String(s)); return true; });
  const code = await main(args);
  vi.restoreAllMocks();
  return { code, out: out.join('\n'), err: err.join('') };
}
afterEach(() => { vi.restoreAllMocks(); process.exitCode = undefined; });

const randomInput = (shape: number[], seed: number): Tensor => uniformTensor(shape, seed);

describe('layerc export EXAMPLE.layers -o OUT.onnx', () => {
  it.each(examples)('%s: onnxruntime-node runs the export with the reference outputs', async (f) => {
    const out = join(tmp, f.replace('.layers', '.onnx'));
    const r = await cli('export', join(EXAMPLES, f), '-o', out, '--force', '--seed', '3');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // The reference: the un-optimized DSL graph, same init seed, on our interpreter.
    const g = compileDslFile(join(EXAMPLES, f), { seed: 3 });
    const x = g.inputs[0];
    const shape = x.type.shape!.map((d) => (typeof d === 'number' ? d : 3));
    const input = randomInput(shape, 5);
    const ours = runGraph(g, { [x.name]: input });
    const session = await ort.InferenceSession.create(readFileSync(out));
    expect([...session.outputNames]).toEqual(g.outputs.map((v) => v.name));
    const theirs = await session.run({ [x.name]: new ort.Tensor('float32', input.data as Float32Array, shape) });
    for (const o of g.outputs) {
      const a = ours[o.name], b = theirs[o.name].data as Float32Array;
      expect(theirs[o.name].dims.map(Number)).toEqual(a.shape);
      for (let i = 0; i < a.size; i++) expect(Math.abs(a.data[i] - b[i]), `${o.name}[${i}]`).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(a.data[i]));
    }
  });
});

describe('source spans', () => {
  it('inspect --graph shows file:line:column per node', async () => {
    const r = await cli('inspect', join(EXAMPLES, 'lenet_bn.layers'), '--graph');
    expect(r.code).toBe(0);
    // conv2d(6, ...) is on line 3, column 12 of examples/lenet_bn.layers; dense(10) at line 6, column 49.
    expect(r.out).toMatch(/= Conv\(%x, .*# conv1 {2}@ .*lenet_bn\.layers:3:12$/m);
    expect(r.out).toMatch(/= Gemm\(.*# dense3 {2}@ .*lenet_bn\.layers:6:49$/m);
  });

  it.each(examples)('%s: every node still has a span after -O2 (BN folded, epilogues fused)', (f) => {
    const g = compileDslFile(join(EXAMPLES, f));
    const lines = readFileSync(join(EXAMPLES, f), 'utf8').split('\n').length;
    optimize(g, { level: 2 });
    expect(g.nodes.some((n) => n.domain === 'ai.layerc')).toBe(true); // the passes did rewrite it
    for (const n of g.nodes) {
      expect(n.span, n.name).toBeDefined();
      expect(n.span!.line, n.name).toBeGreaterThan(0);
      expect(n.span!.line, n.name).toBeLessThanOrEqual(lines);
    }
  });

  it('an error inside a node at run time names the DSL line of that layer (no stack trace)', async () => {
    // K is symbolic, so `x + z` passes the compile-time check; with K = 3 the Add cannot broadcast at run time.
    const model = join(tmp, 'late.layers');
    writeFileSync(model, 'model late(x: f32[N, 4], z: f32[N, K]) {\n  y = x |> relu\n  return y + z\n}\n');
    const [x, z] = [join(tmp, 'x.npy'), join(tmp, 'z.npy')];
    writeTensorFile(x, Tensor.zeros('float32', [2, 4]), 'x', { force: true });
    writeTensorFile(z, Tensor.zeros('float32', [2, 3]), 'z', { force: true });
    const r = await cli('run', model, '--input', `x=${x}`, '--input', `z=${z}`);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/error\[LC032\]/);
    expect(r.err).toContain('late.layers:3:10');
    expect(r.err).toContain('  return y + z');
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});

describe('DSL errors on the command line', () => {
  it('inspect of a broken .layers prints code, file:line:column, the line and a caret; exit status 6', async () => {
    const model = join(tmp, 'typo.layers');
    writeFileSync(model, 'model m(x: f32[N, 4]) {\n  y = x |> dense(3) |> rellu\n  return y\n}\n');
    const r = await cli('inspect', model);
    expect(r.code).toBe(6);
    expect(r.err).toContain("error[LC041]: unknown layer or block 'rellu' (did you mean 'relu'?)");
    expect(r.err).toContain('typo.layers:2:24');
    expect(r.err).toContain(' 2 |   y = x |> dense(3) |> rellu');
    expect(r.err).toMatch(/\| {24}\^{5}\n/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});

describe('weights and seed on the command line', () => {
  const fixture = join(MODELS, 'lenet_bn');
  const input = join(fixture, 'test_data_set_0/input_0.pb');
  const tol = JSON.parse(readFileSync(join(fixture, 'case.json'), 'utf8')).tolerance as { rtol: number; atol: number };
  const expectFixtureOutput = (file: string) => {
    const got = readTensorFile(file), want = readTensorFile(join(fixture, 'test_data_set_0/output_0.pb'));
    expect(got.shape).toEqual(want.shape);
    for (let i = 0; i < want.size; i++) expect(Math.abs(got.data[i] - want.data[i])).toBeLessThanOrEqual(tol.atol + tol.rtol * Math.abs(want.data[i]));
  };

  it('run --weights FIXTURE.onnx --sequential net reproduces the fixture output', async () => {
    const dir = mkdtempSync(join(tmp, 'onnxw-'));
    const r = await cli('run', join(EXAMPLES, 'lenet_bn.layers'), '--weights', join(fixture, 'model.onnx'), '--sequential', 'net', '--input', `x=${input}`, '--output-dir', dir);
    expect(r.err).toBe('');
    expectFixtureOutput(join(dir, 'y.pb'));
  });

  it('run --weights CHECKPOINT.safetensors (layerc state names) reproduces the fixture output', async () => {
    // A checkpoint as `layerc train` writes it: tensors under the DSL's own names (conv1.weight, bn1.running_mean, ...).
    const g = compileDslFile(join(EXAMPLES, 'lenet_bn.layers'), { weights: loadOnnxFile(join(fixture, 'model.onnx')), sequential: 'net' });
    const ck = join(tmp, 'lenet.safetensors');
    saveCheckpoint(ck, { tensors: new Map(g.initializers.map((v) => [v.name, v.const!])), metadata: { model: 'examples/lenet_bn.layers' } }, { force: true });
    const dir = mkdtempSync(join(tmp, 'ckw-'));
    const r = await cli('run', join(EXAMPLES, 'lenet_bn.layers'), '--weights', ck, '--input', `x=${input}`, '--output-dir', dir);
    expect(r.err).toBe('');
    expectFixtureOutput(join(dir, 'y.pb'));
  });

  it('--weights whose names match nothing is LC071 (missing state, unused tensors), not a silent seeded model', async () => {
    const r = await cli('inspect', join(EXAMPLES, 'lenet_bn.layers'), '--weights', join(fixture, 'model.onnx'));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('LC071');
  });

  it('--seed selects the initialization: same seed same output, other seed different', async () => {
    const outFor = async (seed: string) => {
      const dir = mkdtempSync(join(tmp, `seed${seed}-`));
      expect((await cli('run', join(EXAMPLES, 'lenet_bn.layers'), '-O0', '--seed', seed, '--input', `x=${input}`, '--output-dir', dir)).code).toBe(0); // -O0: compared bit for bit with the unoptimized graph below
      return Array.from(readTensorFile(join(dir, 'y.pb')).data);
    };
    const [a, b, c] = [await outFor('1'), await outFor('1'), await outFor('2')];
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    // and it is the DSL's seeded init: the same as compiling with { seed: 1 }
    const ref = runGraph(compileDslFile(join(EXAMPLES, 'lenet_bn.layers'), { seed: 1 }), { x: readTensorFile(input) }).y;
    expect(a).toEqual(Array.from(ref.data));
  });
});
