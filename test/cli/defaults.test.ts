// Consistent defaults: every command that runs a model (run, bench, compile, test-onnx) optimizes at -O2
// unless told -O0, like optimize and InferenceSession; `run --threads` reaches the js backend.
import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { COMMANDS } from '../../src/cli/commands.ts';
import { main } from '../../src/cli.ts';
import { MODELS } from '../fixtures.ts';
import { encodeNpy } from '../../src/io/npy.ts';
import { readTensorFile } from '../../src/io/tensor-file.ts';
import { getBackend } from '../../runtime/backend.ts';

/** main() in this process, with stdout and stderr captured. */
async function cli(...args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '', err = '';
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out += `${a.join(' ')}\n`; });
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err += String(s); return true; });
  try { return { status: await main(args), out, err }; } finally { log.mockRestore(); write.mockRestore(); process.exitCode = undefined; }
}

describe('defaults', () => {
  it('run, bench, compile and test-onnx default to -O2', () => {
    const program = new Command();
    for (const register of COMMANDS) register(program);
    for (const name of ['run', 'bench', 'compile', 'test-onnx']) {
      const cmd = program.commands.find((c) => c.name() === name)!;
      expect(cmd.options.find((o) => o.long === '--opt-level')?.defaultValue, name).toBe('2');
    }
  });

  it('bench reports -O2 without a flag and -O0 when asked', async () => {
    const model = join(MODELS, 'mlp_bn/model.onnx');
    expect((await cli('bench', model, '--backend', 'reference', '--runs', '1', '--warmup', '0')).out).toMatch(/backend reference, -O2/);
    expect((await cli('bench', model, '--backend', 'reference', '--runs', '1', '--warmup', '0', '-O0')).out).toMatch(/backend reference, -O0/);
  });

  it('run --threads N runs the js backend on N threads; --threads 0 is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerc-defaults-'));
    try {
      const fx = join(MODELS, 'mlp_bn');
      const x = join(dir, 'x.npy');
      writeFileSync(x, encodeNpy(readTensorFile(join(fx, 'test_data_set_0/input_0.pb'))));
      const expected = readTensorFile(join(fx, 'test_data_set_0/output_0.pb'));
      const compile = vi.spyOn(await getBackend('js'), 'compile');
      for (const threads of ['1', '2']) {
        const r = await cli('run', join(fx, 'model.onnx'), '--backend', 'js', '--threads', threads, '--input', `input=${x}`, '--output-dir', join(dir, threads));
        expect(r.err).toBe('');
        expect(compile.mock.lastCall?.[1]).toMatchObject({ threads: Number(threads) });
        const got = readTensorFile(join(dir, threads, 'output.npy'));
        got.data.forEach((v, i) => expect(Math.abs(v - expected.data[i])).toBeLessThanOrEqual(1e-5 + 1e-3 * Math.abs(expected.data[i])));
      }
      compile.mockRestore();
      const bad = await cli('run', join(fx, 'model.onnx'), '--backend', 'js', '--threads', '0', '--input', `input=${x}`);
      expect(bad.err).toContain('error[LC002]');
      expect(bad.status).toBe(2);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  }, 60_000);
});
