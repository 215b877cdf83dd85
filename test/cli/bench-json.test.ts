// `layerc bench --json` reports, beside the latency, how long getting the model ready took by phase: loadMs
// (file -> IR), optimizeMs (-O passes) and compileMs (shapes fixed, lowering, the backend's compile). Not a
// timing assertion: the fields are there, are non-negative, add up to no more than the command's own wall time,
// and a delay injected into the backend's compile shows up in compileMs only.
import { describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { main } from '../../src/cli.ts';
import { MODELS } from '../fixtures.ts';
import { getBackend } from '../../runtime/backend.ts';

async function benchJson(...args: string[]): Promise<Record<string, number>> {
  let out = '';
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out += `${a.join(' ')}\n`; });
  try { expect(await main(['bench', ...args, '--json'])).toBe(0); } finally { log.mockRestore(); process.exitCode = undefined; }
  return JSON.parse(out);
}

const MODEL = join(MODELS, 'lenet_bn/model.onnx');

describe('layerc bench --json phases', () => {
  it('has loadMs, optimizeMs and compileMs beside the latency; they sum to less than the whole command', async () => {
    const t0 = performance.now();
    const r = await benchJson(MODEL, '--backend', 'js', '--threads', '1', '--runs', '3', '--warmup', '1');
    const wall = performance.now() - t0;
    for (const k of ['loadMs', 'optimizeMs', 'compileMs', 'medianMs', 'minMs']) {
      expect(typeof r[k], k).toBe('number');
      expect(Number.isFinite(r[k]) && r[k]! >= 0, `${k} = ${r[k]}`).toBe(true);
    }
    // 4 runs (1 warm-up) of at least minMs each come after the phases.
    expect(r.loadMs! + r.optimizeMs! + r.compileMs! + 4 * r.minMs!).toBeLessThanOrEqual(wall);
    expect(r.loadMs! + r.optimizeMs! + r.compileMs!).toBeGreaterThan(0);
  }, 60_000);

  it('a delay in the backend\'s compile lands in compileMs, not in loadMs or optimizeMs', async () => {
    const backend = await getBackend('js');
    const compile = backend.compile.bind(backend);
    const spy = vi.spyOn(backend, 'compile').mockImplementation(async (...a) => {
      const until = performance.now() + 300;
      while (performance.now() < until) { /* busy: the delay */ }
      return compile(...a);
    });
    try {
      const r = await benchJson(MODEL, '--backend', 'js', '--threads', '1', '--runs', '1', '--warmup', '0', '-O2');
      expect(spy).toHaveBeenCalled();
      expect(r.compileMs).toBeGreaterThanOrEqual(300);
      expect(r.loadMs! + r.optimizeMs!).toBeLessThan(r.compileMs!);
    } finally { spy.mockRestore(); }
  }, 60_000);
});
