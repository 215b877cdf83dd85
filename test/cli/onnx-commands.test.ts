// The CLI as users run it: test-onnx's output contract and exit code, run's output files, inspect's summary.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import onnx from 'onnx-proto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTensorFile } from '../../src/io/tensor-file.ts';
import { encodeTensorProto } from '../../src/io/tensorproto.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { NODE_TESTS, REPO_ROOT } from '../fixtures.ts';

const cli = (...args: string[]) => spawnSync(join(REPO_ROOT, 'bin', 'layerc.js'), args, { encoding: 'utf8', cwd: REPO_ROOT });

describe('layerc test-onnx / run / inspect', () => {
  it('test-onnx: PASS, FAIL and UNSUPPORTED lines, last line N passed, M failed, exit 1 on failure', () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerc-cases-'));
    cpSync(join(NODE_TESTS, 'test_relu'), join(dir, 'test_relu'), { recursive: true });
    cpSync(join(NODE_TESTS, 'test_relu'), join(dir, 'broken_relu'), { recursive: true });
    writeFileSync(join(dir, 'broken_relu', 'test_data_set_0', 'output_0.pb'), encodeTensorProto(Tensor.zeros('float32', [3, 4, 5])));
    // A model declaring a future opset (22) is refused with LC016: reported UNSUPPORTED, not FAIL.
    cpSync(join(NODE_TESTS, 'test_relu'), join(dir, 'new_opset'), { recursive: true });
    const m = onnx.onnx.ModelProto.decode(readFileSync(join(dir, 'new_opset', 'model.onnx')));
    m.opsetImport = [{ domain: '', version: 22 }];
    writeFileSync(join(dir, 'new_opset', 'model.onnx'), onnx.onnx.ModelProto.encode(m).finish());
    const r = cli('test-onnx', dir);
    const lines = r.stdout.trim().split('\n');
    expect(lines.find((l) => l.includes(' test_relu '))).toMatch(/^PASS/);
    expect(lines.find((l) => l.includes(' broken_relu '))).toMatch(/^FAIL.*max_abs_err=/);
    expect(lines.find((l) => l.includes(' new_opset '))).toMatch(/^UNSUPPORTED.*LC016/);
    expect(lines.at(-1)).toBe('1 passed, 1 failed');
    expect(lines.at(-2)).toBe('1 unsupported');
    expect(lines.at(-3)).toBe('fallbacks: 0'); // the reference backend runs everything itself
    expect(r.status).toBe(1);
    expect(cli('test-onnx', join(dir, 'test_relu')).status).toBe(0);
  });
  it('run writes outputs in the inputs\' format and they match the expected output', () => {
    const out = mkdtempSync(join(tmpdir(), 'layerc-run-'));
    const c = join(NODE_TESTS, 'test_relu');
    const r = cli('run', join(c, 'model.onnx'), '--input', `x=${join(c, 'test_data_set_0', 'input_0.pb')}`, '--output-dir', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readTensorFile(join(out, 'y.pb')).toNumbers()).toEqual(readTensorFile(join(c, 'test_data_set_0', 'output_0.pb')).toNumbers());
    const again = cli('run', join(c, 'model.onnx'), '--input', `x=${join(c, 'test_data_set_0', 'input_0.pb')}`, '--output-dir', out);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toContain('LC004');
  });
  it('inspect lists ops, shapes and parameters; a missing file is LC003, a checkpoint given as a model LC006', () => {
    const r = cli('inspect', join(NODE_TESTS, 'test_transpose_default', 'model.onnx'));
    expect(r.stdout).toMatch(/data: float32\[2, 3, 4\]/);
    expect(r.stdout).toMatch(/Transpose\s+1/);
    expect(r.stdout).toMatch(/parameters: 0/);
    expect(cli('inspect', 'model.txt').stderr).toContain('LC003');
  });
});
