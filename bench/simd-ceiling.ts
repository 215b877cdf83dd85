// The wasm SIMD ceiling of this machine, measured rather than assumed: the f32x4.add rate of 12 independent
// accumulator chains times 8 flops. Each multiply-add of a GEMM step is one f32x4.mul and one f32x4.add (wasm
// SIMD has no FMA without relaxed SIMD, behind a flag in Node 20), and the mul issues on separate pipes (Zen 4/5:
// 2 FADD + 2 FMUL), so the add rate bounds the GEMM: 2 adds x 4 lanes x 2 flops = 16 flops per cycle. Native code
// with AVX-512 FMA (onnxruntime's MLAS on this CPU) issues 2 FMAs x 16 lanes x 2 flops = 64 per cycle: 4x.
// Used by bench/gemm.ts and bench/layers-vs-ort.ts.
import { Code, I32, V128, encodeModule } from '../runtime/js/wasm/encode.ts';

/** GFLOP/s-equivalent ceiling, best of `runs`. */
export function simdCeiling(runs = 7): number {
  const code = new Code([I32]);
  const n = code.local(I32), acc = Array.from({ length: 12 }, () => code.local(V128)), one = code.local(V128);
  code.f32(1e-9).op('f32x4.splat').set(one).get(0).set(n).loop();
  for (let u = 0; u < 4; u++) for (const a of acc) code.get(a).get(one).op('f32x4.add').set(a);
  code.addTo(n, -1).get(n).brIf(0).op('end');
  acc.forEach((a, i) => code.i32(16 * i).get(a).mem('v128.store'));
  const mod = new WebAssembly.Module(encodeModule([{ name: 'f', code }], { initial: 1, maximum: 1, shared: false }) as BufferSource);
  const f = new WebAssembly.Instance(mod, { env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 1 }) } }).exports.f as (n: number) => void;
  const iters = 2e6;
  f(iters);
  let best = Infinity;
  for (let r = 0; r < runs; r++) { const t0 = performance.now(); f(iters); best = Math.min(best, performance.now() - t0); }
  return (iters * 48 * 8) / best / 1e6;
}
