#!/usr/bin/env node
// The `layerc` command. It runs the compiled JavaScript in dist/ (`npm run build`) whenever that is current,
// because tsx alone costs a few hundred milliseconds of start-up. The published package has only dist/. In a
// development checkout dist/ is used only when scripts/build.js finished after the last change to any source
// (its stamp is newer than every file under src/, passes/, runtime/ and grammar/*.ohm), so the command always
// matches the code being edited (the tests spawn this file); otherwise the TypeScript sources run through tsx.
// LAYERC_DIST=1 forces dist/, LAYERC_DIST=0 the sources. `--version` is answered here without loading anything.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).version}\n`);
  process.exit(0);
}

// `layerc inspect m.onnx | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
}

/** The newest modification time (ms) of any file under dir whose name passes `keep`, and of the directories
 *  themselves when every file counts (a deleted or renamed file changes its directory's); 0 if dir is missing. */
function newest(dir, keep) {
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return 0; }
  let t = keep ? 0 : statSync(dir).mtimeMs;
  for (const e of entries) {
    const p = new URL(e.name + (e.isDirectory() ? '/' : ''), dir);
    if (e.isDirectory()) t = Math.max(t, newest(p, keep));
    else if (!keep || keep(e.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** True when dist/ was built after the last change to the sources (or there are no sources: the package). */
function distIsCurrent() {
  const stamp = new URL('dist/build-stamp', root);
  if (!existsSync(stamp)) return false;
  if (!existsSync(new URL('src/cli.ts', root))) return true;
  const built = statSync(stamp).mtimeMs;
  // grammar/: the .ohm sources (`npm test` regenerates the bundles from them every run).
  return ['src/', 'passes/', 'runtime/'].every((d) => newest(new URL(d, root)) < built) && newest(new URL('grammar/', root), (f) => f.endsWith('.ohm')) < built;
}

const env = process.env.LAYERC_DIST;
const useDist = env === '1' || (env !== '0' && (!existsSync(new URL('src/cli.ts', root)) || distIsCurrent()));
let main;
// A dist/ being rebuilt at this moment (scripts/build.js removes it first) fails to load: run the sources then.
if (useDist) ({ main } = await import('../dist/src/cli.js').catch((e) => { if (env === '1' || !existsSync(new URL('src/cli.ts', root))) throw e; return {}; }));
if (!main) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli.ts'));
}
process.exitCode = await main(args);
