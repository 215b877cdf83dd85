// `npx tsx bench/compile-scaling.ts [--rounds N] [--blocks 10,20,40,80] [--no-winograd]`: does getting a model ready grow
// linearly with its size? A synthetic chain of N blocks (Conv 3x3, 32 channels, BatchNormalization, Relu, and a
// residual Add every second block; 1x32x28x28, built as ONNX by ./models.ts's builder) is loaded, optimized at
// -O2 and compiled for the js backend in process (the phases of ./compile-time.ts), medians of N rounds after a
// warm-up; printed per phase in ms and in µs per ONNX node. Flat µs per node = linear.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OnnxBuilder } from './models.ts';
import { phaseTimer } from './phases.ts';

const arg = (name: string, def: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1]! : def; };
const ROUNDS = Number(arg('--rounds', '5'));
const SIZES = arg('--blocks', '10,20,40,80').split(',').map(Number);
const NO_WINO = process.argv.includes('--no-winograd'); // compile the direct conv kernels only (no Winograd transforms)

function chain(blocks: number): { bytes: Uint8Array; nodes: number } {
  const b = new OnnxBuilder(), C = 32;
  let x = b.relu(b.conv('input', 3, C, 3));
  for (let i = 0; i < blocks; i++) {
    const y = b.relu(b.conv(x, C, C, 3));
    x = i % 2 ? b.relu(b.node('Add', [y, x])) : y;
  }
  const bytes = b.model('chain', 'input', b.head(x, C), [1, 3, 28, 28]);
  return { bytes, nodes: b.nodes.length };
}

const median = (xs: number[]) => { const s = [...xs].sort((a, c) => a - c); return s[Math.floor(s.length / 2)]!; };
const timePhases = await phaseTimer(resolve(dirname(fileURLToPath(import.meta.url)), '..'));
const phases = async (bytes: Uint8Array) => {
  const { loadMs, optimizeMs, compileMs } = await timePhases(bytes, { winograd: !NO_WINO });
  return [loadMs, optimizeMs, compileMs, loadMs + optimizeMs + compileMs];
};

const models = SIZES.map((n) => ({ n, ...chain(n) }));
for (const m of models) await phases(m.bytes); // warm-up (JIT)
const rows = new Map(models.map((m) => [m.n, [[], [], [], []] as number[][]]));
for (let r = 0; r < ROUNDS; r++) for (const m of models) (await phases(m.bytes)).forEach((t, i) => rows.get(m.n)![i]!.push(t));
console.log(`conv-block chain, -O2, js backend, in process; medians of ${ROUNDS} rounds (${new Date().toISOString()})`);
console.log('blocks\tnodes\tload ms\toptimize ms\tcompile ms\ttotal ms\tµs/node load\toptimize\tcompile\ttotal');
for (const m of models) {
  const med = rows.get(m.n)!.map(median);
  console.log([m.n, m.nodes, ...med.map((t) => t.toFixed(1)), ...med.map((t) => (1000 * t / m.nodes).toFixed(0))].join('\t'));
}
