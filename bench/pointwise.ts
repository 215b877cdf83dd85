// GFLOP/s of the NCHWc4 pointwise micro-kernel (runtime/js/wasm/blocked-pointwise.ts) alone on MobileNetV2's 1x1
// shapes (K input channels -> M output channels on P pixels, blocked in and out), with no epilogue and with the
// models' bias + ReLU6, one thread, the best of repeated timing loops (on a shared machine the best run is what the
// kernel does), beside this machine's wasm SIMD ceiling (./simd-ceiling.ts). Where the two columns part, the
// epilogue's share shows (small K: 16-32 multiply-adds per output against bias, clip and store).
//   node --import tsx bench/pointwise.ts [--runs 25]
import { emitBlockedPointwise, packPointwiseWeights } from '../runtime/js/wasm/blocked-pointwise.ts';
import { encodeModule } from '../runtime/js/wasm/encode.ts';
import type { SimdStep } from '../runtime/js/wasm/simd-act.ts';
import { simdCeiling } from './simd-ceiling.ts';

const SHAPES: [number, number, number][] = [
  [16, 96, 12544], [24, 144, 3136], [144, 24, 3136], [32, 192, 784], [192, 32, 784], [64, 384, 196], [384, 64, 196],
  [96, 576, 196], [576, 96, 196], [160, 960, 49], [960, 160, 49], [960, 320, 49], [320, 1280, 49],
];
const i = process.argv.indexOf('--runs'), RUNS = i >= 0 ? Number(process.argv[i + 1]) : 25;
const RELU6: SimdStep[] = [{ kind: 'add', per: 'row' }, { kind: 'act', name: 'Clip', params: { min: 0, max: 6 } }];

/** A timed call of the kernel on one shape (all output block pairs, all pixels). */
function kernel(K: number, M: number, P: number, steps: SimdStep[]): () => void {
  const xB = K * P * 4, wB = K * M * 4, yB = M * P * 4;
  const pages = Math.ceil((xB + wB + yB + M * 4 + 65536) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const code = emitBlockedPointwise({ K, M, P, input: 'nchwc4', output: 'nchwc4', steps });
  const mod = new WebAssembly.Module(encodeModule([{ name: 'pw', code }], { initial: pages, maximum: pages, shared: false }) as BufferSource);
  const pw = new WebAssembly.Instance(mod, { env: { memory } }).exports.pw as (...a: number[]) => void;
  const F = new Float32Array(memory.buffer);
  for (let j = 0; j < K * P; j++) F[j] = ((j * 7919) % 1000) / 1000 - 0.5;
  F.set(packPointwiseWeights(Float32Array.from({ length: K * M }, (_, j) => ((j * 104729) % 1000) / 1000 - 0.5), M, K), xB / 4);
  return () => pw(0, xB, xB + wB, 0, Math.ceil(M / 8), 0, P, ...(steps.length ? [xB + wB + yB] : []));
}

const { loadavg } = await import('node:os');
console.log(`load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; best of ${RUNS}; ceiling ${simdCeiling(RUNS).toFixed(1)} GFLOP/s`);
console.log('K->M x pixels'.padEnd(20), 'no epilogue'.padStart(12), 'bias+ReLU6'.padStart(12));
const logs = [0, 0];
for (const [K, M, P] of SHAPES) {
  const fs = [kernel(K, M, P, []), kernel(K, M, P, RELU6)], flops = 2 * K * M * P, reps = Math.max(1, Math.round(3e7 / flops));
  const best = [Infinity, Infinity];
  for (let r = 0; r < RUNS; r++) fs.forEach((f, j) => { const t0 = performance.now(); for (let k = 0; k < reps; k++) f(); best[j] = Math.min(best[j]!, (performance.now() - t0) / reps); });
  const gf = best.map((t) => flops / t / 1e6);
  gf.forEach((g, j) => (logs[j]! += Math.log(g) / SHAPES.length));
  console.log(`${K}->${M} x ${P}`.padEnd(20), ...gf.map((g) => g.toFixed(1).padStart(12)));
}
console.log('geomean'.padEnd(20), ...logs.map((l) => Math.exp(l).toFixed(1).padStart(12)));
