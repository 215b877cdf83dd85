// The package's version, from the package.json above this file (src/cli/ in a checkout, dist/src/cli/ in the package).
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try { return String(JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')).version); } catch { /* next */ }
  }
  return 'unknown';
}
