// `--layout auto|nchw` (run, bench, compile): the js backend's layout pass (runtime/js/layout.ts) is on by default
// and `--layout nchw` turns it off. On MobileNetV3-small (depthwise + pointwise chains) `compile --target js` emits
// blocked kernels by default and none with `--layout nchw`; `run` gives the PyTorch fixture's output either way;
// a bad value is LC002.
import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli.ts';
import { ZOO } from '../fixtures.ts';
import { readTensorFile } from '../../src/io/tensor-file.ts';
import { getBackend } from '../../runtime/backend.ts';

async function cli(...args: string[]): Promise<{ status: number; err: string }> {
  let err = '';
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err += String(s); return true; });
  try { return { status: await main(args), err }; } finally { log.mockRestore(); write.mockRestore(); process.exitCode = undefined; }
}

const FX = join(ZOO, 'mobilenet_v3_small');

describe('--layout', () => {
  it('compile --target js emits blocked kernels by default and none with --layout nchw', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerc-layout-'));
    try {
      const blocked: Record<string, number> = {};
      for (const layout of ['auto', 'nchw']) {
        const out = join(dir, layout);
        expect((await cli('compile', join(FX, 'model.onnx'), '--target', 'js', '-o', out, '--threads', '1', ...(layout === 'auto' ? [] : ['--layout', layout]))).err).toBe('');
        const src = readdirSync(out).filter((f) => f.endsWith('.mjs')).map((f) => readFileSync(join(out, f), 'utf8')).join('\n');
        blocked[layout] = src.match(/: blocked (depthwise|pointwise)/g)?.length ?? 0;
      }
      expect(blocked.auto).toBeGreaterThan(0);
      expect(blocked.nchw).toBe(0);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  }, 120_000);

  it('run --backend js reaches the backend with the layout and matches the fixture both ways; a bad value is LC002', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerc-layout-'));
    const expected = readTensorFile(join(FX, 'test_data_set_0/output_0.pb'));
    const compile = vi.spyOn(await getBackend('js'), 'compile');
    try {
      for (const layout of ['auto', 'nchw']) {
        const r = await cli('run', join(FX, 'model.onnx'), '--backend', 'js', '--threads', '1', '--layout', layout,
          '--input', `input=${join(FX, 'test_data_set_0/input_0.pb')}`, '--output-dir', join(dir, layout));
        expect(r.err).toBe('');
        expect(compile.mock.lastCall?.[1]).toMatchObject({ layout });
        const got = readTensorFile(join(dir, layout, 'output.pb'));
        got.data.forEach((v, i) => expect(Math.abs(v - expected.data[i])).toBeLessThanOrEqual(1e-5 + 1e-3 * Math.abs(expected.data[i])));
      }
      const bad = await cli('bench', join(FX, 'model.onnx'), '--backend', 'js', '--layout', 'nhwc');
      expect(bad.err).toContain('error[LC002]');
      expect(bad.err).toContain('--layout must be auto or nchw');
      expect(bad.status).toBe(2);
    } finally { compile.mockRestore(); rmSync(dir, { recursive: true, force: true }); }
  }, 120_000);
});
