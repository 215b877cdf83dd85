#!/usr/bin/env node
// The `layerc` command. Sources are TypeScript run through tsx, so the CLI works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
