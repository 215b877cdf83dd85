// Where a tiled Winograd F(4x4,3x3) conv's time goes (runtime/js/kernels/winograd.ts at 1 thread, its chunks laid out
// as buildWinograd lays them out): the padded phase-deinterleaved copy, the input transform, the 36 GEMMs (with their
// GFLOP/s) and the output transform with a bias + ReLU epilogue, each the best of 15 blocks of 10 runs, on
// SqueezeNet's four expand 3x3 shapes and ResNet-18's 64-channel layer. What to attack in a Winograd layer: the GEMMs
// (already near the ceiling, bench/gemm.ts) or the transforms and copy around them.
//   node --import tsx bench/winograd-phases.ts
import { emitGemm } from '../runtime/js/wasm/gemm.ts';
import { encodeModule } from '../runtime/js/wasm/encode.ts';
import { emitDeinterleave, emitInputTransform, emitOutputTransform } from '../runtime/js/wasm/winograd.ts';
import { F4 } from '../runtime/js/wasm/winograd-matrices.ts';
import { tilePlan, CHUNK_COLUMNS } from '../runtime/js/kernels/winograd.ts';
import type { SimdStep } from '../runtime/js/wasm/simd-act.ts';
const MR = 4, V = 2;
for (const [C, M, H] of [[16, 64, 55], [32, 128, 27], [48, 192, 13], [64, 256, 13], [64, 64, 56]]) {
  const c = { N: 1, C, M, H, W: H, OH: H, OW: H, PT: 1, PL: 1 };
  const p = tilePlan(c as never, F4), { t, TH, TWp } = p, { m, alpha } = t, xis = alpha * alpha;
  const TR0 = Math.max(1, Math.min(Math.ceil(CHUNK_COLUMNS / TWp), TH, TH));
  const chunks = Math.ceil(TH / TR0), TR = Math.ceil(TH / chunks);
  const Nc = TR * TWp, nbs = Math.ceil(Nc / 8), mbs = Math.ceil(M / MR);
  const rows = TR * m + 2, Q = Math.max(TWp + 1, Math.ceil((c.W + c.PL) / m));
  const xiStride = nbs * C * 8 + 16, mStride = M * Nc + 16;
  const xdFloats = C * rows * m * Q + 16, vbFloats = xis * xiStride + 16, mbFloats = xis * mStride + 16;
  const uFloats = xis * mbs * C * MR, xFloats = C * H * H, yFloats = M * H * H;
  const steps: SimdStep[] = [{ kind: 'add', per: 'row' }, { kind: 'act', name: 'Relu', params: {} }];
  const X = 0, U = X + xFloats + 16, XD = U + uFloats + 16, VB = XD + xdFloats, MB = VB + vbFloats, Y = MB + mbFloats, BIAS = Y + yFloats + 16, total = BIAS + M + 64;
  const pages = Math.ceil(total * 4 / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const fns = [
    { name: 'pad', code: emitDeinterleave({ m, C, H, W: H, PL: 1, Q, rows }) },
    { name: 'fin', code: emitInputTransform({ t, C, TWp, Q, rows, xiStride }) },
    { name: 'gemm', code: emitGemm({ M, N: Nc, K: C, MR, V, ldc: Nc, steps: [], rowsOuter: M > Nc }) },
    { name: 'fout', code: emitOutputTransform({ t, M, OH: H, OW: H, TWp, N: Nc, xiStride: mStride, steps }) },
  ];
  const mod = new WebAssembly.Module(encodeModule(fns, { initial: pages, maximum: pages, shared: false }) as BufferSource);
  const W = new WebAssembly.Instance(mod, { env: { memory } }).exports as Record<string, (...a: number[]) => void>;
  const F = new Float32Array(memory.buffer);
  for (let i = 0; i < total; i++) F[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  const uBytes = mbs * C * MR * 4;
  const phase = { pad: 0, fin: 0, gemm: 0, fout: 0 };
  const run = (timed: boolean) => {
    for (let k = 0; k < chunks; k++) {
      const ty0 = Math.floor(k * TH / chunks), tr = Math.floor((k + 1) * TH / chunks) - ty0;
      let t0 = performance.now();
      W.pad!(X * 4, XD * 4, ty0 * m - 1, tr * m + 2); let t1 = performance.now(); if (timed) phase.pad += t1 - t0; t0 = t1;
      W.fin!(XD * 4, VB * 4, tr); t1 = performance.now(); if (timed) phase.fin += t1 - t0; t0 = t1;
      const nb = (tr * TWp + 7) >> 3;
      for (let xi = 0; xi < xis; xi++) W.gemm!(U * 4 + xi * uBytes, (VB + xi * xiStride) * 4, (MB + xi * mStride) * 4, 0, mbs, 0, nb);
      t1 = performance.now(); if (timed) phase.gemm += t1 - t0; t0 = t1;
      W.fout!(MB * 4, Y * 4, ty0, tr, BIAS * 4); t1 = performance.now(); if (timed) phase.fout += t1 - t0;
    }
  };
  for (let r = 0; r < 20; r++) run(false);
  // Best of 15 blocks of 10 runs per phase.
  const best = { pad: Infinity, fin: Infinity, gemm: Infinity, fout: Infinity };
  for (let b = 0; b < 15; b++) {
    for (const k of Object.keys(phase) as (keyof typeof phase)[]) phase[k] = 0;
    for (let r = 0; r < 10; r++) run(true);
    for (const k of Object.keys(phase) as (keyof typeof phase)[]) best[k] = Math.min(best[k], phase[k] / 10);
  }
  const gf = 2 * xis * M * C * chunks * TR * TWp / 1e6;
  const sum = best.pad + best.fin + best.gemm + best.fout;
  console.log(`${C}->${M} ${H}x${H} (${chunks} chunks x ${TR} rows, Nc ${Nc}): total ${sum.toFixed(3)} ms = pad ${best.pad.toFixed(3)} + in ${best.fin.toFixed(3)} + gemm ${best.gemm.toFixed(3)} (${(gf / best.gemm).toFixed(1)} GF/s) + out ${best.fout.toFixed(3)}`);
}
