// GFLOP/s of the packed wasm GEMM micro-kernel (runtime/js/wasm/gemm.ts) alone, on the matrix shapes the
// convolutions of ResNet-18, SqueezeNet 1.1 and MobileNetV2 produce (M output channels x K reduction x
// N output pixels), one thread, median of repeated runs. Packing is excluded: this measures the kernel.
// The first line is the ceiling: the f32x4.add rate of 12 independent accumulators times 8 flops (each add of a
// GEMM step pairs with one f32x4.mul, which issues on separate pipes: Zen 4/5 have 2 FADD + 2 FMUL), against
// which the kernel's GFLOP/s read as a fraction.
//   node --import tsx bench/gemm.ts [--tiles 4x2,4x3,6x2,8x2] [--runs 7]
import { emitGemm } from '../runtime/js/wasm/gemm.ts';
import { encodeModule } from '../runtime/js/wasm/encode.ts';
import { simdCeiling } from './simd-ceiling.ts';

const SHAPES: [string, number, number, number][] = [
  ['resnet18 conv1 7x7/2', 64, 147, 12544],
  ['resnet18 3x3 64', 64, 576, 3136],
  ['resnet18 3x3 128', 128, 1152, 784],
  ['resnet18 3x3 256', 256, 2304, 196],
  ['resnet18 3x3 512', 512, 4608, 49],
  ['resnet18 1x1/2 256', 256, 128, 196],
  ['squeezenet expand3x3', 64, 144, 3025],
  ['squeezenet squeeze', 16, 128, 3025],
  ['squeezenet late 3x3', 256, 576, 169],
  ['mobilenetv2 expand 1x1', 96, 16, 12544],
  ['mobilenetv2 project 1x1', 24, 144, 3136],
  ['mobilenetv2 late 1x1', 320, 960, 49],
];

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
// MRxV[uU]: MR rows, V f32x4 column vectors, K unrolled U times.
const tiles = arg('--tiles', '4x2').split(',').map((t) => t.split(/[xu]/).map(Number) as [number, number, number?]);
const runs = Number(arg('--runs', '7'));

/** [median, best] GFLOP/s of one kernel on one shape. */
function measure(M: number, K: number, N: number, MR: number, V: number, unroll?: number): [number, number] {
  const NR = 4 * V, mbs = Math.ceil(M / MR), nbs = Math.ceil(N / NR);
  const aBytes = mbs * K * MR * 4, bBytes = nbs * K * NR * 4, cBytes = M * N * 4;
  const pages = Math.ceil((aBytes + bBytes + cBytes + 65536) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const code = emitGemm({ M, N, K, MR, V, ldc: N, steps: [], rowsOuter: M > N, unroll });
  const mod = new WebAssembly.Module(encodeModule([{ name: 'gemm', code }], { initial: pages, maximum: pages, shared: false }) as BufferSource);
  const gemm = new WebAssembly.Instance(mod, { env: { memory } }).exports.gemm as (...a: number[]) => void;
  const F = new Float32Array(memory.buffer);
  for (let i = 0; i < (aBytes + bBytes) / 4; i++) F[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  const flops = 2 * M * N * K;
  const reps = Math.max(1, Math.round(2e8 / flops));
  const call = () => gemm(0, aBytes, aBytes + bBytes, 0, mbs, 0, nbs);
  for (let i = 0; i < 2 * reps; i++) call();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) call();
    times.push((performance.now() - t0) / reps);
  }
  times.sort((a, b) => a - b);
  return [flops / times[runs >> 1]! / 1e6, flops / times[0]! / 1e6];
}

const { loadavg } = await import('node:os');
// On a shared machine the median includes time stolen by other processes; the best run shows what the kernel does.
console.log(`load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; GFLOP/s median (best) of ${runs}; tiles MR x NR`);
console.log(`ceiling (f32x4.add rate x 8, best of ${runs}): ${simdCeiling(runs).toFixed(1)} GFLOP/s`);
console.log(['shape (MxKxN)'.padEnd(40), ...tiles.map(([m, v, u]) => `${m}x${4 * v}${u ? `u${u}` : ''}`.padStart(14))].join(''));
const sums = tiles.map(() => [0, 0]);
const cell = ([med, best]: number[]) => `${med!.toFixed(1)} (${best!.toFixed(1)})`.padStart(14);
for (const [name, M, K, N] of SHAPES) {
  const row = tiles.map(([mr, v, u], i) => {
    const g = measure(M, K, N, mr, v, u);
    sums[i]![0] += Math.log(g[0]) / SHAPES.length; sums[i]![1] += Math.log(g[1]) / SHAPES.length;
    return g;
  });
  console.log([`${name} ${M}x${K}x${N}`.padEnd(40), ...row.map(cell)].join(''));
}
console.log(['geomean'.padEnd(40), ...sums.map((s) => cell(s.map(Math.exp)))].join(''));
