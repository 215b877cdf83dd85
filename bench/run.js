#!/usr/bin/env node
// `npm run bench`: runs bench/compare.ts under tsx (see that file for what is measured and how).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./compare.ts', import.meta.url));
const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
