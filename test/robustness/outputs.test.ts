// No command overwrites one of its own inputs (LC005, even with --force, also through a symlink), and an
// existing output is replaced only with --force (LC004). One case per command that writes files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importOnnx } from '../../src/frontend/onnx.ts';
import { encodeNpy } from '../../src/io/npy.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { MODELS, NODE_TESTS, REPO_ROOT } from '../fixtures.ts';
import { runCli } from './helpers/cli.ts';

let d: string;
const p = (f: string) => join(d, f);
const sha = (f: string) => readFileSync(p(f)).toString('base64');

beforeAll(() => {
  d = mkdtempSync(join(tmpdir(), 'layerc-out-'));
  copyFileSync(join(MODELS, 'mlp_bn/model.onnx'), p('model.onnx'));
  copyFileSync(join(NODE_TESTS, 'test_relu/model.onnx'), p('relu.onnx'));
  copyFileSync(join(REPO_ROOT, 'examples/mlp_bn.layers'), p('mlp.layers'));
  writeFileSync(p('y.npy'), encodeNpy(new Tensor('float32', [3, 4, 5], new Float32Array(60).fill(-1))));
  writeFileSync(p('X.npy'), encodeNpy(new Tensor('float32', [8, 2], new Float32Array(16).fill(0.5))));
  writeFileSync(p('t.npy'), encodeNpy(new Tensor('float32', [8, 1], new Float32Array(8).fill(1))));
  symlinkSync(p('model.onnx'), p('alias.svg'));
});
afterAll(() => rmSync(d, { recursive: true, force: true }));

async function refused(args: string[], code: string, untouched: string): Promise<void> {
  const before = sha(untouched);
  const r = await runCli(args);
  expect(r.stderr).toContain(`error[${code}]`);
  expect(r.status).toBe(3);
  expect(sha(untouched), `${untouched} is unchanged`).toBe(before);
}

describe('outputs never overwrite inputs; existing outputs need --force', () => {
  it('optimize', async () => {
    await refused(['optimize', p('model.onnx'), '-O0', '-o', p('model.onnx'), '--force'], 'LC005', 'model.onnx');
    writeFileSync(p('taken.onnx'), 'old');
    await refused(['optimize', p('model.onnx'), '-O0', '-o', p('taken.onnx')], 'LC004', 'taken.onnx');
    expect((await runCli(['optimize', p('model.onnx'), '-O0', '-o', p('taken.onnx'), '--force'])).status).toBe(0);
    expect(importOnnx(readFileSync(p('taken.onnx'))).nodes.length).toBeGreaterThan(0); // replaced by a real model
  });
  it('export', async () => {
    await refused(['export', p('model.onnx'), '--no-fold', '-o', p('model.onnx'), '--force'], 'LC005', 'model.onnx');
    writeFileSync(p('e.onnx'), 'old');
    await refused(['export', p('model.onnx'), '--no-fold', '-o', p('e.onnx')], 'LC004', 'e.onnx');
  });
  it('viz, through a symlink to the input', async () => {
    await refused(['viz', p('model.onnx'), '-O0', '-o', p('alias.svg'), '--force'], 'LC005', 'model.onnx');
  });
  it('run --output-dir: an output file that is one of the --input files', async () => {
    await refused(['run', p('relu.onnx'), '--input', `x=${p('y.npy')}`, '--output-dir', d, '--force'], 'LC005', 'y.npy');
  });
  it('compile into a directory that already holds its files', async () => {
    const out = p('compiled');
    mkdirSync(out);
    writeFileSync(join(out, 'model.mjs'), 'old');
    const r = await runCli(['compile', p('relu.onnx'), '--target', 'js', '-o', out]);
    expect(r.stderr).toContain('error[LC004]');
    expect(readFileSync(join(out, 'model.mjs'), 'utf8')).toBe('old');
  });
  it('train: --log/--plot/--checkpoint onto the model or the data -> LC005 before training; an existing checkpoint needs --force', async () => {
    const base = ['train', p('mlp.layers'), '--data', `${p('X.npy')},${p('t.npy')}`, '--loss', 'mse', '--optimizer', 'sgd', '--lr', '0.1', '--steps', '1', '--batch', '8'];
    await refused([...base, '--checkpoint', p('ck.safetensors'), '--log', p('X.npy')], 'LC005', 'X.npy');
    await refused([...base, '--checkpoint', p('mlp.layers'), '--force'], 'LC005', 'mlp.layers');
    await refused([...base, '--checkpoint', p('ck.safetensors'), '--plot', p('t.npy'), '--force'], 'LC005', 't.npy');
    writeFileSync(p('old.safetensors'), 'old');
    await refused([...base, '--checkpoint', p('old.safetensors')], 'LC004', 'old.safetensors');
  });
});
