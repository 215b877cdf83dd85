// End to end in a real browser: the demo's assets are built (LeNet-BN trained for 3 epochs on the bundled
// Fashion-MNIST subset with `layerc train`, optimized, compiled with --target wgsl, graph SVG, sample images),
// the page is built with Vite and served on 127.0.0.1, and headless Debian Chromium (WebGPU on SwiftShader,
// flags from DESIGN.md) driven by playwright-core opens it. The page's predictions must equal the reference
// interpreter's argmax on the same images; the screenshot (saved to test-results/wgsl-browser-demo.png) must
// show the page: mostly-white background with drawn content, and dark clothing pixels in the results area.
import { describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { runGraph } from '../../src/ir/interpret.ts';
import { buildDemoAssets } from '../../examples/web/build-assets.ts';
import { REPO_ROOT } from '../fixtures.ts';
import { decodePng } from './png.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan,WebGPU', '--use-angle=swiftshader',
  '--use-webgpu-adapter=swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json',
  '.svg': 'image/svg+xml', '.wgsl': 'text/plain', '.bin': 'application/octet-stream' };

function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(root, path.endsWith('/') ? `${path}index.html` : path);
    if (!file.startsWith(root) || !existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` })));
}

describe.skipIf(!existsSync(CHROMIUM))('browser demo (examples/web) in headless Chromium', () => {
  it('classifies Fashion-MNIST test images on WebGPU exactly as the reference does, and the screenshot shows it', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'layerc-web-'));
    let server: Server | undefined;
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const assets = await buildDemoAssets({ out: join(tmp, 'public'), trainEpochs: 3 });
      expect(assets.meta.trained).toBe(true);
      const want = Object.values(runGraph(assets.graph, assets.feeds))[0]!;
      const k = want.shape[1]!;
      const expected = Array.from({ length: want.shape[0]! }, (_, i) => {
        const row = Array.from(want.data.subarray(i * k, (i + 1) * k));
        return row.indexOf(Math.max(...row));
      });
      const { build } = await import('vite');
      await build({ root: join(REPO_ROOT, 'examples/web'), publicDir: join(tmp, 'public'), configFile: false, logLevel: 'error',
        build: { outDir: join(tmp, 'dist'), emptyOutDir: true, target: 'esnext' } });
      const s = await serve(join(tmp, 'dist'));
      server = s.server;
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const logs: string[] = [];
      page.on('console', (m) => logs.push(m.text()));
      await page.goto(s.url);
      await page.waitForSelector('#status[data-state="done"], #status[data-state="error"]', { timeout: 45_000 });
      const statusText = await page.textContent('#status');
      expect(await page.getAttribute('#status', 'data-state'), `${statusText}\n${logs.join('\n')}`).toBe('done');
      expect(statusText).toMatch(/^done: \d+\/8 correct/);
      expect(JSON.parse((await page.getAttribute('#status', 'data-predictions'))!)).toEqual(expected);
      expect(await page.textContent('#adapter')).not.toBe('…');
      expect(await page.textContent('#backend')).toMatch(/^wgsl/);
      expect(await page.locator('#graph svg').count()).toBe(1);
      expect(await page.textContent('#weights')).toContain('trained here');

      mkdirSync(join(REPO_ROOT, 'test-results'), { recursive: true });
      const shot = await page.screenshot({ fullPage: false });
      writeFileSync(join(REPO_ROOT, 'test-results/wgsl-browser-demo.png'), shot);
      const img = decodePng(shot);
      let white = 0, dark = 0;
      for (let i = 0; i < img.rgba.length; i += 4) {
        const v = img.rgba[i]! + img.rgba[i + 1]! + img.rgba[i + 2]!;
        if (v > 750) white++; else if (v < 200) dark++;
      }
      const n = img.width * img.height;
      expect(white / n).toBeGreaterThan(0.3);
      expect(dark / n).toBeGreaterThan(0.005);
      const results = decodePng(await page.locator('#results').screenshot());
      let ink = 0;
      for (let i = 0; i < results.rgba.length; i += 4) if (results.rgba[i]! < 100) ink++;
      expect(ink / (results.width * results.height), 'the sample images are drawn').toBeGreaterThan(0.05);

      // A browser without WebGPU: the page runs the JS-backend module instead, with the same predictions.
      const plain = await browser.newPage();
      await plain.addInitScript(() => { Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }); });
      await plain.goto(s.url);
      await plain.waitForSelector('#status[data-state="done"], #status[data-state="error"]', { timeout: 45_000 });
      expect(await plain.getAttribute('#status', 'data-state'), (await plain.textContent('#status'))!).toBe('done');
      expect(await plain.textContent('#backend')).toMatch(/^js/);
      expect(JSON.parse((await plain.getAttribute('#status', 'data-predictions'))!)).toEqual(expected);
    } finally {
      await browser.close();
      server?.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});
