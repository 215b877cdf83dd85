#!/usr/bin/env node
// The `layerc` command. The published package runs the compiled JavaScript in dist/ (`npm run build`). A
// development checkout (src/cli.ts beside this file) runs the TypeScript sources through tsx instead, so the
// command always matches the code being edited (the tests spawn this file) and a stale dist/ is never used;
// LAYERC_DIST=1 makes a checkout use dist/ too (the fast start-up a user of the package gets).
import { existsSync } from 'node:fs';

// `layerc inspect m.onnx | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
}
const fromSources = process.env.LAYERC_DIST !== '1' && existsSync(new URL('../src/cli.ts', import.meta.url));
let main;
if (fromSources) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli.ts'));
} else ({ main } = await import('../dist/src/cli.js'));
process.exitCode = await main(process.argv.slice(2));
