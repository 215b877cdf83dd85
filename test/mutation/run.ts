// Mutation check of the backend tests: `npm run mutation [-- --only ID,ID] [--keep]`. The repository is
// copied to a scratch directory (node_modules symlinked; the working tree is never touched), then each mutant
// of ./mutants.ts is applied there alone and its test files run one after another (`vitest run --bail 1`)
// until one fails: the mutant is killed. A mutant that survives every file is a hole in the suite to close
// with a stronger test. Prints one line per mutant and the kill rate; exits 1 if any mutant survived or no
// longer applies. Slow (a vitest run per mutant and file): not part of `npm test`.
import { cpSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { MUTANTS, type Mutant } from './mutants.ts';

const root = join(import.meta.dirname, '../..');
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg >= 0 ? new Set(process.argv[onlyArg + 1]!.split(',')) : null;
const mutants = MUTANTS.filter((m) => !only || only.has(m.id));

const scratch = mkdtempSync(join(tmpdir(), 'layerc-mutation-'));
for (const entry of readdirSync(root)) {
  if (entry === 'node_modules' || entry === '.git') continue;
  cpSync(join(root, entry), join(scratch, entry), { recursive: true });
}
symlinkSync(realpathSync(join(root, 'node_modules')), join(scratch, 'node_modules'));

type Outcome = { mutant: Mutant; result: 'killed' | 'SURVIVED' | 'NO LONGER APPLIES'; by?: string; seconds: number };

function apply(m: Mutant): string | null {
  const path = join(scratch, m.file);
  const text = readFileSync(path, 'utf8');
  const at = text.indexOf(m.search);
  if (at < 0 || text.indexOf(m.search, at + 1) >= 0) return null;
  writeFileSync(path, text.slice(0, at) + m.replace + text.slice(at + m.search.length));
  return text;
}

const outcomes: Outcome[] = [];
for (const m of mutants) {
  const t0 = Date.now();
  const original = apply(m);
  if (original === null) {
    outcomes.push({ mutant: m, result: 'NO LONGER APPLIES', seconds: 0 });
    console.log(`NO LONGER APPLIES  ${m.id}: '${m.search}' does not occur exactly once in ${m.file}`);
    continue;
  }
  let by: string | undefined;
  try {
    for (const file of m.tests) {
      const r = spawnSync('npx', ['vitest', 'run', file, '--bail', '1'], { cwd: scratch, encoding: 'utf8', timeout: 600_000 });
      if (r.status !== 0) { by = r.status === null ? `${file} (timed out)` : file; break; }
    }
  } finally {
    writeFileSync(join(scratch, m.file), original);
  }
  const o: Outcome = { mutant: m, result: by ? 'killed' : 'SURVIVED', by, seconds: (Date.now() - t0) / 1000 };
  outcomes.push(o);
  console.log(`${o.result.padEnd(9)} ${m.id.padEnd(42)} ${by ? `by ${by}` : `(${m.tests.join(', ')} all pass)`} ${o.seconds.toFixed(0)} s`);
}
if (!process.argv.includes('--keep')) rmSync(scratch, { recursive: true, force: true });

const killed = outcomes.filter((o) => o.result === 'killed').length;
console.log(`\nmutation check: ${killed} / ${outcomes.length} mutants killed (${((100 * killed) / Math.max(1, outcomes.length)).toFixed(0)} %)` +
  `; by the differential campaign alone: ${outcomes.filter((o) => o.by === 'test/props/backends.test.ts').length}`);
process.exit(killed === outcomes.length ? 0 : 1);
