// The three phases of getting an ONNX model ready to run on the js backend in process, timed one by one: load
// (bytes -> IR), optimize (-O2) and compile (kernels, packed weights, wasm, memory plan). `root` is a layerc
// checkout, so compile-time.ts can time another tree's phases beside this one's in the same process.
import { join } from 'node:path';

export interface Phases { loadMs: number; optimizeMs: number; compileMs: number }

export async function phaseTimer(root: string, opts: { winograd: boolean }): Promise<(bytes: Uint8Array) => Phases> {
  await import(join(root, 'src/ops/index.ts'));
  const { importOnnx } = await import(join(root, 'src/frontend/onnx.ts'));
  const { optimize } = await import(join(root, 'passes/index.ts'));
  const { compileProgram } = await import(join(root, 'runtime/js/index.ts'));
  return (bytes) => {
    const t0 = performance.now();
    const g = importOnnx(bytes);
    const t1 = performance.now();
    optimize(g, { level: 2 });
    const t2 = performance.now();
    compileProgram(g, { threads: 1, winograd: opts.winograd });
    const t3 = performance.now();
    return { loadMs: t1 - t0, optimizeMs: t2 - t1, compileMs: t3 - t2 };
  };
}
