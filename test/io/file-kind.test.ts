// Files are recognised by content, not by name: the checkpoint `layerc train --checkpoint ck.ckpt` writes is
// exported (and inspected) as a checkpoint; an ONNX model or a .layers model under another name still loads; a checkpoint given
// where a model is expected is LC006, a missing file LC003.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODELS, REPO_ROOT } from '../fixtures.ts';
import { runCli } from '../robustness/helpers/cli.ts';
import { fileKind } from '../../src/io/sniff.ts';
import { loadOnnxFile } from '../../src/frontend/onnx.ts';
import { loadModel } from '../../src/frontend/load.ts';
import { encodeCheckpoint } from '../../src/io/safetensors.ts';

const MLP = join(MODELS, 'mlp_train_sgd');
let dir: string;
// The renamed files every test reads, written before any of them (tests pass alone and in any order).
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'layerc-kind-'));
  copyFileSync(join(MLP, 'model.onnx'), join(dir, 'model.bin'));
  copyFileSync(join(REPO_ROOT, 'examples/mlp_bn.layers'), join(dir, 'model.txt'));
  writeFileSync(join(dir, 'weights.onnx'), encodeCheckpoint({ tensors: new Map(), metadata: {} }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('file kinds by content', () => {
  it('tells checkpoints, ONNX models and .layers text apart whatever their names', () => {
    expect(fileKind(join(dir, 'model.bin'))).toBe('onnx');
    expect(fileKind(join(dir, 'model.txt'))).toBe('layers');
    expect(fileKind(join(dir, 'weights.onnx'))).toBe('safetensors');
    expect(() => fileKind(join(dir, 'absent.onnx'))).toThrow(/LC003|cannot read/);
  });

  it('loadModel reads a renamed model and refuses a checkpoint as a model (LC006)', async () => {
    expect((await loadModel(join(dir, 'model.bin'))).nodes.length).toBe(loadOnnxFile(join(MLP, 'model.onnx')).nodes.length);
    expect((await loadModel(join(dir, 'model.txt'))).inputs.map((v) => v.name)).toEqual(['x']);
    await expect(loadModel(join(dir, 'weights.onnx'))).rejects.toMatchObject({ code: 'LC006' });
  });

  it('layerc export takes the checkpoint layerc train wrote to ck.ckpt', async () => {
    const ck = join(dir, 'ck.ckpt'), out = join(dir, 'trained.onnx');
    const data = `${join(MLP, 'reference/X.npy')},${join(MLP, 'reference/y.npy')}`;
    const train = await runCli(['train', join(MLP, 'model.onnx'), '--data', data, '--loss', 'mse', '--optimizer', 'sgd', '--lr', '0.05',
      '--batch', '1000', '--steps', '2', '--backend', 'reference', '--checkpoint', ck]);
    expect(train.stderr).toBe('');
    expect(train.status).toBe(0);
    const exp = await runCli(['export', ck, '-o', out]);
    expect(exp.stderr).toBe('');
    expect(exp.status).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(loadOnnxFile(out).nodes.some((n) => n.op === 'BatchNormalization')).toBe(false); // folded inference graph
    expect((await runCli(['inspect', ck])).status).toBe(0); // inspect describes a checkpoint
    const asModel = await runCli(['run', ck, '--input', `input=${join(MLP, 'reference/X.npy')}`]);
    expect(asModel.stderr).toContain('error[LC006]');
    expect(asModel.status).toBe(3);
  }, 60_000);
});
