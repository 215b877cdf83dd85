// The Winograd filter transform alone (runtime/js/kernels/winograd-weights.ts, the wasm path a program's instantiation
// takes): ResNet-18's 13 stride-1 3x3 layers (64-512 channels, F(4x4), panels of 4 rows for 64/128 channels and 8 for
// 256/512 as the kernels pick them; 151 MB of transformed weights) written into one warm WebAssembly memory, process
// CPU time per pass, median and minimum of N. With --against DIR (another checkout, see ./same-program.ts's header)
// that tree's transform runs too, the two alternating pass by pass; `sample` hashes every 97th value, so equal hashes
// say the trees wrote the same values there (./same-program.ts checks every byte).
//   node --import tsx bench/filter-transform.ts [--rounds 9] [--against DIR]
import { fileURLToPath } from 'node:url';

const arg = (name: string, def: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1]! : def; };
const ROUNDS = Number(arg('--rounds', '9')), BASE = arg('--against', '');
const HERE = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

const layers: [channels: number, rows: number][] = [[64, 4], [64, 4], [64, 4], [64, 4], [128, 4], [128, 4], [128, 4],
  [256, 8], [256, 8], [256, 8], [512, 8], [512, 8], [512, 8]];
const weights = layers.map(([c]) => Float32Array.from({ length: c * c * 9 }, (_, i) => Math.sin(i * 0.37) * 0.1));

/** One pass of `root`'s transform over every layer: CPU ms and a sample hash of what it wrote. */
async function transformer(root: string) {
  const { winogradWeights } = await import(`${root}/runtime/js/kernels/winograd-weights.ts`);
  const { F4 } = await import(`${root}/runtime/js/wasm/winograd-matrices.ts`);
  const writers = layers.map(([c, R], i) => winogradWeights(F4, weights[i]!, c, c, R));
  const total = writers.reduce((n: number, w: { length: number }) => n + w.length, 0), scratchBytes = 8 << 20;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((total * 4 + scratchBytes) / 65536), maximum: 65536 });
  return () => {
    const c0 = cpuMs();
    let at = 0;
    for (const w of writers) {
      w.write(new Float32Array(memory.buffer, at * 4, w.length), { memory, shared: false, at: at * 4, scratch: total * 4, scratchBytes, dirty: false });
      at += w.length;
    }
    const ms = cpuMs() - c0, F = new Float32Array(memory.buffer, 0, total);
    let h = 0;
    for (let i = 0; i < total; i += 97) h = (h * 31 + F[i]! * 1e6) % 1e9;
    return { ms, sample: h, mb: (total * 4) / 1e6 };
  };
}

const trees = [{ name: 'this', run: await transformer(HERE) }];
if (BASE) trees.push({ name: 'against', run: await transformer(BASE) });
const results = trees.map(() => [] as { ms: number; sample: number; mb: number }[]);
for (let r = 0; r < ROUNDS + 1; r++) trees.forEach((t, i) => { const x = t.run(); if (r > 0) results[i]!.push(x); }); // round 0: warm-up
trees.forEach((t, i) => {
  const ms = results[i]!.map((x) => x.ms).sort((a, b) => a - b), last = results[i]!.at(-1)!;
  console.log(`${t.name}: 13 layers, ${last.mb.toFixed(0)} MB: median ${ms[ms.length >> 1]!.toFixed(1)} ms CPU, min ${ms[0]!.toFixed(1)} (sample ${last.sample})`);
});
