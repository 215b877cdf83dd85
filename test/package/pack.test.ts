// The published package, as a user gets it: `npm pack` (prepack builds dist/), the tarball installed into an
// empty temp project, then used from plain Node (compiled JS through `import ... from 'layerc'`: load, an
// InferenceSession, optimize + compile, run, train), type-checked from TypeScript against its .d.ts, run as the
// `layerc` command, and bundled by Vite for a page that headless Chromium runs.
// Installing without a network: the tarball is unpacked into node_modules/layerc (what npm does with it) and
// each of its `dependencies` is linked to this repository's node_modules (installed by `npm ci`); Node and Vite
// resolve a dependency's own dependencies from its real path. Checked against the PyTorch fixtures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { FIXTURES, MODELS, REPO_ROOT } from '../fixtures.ts';
import { readTensorFile } from '../../src/io/tensor-file.ts';
import { readNpy } from '../train/npy.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { toleranceRatio } from '../js/graphs.ts';

const CHROMIUM = '/usr/bin/chromium';
const WEBGPU_ARGS = ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan,WebGPU', '--use-angle=swiftshader',
  '--use-webgpu-adapter=swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const LENET = join(MODELS, 'lenet_bn');
const input = readTensorFile(join(LENET, 'test_data_set_0', 'input_0.pb'));
const expected = readTensorFile(join(LENET, 'test_data_set_0', 'output_0.pb'));
const TOL = { atol: 1e-5, rtol: 1e-3 }; // lenet_bn/case.json
const close = (got: { dims: number[]; data: number[] }) =>
  toleranceRatio(new Tensor('float32', got.dims, Float32Array.from(got.data)), expected, TOL.atol, TOL.rtol);

let dir: string;
let files: string[];
const run = (cmd: string, args: string[], cwd = dir, env: Record<string, string> = {}) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'layerc-pack-'));
  const stdout = run('npm', ['pack', '--json', '--pack-destination', dir], REPO_ROOT); // build scripts print lines first
  const json = JSON.parse(stdout.slice(stdout.search(/^\[/m))) as { filename: string; files: { path: string }[] }[];
  files = json[0].files.map((f) => f.path);
  const pkgDir = join(dir, 'node_modules', 'layerc');
  mkdirSync(pkgDir, { recursive: true });
  run('tar', ['-xzf', join(dir, json[0].filename), '-C', pkgDir, '--strip-components=1']);
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const dep of [...Object.keys(pkg.dependencies), '@types/node']) {
    mkdirSync(dirname(join(dir, 'node_modules', dep)), { recursive: true });
    symlinkSync(join(REPO_ROOT, 'node_modules', dep), join(dir, 'node_modules', dep), 'dir');
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  for (const f of ['node.mjs', 'types.ts', 'index.html', 'main.js', 'vite.config.js']) copyFileSync(join(REPO_ROOT, 'test/package/consumer', f), join(dir, f));
}, 240_000); // npm pack runs the build (tsc): ~30 s here, several times that on a loaded machine
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('the packed tarball', () => {
  it('holds compiled JS with types and source maps, no TypeScript sources', () => {
    for (const f of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/index.js.map', 'dist/src/browser.js', 'dist/src/cli.js', 'bin/layerc.js',
      'dist/grammar/layers.ohm-bundle.js', 'dist/runtime/wgsl/runner.mjs']) expect(files, f).toContain(f);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('works from plain Node: InferenceSession, optimize + compile, run, train', () => {
    const out = JSON.parse(run(process.execPath, ['node.mjs', FIXTURES])) as Record<string, never> & {
      resolved: string; ops: { before: string[]; after: string[] }; losses: number[] };
    expect(out.resolved).toBe(`file://${join(dir, 'node_modules/layerc/dist/src/index.js')}`);
    expect(close(out.session)).toBeLessThanOrEqual(1);
    expect(close(out.compile)).toBeLessThanOrEqual(1);
    expect(close(out.reference)).toBeLessThanOrEqual(1);
    expect(out.ops.before).toContain('BatchNormalization');
    expect(out.ops.after).not.toContain('BatchNormalization'); // -O2 folded it
    const want = readNpy(join(MODELS, 'mlp_train_sgd/reference/losses.npy'));
    expect(out.losses).toHaveLength(3);
    out.losses.forEach((l, k) => expect(Math.abs(l - want.data[k]), `step ${k}`).toBeLessThanOrEqual(1e-4 * want.data[k]));
  }, 60_000);

  it('type-checks a TypeScript consumer against its .d.ts files', () => {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: ['node'], lib: ['es2023', 'dom'] },
      files: ['types.ts'],
    }));
    run(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
  }, 60_000);

  it('runs as the layerc command from compiled JS', () => {
    const bin = join(dir, 'node_modules/layerc/bin/layerc.js');
    expect(run(process.execPath, [bin, '--help'])).toMatch(/Usage: layerc/);
    expect(run(process.execPath, [bin, 'inspect', join(LENET, 'model.onnx')])).toMatch(/BatchNormalization/);
  }, 30_000);

  describe.skipIf(!existsSync(CHROMIUM))('in a Vite browser bundle (headless Chromium)', () => {
    let server: Server | undefined;
    afterAll(() => server?.close());

    it('bundles the browser entry with no Node module and runs LeNet-BN on js, reference and wgsl', async () => {
      // vite.config.js: a warning fails the build. NODE_ENV: vitest sets 'test', which silences Vite's
      // "externalized for browser compatibility" warning.
      run(process.execPath, [join(REPO_ROOT, 'node_modules/vite/bin/vite.js'), 'build'], dir, { NODE_ENV: 'production' });
      copyFileSync(join(LENET, 'model.onnx'), join(dir, 'web', 'model.onnx'));
      server = await serve(join(dir, 'web'));
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: WEBGPU_ARGS });
      try {
        const page = await browser.newPage();
        await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/index.html`);
        await page.waitForFunction('window.ready === true');
        const r = await page.evaluate(`window.runModel('/model.onnx', ${JSON.stringify(Array.from(input.data as Float32Array))}, ${JSON.stringify(input.shape)})`) as {
          results: Record<string, number[]>; dslOps: string[]; error: { name: string; code: string } | null; gpu: boolean };
        expect(r.gpu, 'navigator.gpu with the WebGPU flags (SwiftShader)').toBe(true);
        const backends = ['js', 'reference', 'wgsl'];
        expect(Object.keys(r.results).sort()).toEqual(backends.sort());
        for (const b of backends) expect(close({ dims: [...expected.shape], data: r.results[b] }), b).toBeLessThanOrEqual(1);
        expect(r.dslOps).toEqual(['Relu']);
        expect(r.error).toEqual({ name: 'LayercError', code: 'LC003' }); // a 404 is a catalogued error in the browser too
      } finally { await browser.close(); }
    }, 90_000);
  });
});

function serve(root: string): Promise<Server> {
  const types: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html', '.onnx': 'application/octet-stream', '.wasm': 'application/wasm' };
  const server = createServer((req, res) => {
    const path = join(root, decodeURIComponent(new URL(req.url!, 'http://x').pathname));
    if (!path.startsWith(root) || !existsSync(path)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
  });
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res(server)));
}
