// `npx tsx bench/compile-time.ts [--rounds N] [--cold N] [--no-winograd] [--against <other layerc checkout>]`: how long
// layerc takes to get ResNet-18 (./models.ts, batch 1) ready to run, by phase (./phases.ts): load, optimize (-O2),
// compile (lowering, kernels, weights, wasm, instantiation: ready to run) and the first inference. Rows:
//   cold   a fresh process per sample (`--cold N` processes, median): what one `layerc run` or a server's first
//          model pays, JIT included; `import` is the time to import the compiler's modules first;
//   first  the first compile in this process (after the imports), then
//   warm   the median and the minimum of N more rounds in the same process (a long-lived process compiling again).
// Wall-clock ms per phase, then the process's CPU time (user + system) to ready and of the first run: on a busy
// machine the steadier figure (most of getting ResNet-18 ready is first touches of fresh memory, ~120 MB with
// Winograd, and a page fault's kernel time counts as CPU, while waiting for a core does not).
// fresh MB: memory touched for the first time from load to ready (minor page faults x 4 KiB; ./phases.ts).
// Winograd on and off, interleaved round by round (--no-winograd: off only). Then the CLI's start-up
// (`node bin/layerc.js --help`, median of N), timed AFTER the in-process rounds: spawning a child from a process
// with a large heap makes every page of that heap copy-on-write (fork), and the next round pays a page fault per
// page it writes (it made the in-process medians 4-5x the real figure). With --against, the other checkout's
// same phases run in the same process, interleaved round by round: on a loaded machine only ratios mean much.
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resnet18 } from './models.ts';
import { phaseTimer, type Phases } from './phases.ts';

const HERE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, def: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1]! : def; };
const ROUNDS = Number(arg('--rounds', '7')), COLD = Number(arg('--cold', '3'));
const against = arg('--against', '');
const MODES = process.argv.includes('--no-winograd') ? [false] : [true, false];
const CHILD = process.argv.includes('--child'); // one cold compile, printed as JSON (a --cold sample)

type Timer = (bytes: Uint8Array, opts: { winograd: boolean }) => Promise<Phases>;
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const bytes = resnet18();

if (CHILD) {
  const t = performance.now();
  const timer = await phaseTimer(HERE);
  const importMs = performance.now() - t;
  process.stdout.write(JSON.stringify({ importMs, ...(await timer(bytes, { winograd: !process.argv.includes('--no-winograd') })) }));
  process.exit(0);
}

const trees: { name: string; root: string; timer: Timer }[] = [{ name: 'this', root: HERE, timer: await phaseTimer(HERE) }];
if (against) trees.push({ name: 'against', root: resolve(against), timer: await phaseTimer(resolve(against)) });
const label = (t: string, wino: boolean) => `${t}${wino ? '' : ' --no-winograd'}`;
const first = new Map<string, Phases>(), warm = new Map<string, Phases[]>();
for (const t of trees) for (const w of MODES) first.set(label(t.name, w), await t.timer(bytes, { winograd: w }));
for (let r = 0; r < ROUNDS; r++) {
  for (const t of trees) for (const w of MODES) {
    const k = label(t.name, w);
    warm.set(k, [...(warm.get(k) ?? []), await t.timer(bytes, { winograd: w })]);
  }
}
// Fresh processes, after the in-process rounds (see the header on spawning).
const cold = new Map<string, (Phases & { importMs: number })[]>();
for (let r = 0; r < COLD; r++) {
  for (const w of MODES) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(HERE, 'bench/compile-time.ts'), '--child', ...(w ? [] : ['--no-winograd'])], { cwd: HERE });
    const k = label('this', w);
    cold.set(k, [...(cold.get(k) ?? []), JSON.parse(String(out))]);
  }
}
const startup: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const t = performance.now();
  execFileSync(process.execPath, [join(HERE, 'bin/layerc.js'), '--help'], { stdio: 'ignore' });
  startup.push(performance.now() - t);
}

const keys = ['loadMs', 'optimizeMs', 'compileMs', 'firstRunMs'] as const;
const row = (name: string, ps: Phases[], pick: (xs: number[]) => number, extra = '') => {
  const v = keys.map((k) => pick(ps.map((p) => p[k])));
  const ready = pick(ps.map((p) => p.loadMs + p.optimizeMs + p.compileMs)), all = pick(ps.map((p) => p.loadMs + p.optimizeMs + p.compileMs + p.firstRunMs));
  const cpu = [pick(ps.map((p) => p.readyCpuMs)), pick(ps.map((p) => p.firstRunCpuMs))];
  const fresh = ps[0]!.loadFreshMB === undefined ? '-' : pick(ps.map((p) => p.loadFreshMB + p.optimizeFreshMB + p.compileFreshMB)); // (an --against tree may not count them)
  console.log([name, ...v, ready, all, ...cpu, fresh].map((x) => (typeof x === 'number' ? x.toFixed(0) : x)).join('\t') + extra);
};
console.log(`ResNet-18, js backend, 1 thread (${new Date().toISOString()}); ms; ready = load + optimize + compile; CPU: the process's CPU time`);
console.log(['row', 'load', 'optimize', 'compile', 'first run', 'ready', 'ready + first run', 'ready CPU', 'first run CPU', 'fresh MB to ready'].join('\t'));
for (const [k, ps] of cold) row(`${k}: cold, median of ${ps.length} processes`, ps, median, `\t(import ${median(ps.map((p) => p.importMs)).toFixed(0)} ms)`);
for (const [k, p] of first) row(`${k}: first in process`, [p], median);
for (const [k, ps] of warm) { row(`${k}: warm median of ${ps.length}`, ps, median); row(`${k}: warm min`, ps, (xs) => Math.min(...xs)); }
console.log(`layerc --help: median ${median(startup).toFixed(0)} ms, min ${Math.min(...startup).toFixed(0)} ms of ${startup.length} (${trees[0]!.root})`);
