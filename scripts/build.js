#!/usr/bin/env node
// `npm run build`: the publishable package in dist/. tsc emits the ESM JavaScript, the .d.ts declarations
// and the source maps (tsconfig.build.json; `.ts` import specifiers are rewritten to `.js`); this script then
// copies what tsc does not own, byte for byte: the generated grammar bundle, the WebGPU runner that
// `layerc compile --target wgsl` ships as text, and the bundled Fashion-MNIST subset `loadDataset` reads.
// dist/ mirrors the repository (dist/src, dist/passes, dist/runtime), so relative paths stay true.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (p) => `${root}${p}`;
const step = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

rmSync(at('dist'), { recursive: true, force: true });
step('npm', ['run', '--silent', 'build:grammar']);
const started = new Date(); // after the grammar bundle (generated from grammar/*.ohm, which is what bin/layerc.js checks)
step(process.execPath, [at('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
for (const f of ['grammar/layers.ohm-bundle.js', 'grammar/layers.ohm-bundle.d.ts', 'runtime/wgsl/runner.mjs']) cpSync(at(f), at(`dist/${f}`));
cpSync(at('examples/data'), at('dist/examples/data'), { recursive: true });
// The stamp bin/layerc.js compares with the sources: dated when this build started, so a source edited during the
// build counts as newer than dist/ (the command then runs the sources).
writeFileSync(at('dist/build-stamp'), `${started.toISOString()}\n`);
utimesSync(at('dist/build-stamp'), started, started);
