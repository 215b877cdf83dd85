// The phases of getting an ONNX model ready to run on the js backend in process, timed one by one: load (the
// .onnx file -> IR, as `layerc run` and loadOnnxFile: read, decode, weights), optimize (-O2), compile (the
// library's compileFor: lowering, kernels, packed and transformed weights, wasm, memory plan, instantiation: the
// model is ready to run, as onnxruntime's session creation with its weight prepacking) and the first run (one inference on random input). `root` is a layerc checkout, so
// compile-time.ts can time another tree's phases beside this one's in the same process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Phases {
  loadMs: number; optimizeMs: number; compileMs: number; firstRunMs: number;
  /** The process's CPU time (user + system, all threads) from load to ready, and of the first run: on a loaded
   *  machine a steadier figure than the wall clock (a page fault's kernel time counts, waiting for a core does not). */
  readyCpuMs: number; firstRunCpuMs: number;
  /** MB of memory touched for the first time (minor page faults x 4 KiB) in load, optimize and compile: fresh
   *  pages cost ~13 µs each on this VM, so this is most of what getting a large model ready costs. */
  loadFreshMB: number; optimizeFreshMB: number; compileFreshMB: number;
}

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const faults = () => process.resourceUsage().minorPageFault;
const MB = (pages: number) => (pages * 4096) / 1e6;

export async function phaseTimer(root: string): Promise<(bytes: Uint8Array, opts: { winograd: boolean }) => Promise<Phases>> {
  await import(join(root, 'src/ops/index.ts'));
  const { loadOnnxFile } = await import(join(root, 'src/frontend/onnx.ts'));
  const files = new Map<Uint8Array, string>(); // each model written once to a temporary file (removed on exit)
  const fileOf = (bytes: Uint8Array) => {
    let f = files.get(bytes);
    if (!f) {
      const dir = mkdtempSync(join(tmpdir(), 'layerc-bench-'));
      process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
      f = join(dir, 'model.onnx');
      writeFileSync(f, bytes);
      files.set(bytes, f);
    }
    return f;
  };
  const { optimize } = await import(join(root, 'passes/index.ts'));
  const { compileFor } = await import(join(root, 'src/compile-for.ts'));
  const { Tensor } = await import(join(root, 'src/ir/tensor.ts'));
  return async (bytes, opts) => {
    const path = fileOf(bytes), c0 = cpuMs(), f0 = faults(), t0 = performance.now();
    const g = loadOnnxFile(path);
    const t1 = performance.now(), f1 = faults();
    optimize(g, { level: 2 });
    const t2 = performance.now(), f2 = faults();
    const model = await compileFor('js', g, { threads: 1, winograd: opts.winograd });
    const t3 = performance.now(), c3 = cpuMs(), f3 = faults();
    const x = g.inputs[0]!, shape = x.type.shape as number[];
    const feed = Tensor.zeros('float32', shape);
    for (let i = 0; i < feed.size; i++) feed.data[i] = Math.sin(i);
    await model.run({ [x.name]: feed });
    const t4 = performance.now(), c4 = cpuMs();
    await model.dispose();
    return { loadMs: t1 - t0, optimizeMs: t2 - t1, compileMs: t3 - t2, firstRunMs: t4 - t3, readyCpuMs: c3 - c0, firstRunCpuMs: c4 - c3,
      loadFreshMB: MB(f1 - f0), optimizeFreshMB: MB(f2 - f1), compileFreshMB: MB(f3 - f2) };
  };
}
