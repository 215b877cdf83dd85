// Whether this tree compiles the same js program as another checkout (a commit before a change, unpacked with
// `git archive <commit> | tar -x -C DIR`, node_modules linked in, `npm run build:grammar`): for ResNet-18
// (./models.ts) and each .onnx given, loaded and optimized (-O2) and lowered by each tree's own code, the program's
// wasm module, its JS source, the weights' layout, and the whole memory once every constant is written (packed and
// Winograd-transformed weights included) are compared byte for byte, at 1 and 2 threads and with Winograd off. A
// compile-time change that is meant to change nothing (deferred folds, packing into memory, shared wasm bodies)
// prints `same` on every line; anything else names what differs.
//   node --import tsx bench/same-program.ts --against DIR [model.onnx ...]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resnet18 } from './models.ts';

const at = process.argv.indexOf('--against'), BASE = at > 0 ? process.argv[at + 1]! : '';
if (!BASE) throw new Error('bench/same-program.ts: --against DIR (a checkout of the tree to compare with) is required');
const HERE = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const dir = mkdtempSync(join(tmpdir(), 'layerc-same-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const r18 = join(dir, 'resnet18.onnx');
writeFileSync(r18, resnet18());
const files = [r18, ...process.argv.slice(2).filter((a, i, all) => a !== '--against' && all[i - 1] !== '--against')];

interface Opts { threads: number; winograd?: boolean }

/** The program `root` compiles for `file` and its memory with every constant written (arena zero). */
async function program(root: string, file: string, opts: Opts) {
  await import(`${root}/src/ops/index.ts`);
  const { loadOnnxFile } = await import(`${root}/src/frontend/onnx.ts`);
  const { optimize } = await import(`${root}/passes/index.ts`);
  const { specialize } = await import(`${root}/runtime/compile.ts`);
  const { lowering } = await import(`${root}/passes/pipelines.ts`);
  const { JS_CAPABILITIES } = await import(`${root}/runtime/js/index.ts`);
  const { buildProgram } = await import(`${root}/runtime/js/program.ts`);
  const { writeConst } = await import(`${root}/runtime/js/kernel.ts`);
  const g = loadOnnxFile(file);
  optimize(g, { level: 2 });
  const p = buildProgram(specialize(g, null, false, lowering(JS_CAPABILITIES)), { training: false, simd: true, ...opts });
  const shared = opts.threads > 1;
  const memory = new WebAssembly.Memory({ initial: p.memoryBytes / 65536, maximum: 65536, shared } as WebAssembly.MemoryDescriptor);
  const F = new Float32Array(memory.buffer);
  const ctx = { memory, shared, at: 0, scratch: p.arena, scratchBytes: p.plan.peakBytes, dirty: false };
  for (const w of p.weights) { ctx.at = w.offset; writeConst(w.data, F.subarray(w.offset / 4, w.offset / 4 + w.data.length), ctx); }
  F.fill(0, p.arena / 4, (p.arena + p.plan.peakBytes) / 4); // writers may stage there (the executor zeroes it too)
  return {
    wasm: Buffer.from(p.wasm as Uint8Array), source: p.source as string,
    layout: JSON.stringify((p.weights as { offset: number; data: { length: number } }[]).map((w) => [w.offset, w.data.length])),
    memory: Buffer.from(memory.buffer),
  };
}

let differ = 0;
for (const file of files) {
  for (const opts of [{ threads: 1 }, { threads: 2 }, { threads: 1, winograd: false }] as Opts[]) {
    const a = await program(HERE, file, opts), b = await program(BASE, file, opts);
    const diff = (['wasm', 'source', 'layout', 'memory'] as const).filter((k) => (typeof a[k] === 'string' ? a[k] !== b[k] : !(a[k] as Buffer).equals(b[k] as Buffer)));
    differ += diff.length ? 1 : 0;
    console.log(`${file === r18 ? 'ResNet-18' : file} ${JSON.stringify(opts)}: ${diff.length ? `DIFFERENT ${diff.join(', ')}` : 'same'} (wasm ${a.wasm.length} B, memory ${(a.memory.length / 1e6).toFixed(1)} MB)`);
  }
}
process.exit(differ ? 1 : 0);
