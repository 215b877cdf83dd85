// The emitted js module in a real browser: `layerc compile --target js --threads 2` output served on
// 127.0.0.1 with the cross-origin isolation headers shared memory needs, imported by a page in headless
// Chromium, run on two Web Workers, and compared with the fixture's expected output (made with PyTorch).
// Also: the same module on a page that is not isolated refuses to start, saying why. Skips visibly when
// Chromium is not installed.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { MODELS } from '../fixtures.ts';
import { readTensorFile } from '../../src/io/tensor-file.ts';
import { compileModel } from '../../src/cli/compile.ts';
import type { Tensor } from '../../src/ir/tensor.ts';
import { toleranceRatio } from './graphs.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const TYPES: Record<string, string> = { '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.bin': 'application/octet-stream', '.html': 'text/html' };

/** Serves `dir`; with `isolated`, every response carries COOP/COEP (crossOriginIsolated pages). */
function serve(dir: string, isolated: boolean): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = join(dir, decodeURIComponent(new URL(req.url!, 'http://x').pathname));
    if (!path.startsWith(dir) || !existsSync(path)) { res.writeHead(404).end(); return; }
    const headers: Record<string, string> = { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' };
    if (isolated) Object.assign(headers, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
    res.writeHead(200, headers).end(readFileSync(path));
  });
  return new Promise((res) => server.listen(0, '127.0.0.1', () => {
    const a = server.address() as { port: number };
    res({ server, url: `http://127.0.0.1:${a.port}` });
  }));
}

describe.skipIf(!existsSync(CHROMIUM))('emitted js module in a browser (headless Chromium)', () => {
  it('runs lenet_bn on 2 Web Workers and matches the expected output; refuses threads on a non-isolated page', async () => {
    const { chromium } = await import('playwright-core');
    const fx = join(MODELS, 'lenet_bn');
    const input = readTensorFile(join(fx, 'test_data_set_0', 'input_0.pb'));
    const expected = readTensorFile(join(fx, 'test_data_set_0', 'output_0.pb'));
    const dir = mkdtempSync(join(tmpdir(), 'layerc-browser-'));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    const servers: Server[] = [];
    try {
      await compileModel(join(fx, 'model.onnx'), { target: 'js', output: join(dir, 'm'), optLevel: 0, threads: 2, batch: 1 });
      writeFileSync(join(dir, 'index.html'), '<!doctype html><title>layerc</title>');
      const page = await browser.newPage();
      const run = async (isolated: boolean) => {
        const { server, url } = await serve(dir, isolated);
        servers.push(server);
        await page.goto(`${url}/index.html`);
        // Page code as a string: vitest would rewrite a dynamic import() inside a function it transforms.
        await page.evaluate((x: number[]) => { (globalThis as Record<string, unknown>).__input = x; }, Array.from(input.data as Float32Array));
        return page.evaluate(`(async () => {
          try {
            const mod = await import(new URL('/m/model.mjs', location.href).href);
            const m = await mod.load();
            const out = await m.run({ [mod.layout.inputs[0].name]: new Float32Array(globalThis.__input) });
            await m.dispose();
            return { isolated: crossOriginIsolated, out: Array.from(out[mod.layout.outputs[0].name]) };
          } catch (e) { return { isolated: crossOriginIsolated, error: String(e) }; }
        })()`) as Promise<{ isolated: boolean; out?: number[]; error?: string }>;
      };
      const ok = await run(true);
      expect(ok.isolated).toBe(true);
      expect(ok.error).toBeUndefined();
      const got = { shape: expected.shape, size: expected.size, data: Float32Array.from(ok.out!) } as unknown as Tensor;
      expect(toleranceRatio(got, expected, 1e-4, 1e-3)).toBeLessThanOrEqual(1);
      const refused = await run(false);
      expect(refused.error).toMatch(/cross-origin isolated/);
    } finally {
      await browser.close();
      for (const s of servers) s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
