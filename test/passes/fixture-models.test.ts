// The optimizer on the fixture models (made with PyTorch, never by layerc): after -O2 no BatchNormalization is
// left where folding is possible, the reference run of the optimized graph matches the fixture's expected
// outputs (the case's own tolerance), and the exported ONNX runs in onnxruntime-node with the same outputs.
// Also `layerc optimize` end to end: report text, ORT on IN vs OUT, refusing to overwrite.
import { describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOnnxFile } from '../../src/frontend/onnx.ts';
import { readTensorFile } from '../../src/io/tensor-file.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { exportOnnx } from '../../src/export/onnx.ts';
import type { Tensor } from '../../src/ir/tensor.ts';
import { loadModel } from '../../src/frontend/load.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { Tensor as T } from '../../src/ir/tensor.ts';
import { optimize } from '../../passes/index.ts';
import { formatReport } from '../../passes/pass.ts';
import { main } from '../../src/cli.ts';
import { MODELS, REPO_ROOT } from '../fixtures.ts';
import { runOrtBytes } from './graphs.ts';
import { lcg, maxDiff } from '../helpers/random.ts';

interface Case { dir: string; name: string; training: boolean; tol: { rtol: number; atol: number } }

const CASES: Case[] = ['lenet_bn', 'mlp_bn', 'mlp_train_sgd', 'squeezenet1_1', 'bn_train_step_mlp_bn'].map((name) => {
  const meta = JSON.parse(readFileSync(join(MODELS, name, 'case.json'), 'utf8')) as { mode: string; tolerance: { rtol: number; atol: number } };
  return { dir: join(MODELS, name), name, training: meta.mode === 'training', tol: meta.tolerance };
});

function dataSet(dir: string, inputNames: string[]): { feeds: Record<string, Tensor>; expected: Tensor[] } {
  const ds = join(dir, 'test_data_set_0');
  const files = readdirSync(ds).sort();
  const feeds = Object.fromEntries(inputNames.map((n, i) => [n, readTensorFile(join(ds, `input_${i}.pb`))]));
  return { feeds, expected: files.filter((f) => f.startsWith('output_')).map((f) => readTensorFile(join(ds, f))) };
}

function expectClose(actual: Tensor, expected: Tensor, tol: Case['tol'], what: string): number {
  expect(actual.shape, what).toEqual(expected.shape);
  let worst = 0;
  for (let i = 0; i < expected.size; i++) {
    const d = Math.abs(actual.data[i]! - expected.data[i]!);
    worst = Math.max(worst, d);
    if (!(d <= tol.atol + tol.rtol * Math.abs(expected.data[i]!))) throw new Error(`${what}[${i}]: ${actual.data[i]} vs expected ${expected.data[i]}`);
  }
  return worst;
}

const count = (g: { nodes: { op: string }[] }, op: string) => g.nodes.filter((n) => n.op === op).length;

describe('optimizer on the fixture models', () => {
  for (const c of CASES) {
    it(`${c.name}: -O2 folds every foldable BN; reference and onnxruntime match the expected outputs`, async () => {
      const g = loadOnnxFile(join(c.dir, 'model.onnx'));
      const bnBefore = count(g, 'BatchNormalization'), nodesBefore = g.nodes.length;
      const { feeds, expected } = dataSet(c.dir, g.inputs.map((v) => v.name));
      const { reports } = optimize(g, { level: 2 });
      const report = formatReport(reports);
      if (c.training) {
        expect(count(g, 'BatchNormalization')).toBe(bnBefore); // batch statistics: nothing to fold
        expect(report).toContain(`${bnBefore} skipped (training-mode BatchNormalization)`);
      } else {
        expect(count(g, 'BatchNormalization')).toBe(0);
        expect(g.nodes.filter((n) => n.op === 'Mul' || n.op === 'Add')).toEqual([]); // no unfolded scale/shift either
      }
      const ref = runGraph(g, feeds);
      const ort = await runOrtBytes(exportOnnx(g), feeds);
      const errs = g.outputs.map((o, i) => [expectClose(ref[o.name]!, expected[i]!, c.tol, `${c.name} reference ${o.name}`),
        expectClose(ort[o.name]!, expected[i]!, c.tol, `${c.name} onnxruntime ${o.name}`)]);
      console.log(`${c.name}: BN ${bnBefore} -> ${count(g, 'BatchNormalization')}, nodes ${nodesBefore} -> ${g.nodes.length}, max |err| ref/ort ${errs.flat().map((e) => e.toExponential(1)).join('/')}\n${report}`);
    }, 60_000);
  }

  it('lenet_bn: the report names what was folded and fused', () => {
    const g = loadOnnxFile(join(MODELS, 'lenet_bn', 'model.onnx'));
    const report = formatReport(optimize(g, { level: 2 }).reports);
    expect(report).toContain('fold-batchnorm: 2 BatchNormalization folded into Conv, 2 BatchNormalization folded into Gemm');
    expect(report).toContain('fuse-epilogue: 2 Conv fused with its epilogue');
    expect(report).toMatch(/nodes: 16 -> 8$/);
  });
});

