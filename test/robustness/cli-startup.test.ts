// `layerc --help` starts fast because it loads only the command-line surface: every command imports the
// importers, optimizer, backends, training loop and their libraries (onnx-proto, elkjs, webgpu, ohm-js,
// cli-progress) inside its action. This checks that in a child process (a module-loader hook lists what loads),
// that `--version` is answered from package.json, and how bin/layerc.js chooses between dist/ and the sources.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../fixtures.ts';
import { runCli } from './helpers/cli.ts';

const BIN = join(REPO_ROOT, 'bin/layerc.js');
const VERSION = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
const node = (args: string[], env: Record<string, string> = {}, cwd = REPO_ROOT) =>
  spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } });

/** What must not load for `--help`: the heavy parts, each needed by some command's action only. */
const HEAVY = /\/(frontend\/(onnx|load|dsl)|passes\/|runtime\/|train\/loop\/fit|export\/)|node_modules\/(onnx-proto|protobufjs|elkjs|webgpu|ohm-js|onnxruntime|cli-progress)\//;

describe('CLI start-up', () => {
  it('`layerc --help` (sources) loads no importer, optimizer, backend, training loop or heavy library', () => {
    const r = node(['--import', join(REPO_ROOT, 'test/robustness/helpers/log-loads.mjs'), BIN, '--help'], { LAYERC_DIST: '0' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Usage: layerc');
    const loaded = r.stderr.split('\n').filter((l) => l.startsWith('LOAD ')).map((l) => l.slice(5));
    expect(loaded.some((u) => u.endsWith('/src/cli.ts'))).toBe(true); // the hook saw the command's own modules
    expect(loaded.filter((u) => HEAVY.test(u))).toEqual([]);
  }, 60_000);

  it('--version prints package.json\'s version: bin/layerc.js without loading the compiler, main() the same', async () => {
    for (const flag of ['--version', '-V']) {
      const r = node([BIN, flag]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${VERSION}\n`);
    }
    let out = '';
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => { out += s; return true; }) as typeof process.stdout.write;
    try { expect((await runCli(['--version'])).status).toBe(0); } finally { process.stdout.write = write; }
    expect(out).toBe(`${VERSION}\n`);
  });

  it('bin/layerc.js runs dist/ only when its build stamp is newer than every source; LAYERC_DIST forces either', () => {
    // A fake checkout: the real bin/layerc.js, a src/cli.ts and a dist/src/cli.js that say which one ran.
    const dir = mkdtempSync(join(tmpdir(), 'layerc-bin-'));
    try {
      mkdirSync(join(dir, 'bin')); mkdirSync(join(dir, 'src')); mkdirSync(join(dir, 'dist/src'), { recursive: true }); mkdirSync(join(dir, 'grammar'));
      cpSync(BIN, join(dir, 'bin/layerc.js'));
      writeFileSync(join(dir, 'package.json'), '{ "type": "module", "version": "9.9.9" }');
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
      const fake = (which: string) => `export async function main() { console.log('${which}'); return 0; }\n`;
      writeFileSync(join(dir, 'src/cli.ts'), fake('sources'));
      writeFileSync(join(dir, 'dist/src/cli.js'), fake('dist'));
      writeFileSync(join(dir, 'grammar/layers.ohm'), '');
      const ran = (env: Record<string, string> = {}) => node([join(dir, 'bin/layerc.js'), '--help'], env, dir).stdout.trim();
      const at = (file: string, secondsAgo: number) => { const t = new Date(Date.now() - secondsAgo * 1000); utimesSync(join(dir, file), t, t); };
      for (const f of ['src/cli.ts', 'grammar/layers.ohm', 'src', 'grammar']) at(f, 100);
      expect(ran()).toBe('sources'); // never built: no stamp
      writeFileSync(join(dir, 'dist/build-stamp'), ''); at('dist/build-stamp', 50);
      expect(ran()).toBe('dist');
      expect(ran({ LAYERC_DIST: '0' })).toBe('sources');
      at('src/cli.ts', 10); // a source edited after the build
      expect(ran()).toBe('sources');
      expect(ran({ LAYERC_DIST: '1' })).toBe('dist');
      at('src/cli.ts', 100); at('grammar/layers.ohm', 10); // the grammar edited after the build
      expect(ran()).toBe('sources');
      at('grammar/layers.ohm', 100); writeFileSync(join(dir, 'grammar/layers.ohm-bundle.js', ), ''); // a regenerated bundle does not count
      expect(ran()).toBe('dist');
      rmSync(join(dir, 'dist/src/cli.js')); // dist/ half rebuilt: the sources run
      expect(ran()).toBe('sources');
    } finally { rmSync(dir, { recursive: true, force: true }); }
  }, 120_000);
});
