#!/usr/bin/env node
// The `layerc` command. Sources are TypeScript run through tsx, so the CLI works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
// `layerc inspect m.onnx | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
}
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
