// `layerc compile --target wgsl`: the emitted directory (model.mjs + runner.mjs + plan.json + weights.bin +
// .wgsl kernels) is loaded by a plain Node process (no tsx, no layerc import) with npm webgpu, run on the
// fixture models' inputs, and must reproduce the expected outputs made by PyTorch (case tolerance).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../../src/cli/compile.ts';
import { readTensorFile } from '../../src/io/tensor-file.ts';
import { compare } from '../../src/cli/onnx-cases.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { MODELS, REPO_ROOT } from '../fixtures.ts';
import { hasAdapter } from './gpu.ts';

const SCRIPT = `
import { create, globals } from 'webgpu';
import { readFileSync } from 'node:fs';
Object.assign(globalThis, globals);
const [dir, feedsPath] = process.argv.slice(1);
const m = await import(dir + '/model.mjs');
const model = await m.load({ gpu: create([]) });
const feeds = Object.fromEntries(Object.entries(JSON.parse(readFileSync(feedsPath, 'utf8'))).map(([k, v]) => [k, Float32Array.from(v)]));
const out = await model.run(feeds);
console.log(JSON.stringify({ adapter: model.adapter, out: Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { shape: v.shape, data: Array.from(v.data) }])) }));
await model.dispose();
`;

describe.skipIf(!hasAdapter)('layerc compile --target wgsl', () => {
  for (const name of ['lenet_bn', 'mlp_bn']) {
    it(`${name}: the emitted module, run by plain node + webgpu, reproduces the fixture outputs`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `layerc-wgsl-${name}-`));
      try {
        const files = await compileModel(join(MODELS, name, 'model.onnx'), { target: 'wgsl', output: dir, optLevel: 2, batch: 1 });
        expect(files.map((f) => f.slice(dir.length + 1))).toEqual(expect.arrayContaining(['model.mjs', 'runner.mjs', 'plan.json', 'weights.bin', 'k000.wgsl']));
        expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
        const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as { inputs: { name: string }[]; outputs: { name: string }[] };
        const ds = join(MODELS, name, 'test_data_set_0');
        const input = readTensorFile(join(ds, 'input_0.pb'));
        const feedsPath = join(dir, 'feeds.json');
        const { writeFileSync } = await import('node:fs');
        writeFileSync(feedsPath, JSON.stringify({ [plan.inputs[0]!.name]: Array.from(input.data as Float32Array) }));
        const r = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT, dir, feedsPath], {
          cwd: REPO_ROOT, encoding: 'utf8', timeout: 90_000, env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir() },
        });
        expect(r.status, r.stderr).toBe(0);
        const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as { adapter: string; out: Record<string, { shape: number[]; data: number[] }> };
        const o = res.out[plan.outputs[0]!.name]!;
        const want = readTensorFile(join(ds, 'output_0.pb'));
        const tol = (JSON.parse(readFileSync(join(MODELS, name, 'case.json'), 'utf8')) as { tolerance: { rtol: number; atol: number } }).tolerance;
        const c = compare(new Tensor('float32', o.shape, Float32Array.from(o.data)), want, tol);
        expect(c.ok, `max abs err ${c.maxAbsErr} on ${res.adapter}`).toBe(true);
      } finally { rmSync(dir, { recursive: true, force: true }); }
    }, 120_000);
  }

  it('a model with an op that has no WGSL kernel is LC075 naming the node (no host fallback in emitted modules)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerc-wgsl-bad-'));
    try {
      const { Graph } = await import('../../src/ir/graph.ts');
      const { emitModule } = await import('../../runtime/wgsl/emit-module.ts');
      const { inferShapes } = await import('../../src/ir/infer.ts');
      const g = new Graph('hm');
      const x = g.addInput('x', { dtype: 'float32', shape: [2, 3] });
      g.outputs.push(g.addNode('Hardmax', [x], {}, { name: 'hm0' }).outputs[0]!);
      inferShapes(g);
      expect(() => emitModule(g)).toThrow(expect.objectContaining({ code: 'LC075', message: expect.stringContaining('hm0') }));
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});
