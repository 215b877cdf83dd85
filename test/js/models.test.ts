// Whole models on the js backend against the fixtures' expected outputs (made with PyTorch, checked with
// onnxruntime): in-process at 1 and 2 threads, and through `layerc compile --target js` (the emitted
// module imported and run on its own, without layerc).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MODELS } from '../fixtures.ts';
import { loadModel } from '../../src/frontend/load.ts';
import { readTensorFile } from '../../src/io/tensor-file.ts';
import { Graph } from '../../src/ir/graph.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { emitModule } from '../../runtime/js/emit-module.ts';
import { compileModel } from '../../src/cli/compile.ts';
import { compileJsLowered, toleranceRatio } from './graphs.ts';
import { Tensor } from '../../src/ir/tensor.ts';

function fixture(name: string) {
  const dir = join(MODELS, name);
  const tol = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')).tolerance ?? {};
  return { path: join(dir, 'model.onnx'), input: readTensorFile(join(dir, 'test_data_set_0', 'input_0.pb')),
    expected: readTensorFile(join(dir, 'test_data_set_0', 'output_0.pb')), atol: tol.atol ?? 1e-4, rtol: tol.rtol ?? 1e-3 };
}

describe('fixture models on the js backend', () => {
  for (const name of ['lenet_bn', 'mlp_bn', 'squeezenet1_1']) {
    it(`${name} matches the expected output at 1 and 2 threads`, async () => {
      const f = fixture(name);
      const g = await loadModel(f.path);
      for (const threads of [1, 2]) {
        const m = await compileJsLowered(g, { threads });
        const out = await m.run({ [g.inputs[0]!.name]: f.input });
        await m.dispose();
        expect(toleranceRatio(out[g.outputs[0]!.name]!, f.expected, f.atol, f.rtol)).toBeLessThanOrEqual(1);
      }
    });
  }
});

describe('layerc compile --target js', () => {
  it('writes a module that loads and runs on its own (lenet_bn, squeezenet1_1 with 2 threads)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerc-compile-'));
    try {
      for (const [name, threads] of [['lenet_bn', 1], ['squeezenet1_1', 2]] as const) {
        const f = fixture(name);
        const files = await compileModel(f.path, { target: 'js', output: join(dir, name), optLevel: 0, threads, batch: 1 });
        expect(files.map((p) => p.slice(dir.length + name.length + 2)).sort()).toEqual(['model.mjs', 'model.wasm', 'plan.json', 'weights.bin']);
        const mod = await import(pathToFileURL(join(dir, name, 'model.mjs')).href);
        const m = await mod.load();
        const out = await m.run({ [mod.layout.inputs[0].name]: f.input.data });
        await m.dispose();
        const got = { shape: f.expected.shape, size: f.expected.size, data: out[mod.layout.outputs[0].name] } as unknown as Tensor;
        expect(toleranceRatio(got, f.expected, f.atol, f.rtol)).toBeLessThanOrEqual(1);
        const plan = JSON.parse(readFileSync(join(dir, name, 'plan.json'), 'utf8'));
        expect(plan.peakBytes).toBeGreaterThanOrEqual(plan.lowerBound);
      }
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('refuses a graph with a node it has no kernel for (LC075), naming the op', () => {
    const g = new Graph('t');
    const x = g.addInput('x', { dtype: 'float32', shape: [2, 3] });
    g.outputs = [g.addNode('Tile', [x, g.addConst('repeats', Tensor.fromArray('int64', [2], [2, 1]))]).outputs[0]!];
    inferShapes(g);
    expect(() => emitModule(g)).toThrow(expect.objectContaining({ code: 'LC075', message: expect.stringContaining('Tile') }));
  });

  it('an unknown target is a usage error with a suggestion', async () => {
    await expect(compileModel('x.onnx', { target: 'jss', output: '/tmp/none', optLevel: 0, batch: 1 })).rejects.toMatchObject({ code: 'LC002', message: expect.stringContaining("did you mean 'js'") });
  });
});
