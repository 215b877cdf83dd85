// `npx tsx bench/compile-time.ts [--rounds N] [--against <other layerc checkout>] [--no-winograd]`: how long layerc takes to
// get ResNet-18 (./models.ts, batch 1) ready to run in process, by phase: load (ONNX bytes -> IR), optimize
// (-O2) and compile (js backend program: kernels, packed weights, wasm, memory plan), medians over N rounds;
// then the CLI's start-up (`node bin/layerc.js --help`, median of N). With --against, the other checkout's
// same phases run in the same process, interleaved round by round, and the ratios are printed: on a loaded
// machine only ratios within one run mean anything.
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resnet18 } from './models.ts';
import { phaseTimer, type Phases } from './phases.ts';

const HERE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, def: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1]! : def; };
const ROUNDS = Number(arg('--rounds', '7'));
const against = arg('--against', '');
const NO_WINO = process.argv.includes('--no-winograd'); // compile the direct conv kernels only (no Winograd transforms)

interface Tree { name: string; root: string; phases(bytes: Uint8Array): Phases }

async function tree(root: string, name: string): Promise<Tree> {
  return { name, root, phases: await phaseTimer(root, { winograd: !NO_WINO }) };
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const startup = (root: string) => {
  const t = performance.now();
  execFileSync(process.execPath, [join(root, 'bin/layerc.js'), '--help'], { stdio: 'ignore' });
  return performance.now() - t;
};

const trees = [await tree(HERE, 'this')];
if (against) trees.push(await tree(resolve(against), 'against'));
const bytes = resnet18();
for (const t of trees) t.phases(bytes); // warm-up (JIT)
const rows = new Map(trees.map((t) => [t.name, { loadMs: [] as number[], optimizeMs: [] as number[], compileMs: [] as number[], totalMs: [] as number[], startupMs: [] as number[] }]));
for (let r = 0; r < ROUNDS; r++) {
  for (const t of trees) {
    const p = t.phases(bytes), row = rows.get(t.name)!;
    row.loadMs.push(p.loadMs); row.optimizeMs.push(p.optimizeMs); row.compileMs.push(p.compileMs); row.totalMs.push(p.loadMs + p.optimizeMs + p.compileMs);
    row.startupMs.push(startup(t.root));
  }
}
const keys = ['loadMs', 'optimizeMs', 'compileMs', 'totalMs', 'startupMs'] as const;
console.log(`ResNet-18 in process, medians of ${ROUNDS} rounds (${new Date().toISOString()})`);
console.log(['tree', ...keys].join('\t'));
for (const t of trees) console.log([t.name, ...keys.map((k) => median(rows.get(t.name)![k]).toFixed(0))].join('\t'));
if (against) console.log(['against/this', ...keys.map((k) => (median(rows.get('against')![k]) / median(rows.get('this')![k])).toFixed(2) + 'x')].join('\t'));
