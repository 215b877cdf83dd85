// `npx tsx bench/startup.ts [--runs N]`: how long the `layerc` command takes to start, hyperfine-style: each
// command line runs N times (after one warm-up run), interleaved round by round so that the machine's drift hits
// them alike, and the median, min and max wall times are printed. `node -e 0` is the floor (Node's own start-up):
// on a loaded machine only the differences to it mean much. Rows: `--version` (answered by bin/layerc.js without
// loading the compiler), `--help` from dist/ (`npm run build` first; LAYERC_DIST=1) and from the TypeScript
// sources through tsx (LAYERC_DIST=0), and `inspect --help` (one command's help) from dist/.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, def: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1]! : def; };
const RUNS = Number(arg('--runs', '15'));
const BIN = join(ROOT, 'bin/layerc.js');

interface Row { name: string; args: string[]; env?: Record<string, string> }
const rows: Row[] = [
  { name: 'node -e 0 (floor)', args: ['-e', '0'] },
  { name: 'layerc --version', args: [BIN, '--version'] },
  ...(existsSync(join(ROOT, 'dist/src/cli.js')) ? [
    { name: 'layerc --help (dist/)', args: [BIN, '--help'], env: { LAYERC_DIST: '1' } },
    { name: 'layerc inspect --help (dist/)', args: [BIN, 'inspect', '--help'], env: { LAYERC_DIST: '1' } },
  ] : []),
  { name: 'layerc --help (sources, tsx)', args: [BIN, '--help'], env: { LAYERC_DIST: '0' } },
];
if (rows.length < 5) console.log('(no dist/: run `npm run build` to time the built command)');

const once = (r: Row) => {
  const t = performance.now();
  const p = spawnSync(process.execPath, r.args, { env: { ...process.env, ...r.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  if (p.status !== 0) throw new Error(`${r.name} exited ${p.status}: ${p.stderr}`);
  return performance.now() - t;
};
const times = new Map(rows.map((r) => [r.name, [] as number[]]));
for (const r of rows) once(r); // warm-up: file cache, tsx's transform cache
for (let i = 0; i < RUNS; i++) for (const r of rows) times.get(r.name)!.push(once(r));

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
console.log(`layerc start-up, ${RUNS} runs each, interleaved (${new Date().toISOString()})`);
console.log('command\tmedian ms\tmin ms\tmax ms\tmedian - floor');
const floor = median(times.get(rows[0]!.name)!);
for (const r of rows) {
  const t = times.get(r.name)!;
  console.log([r.name, median(t).toFixed(0), Math.min(...t).toFixed(0), Math.max(...t).toFixed(0), (median(t) - floor).toFixed(0)].join('\t'));
}