describe('optimizer on the example .layers models (DSL-compiled, seeded weights, running statistics as initialized)', () => {
  for (const name of ['lenet_bn', 'mlp_bn', 'mobilenet_block', 'resnet_mini']) {
    it(`${name}: -O2 leaves no BN; exported, onnxruntime matches the reference run of the original`, async () => {
      const g = await loadModel(join(REPO_ROOT, 'examples', `${name}.layers`));
      const after = cloneGraph(g);
      optimize(after, { level: 2 });
      expect(count(after, 'BatchNormalization')).toBe(0);
      expect(count(after, 'Fused')).toBeGreaterThan(0);
      const rnd = lcg(7);
      const feeds = Object.fromEntries(g.inputs.map((v) => {
        const shape = v.type.shape!.map((d) => (typeof d === 'number' ? d : 2));
        return [v.name, T.fromArray('float32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rnd() * 2 - 1))];
      }));
      const ref = runGraph(g, feeds);
      const scale = Math.max(1, ...Object.values(ref).flatMap((t) => Array.from(t.data, Math.abs)));
      // float32 re-association only (see test/passes/props.test.ts); 1e-5 relative to the largest output.
      expect(maxDiff(ref, runGraph(after, feeds))).toBeLessThan(1e-5 * scale);
      expect(maxDiff(ref, await runOrtBytes(exportOnnx(after), feeds))).toBeLessThan(1e-5 * scale);
    }, 60_000);
  }
});

describe('layerc optimize', () => {
  const cli = (...args: string[]) => spawnSync(join(REPO_ROOT, 'bin', 'layerc.js'), args, { encoding: 'utf8', cwd: REPO_ROOT });
  /** The same command in-process (a spawn costs seconds of tsx start-up): exit status and captured output. */
  const inProcess = async (...args: string[]) => {
    let stdout = '', stderr = '';
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { stdout += a.join(' ') + '\n'; });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { stderr += String(s); return true; });
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { stdout += String(s); return true; });
    try { return { status: await main(args), stdout, stderr }; } finally { log.mockRestore(); err.mockRestore(); out.mockRestore(); }
  };
  const IN = join(MODELS, 'lenet_bn', 'model.onnx');

  it('writes a standard-ONNX model that onnxruntime runs with the same outputs as the input model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerc-opt-'));
    const out = join(dir, 'lenet-opt.onnx');
    const r = cli('optimize', IN, '-o', out, '-O2', '--report');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('fold-batchnorm: 2 BatchNormalization folded into Conv, 2 BatchNormalization folded into Gemm');
    expect(r.stdout).toContain('nodes: 16 -> 8');
    const { feeds } = dataSet(join(MODELS, 'lenet_bn'), ['input']);
    const before = await runOrtBytes(readFileSync(IN), feeds), after = await runOrtBytes(readFileSync(out), feeds);
    expect(expectClose(after.output!, before.output!, { atol: 1e-5, rtol: 1e-4 }, 'ORT(OUT) vs ORT(IN)')).toBeLessThan(1e-5);
    // An existing output needs --force; the input is never overwritten.
    expect((await inProcess('optimize', IN, '-o', out)).stderr).toContain('LC004');
    expect((await inProcess('optimize', IN, '-o', out, '--force', '--passes', 'simplify-inference,fold-batchnorm')).status).toBe(0);
    expect((await inProcess('optimize', out, '-o', out, '--force')).stderr).toContain('LC005');
    expect(existsSync(out)).toBe(true);
  }, 60_000);

  it('--list-passes, an unknown pass (LC060), --help with an example', async () => {
    const list = await inProcess('optimize', '--list-passes');
    for (const p of ['simplify-inference', 'fold-batchnorm', 'fuse-epilogue', '-O2:']) expect(list.stdout).toContain(p);
    const bad = await inProcess('optimize', IN, '-o', join(tmpdir(), 'never.onnx'), '--passes', 'fold-bn');
    expect(bad.status).toBe(7);
    expect(bad.stderr).toContain('LC060');
    expect((await inProcess('optimize', '--help')).stdout).toContain('layerc optimize resnet.onnx -o resnet-opt.onnx -O2 --report');
  }, 60_000);
});
