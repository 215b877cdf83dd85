// Builds the browser demo's assets into a public/ folder (Vite serves and copies it as is):
//   model/        LeNet-BN compiled by `layerc compile --target wgsl` (emitModule) after -O2, batch fixed
//   model-js/     the same graph compiled by `layerc compile --target js` (one thread): the page's fallback without WebGPU
//   graph.svg     the graph as written and after -O2 (BN folded into convs, epilogues fused): `layerc viz`'s renderSvg
//   samples.json  the first test images of the bundled Fashion-MNIST subset (pixels / 255, as in training) + labels
//   meta.json     which weights the model carries: a `layerc train` checkpoint, or the DSL's seeded (untrained) init
// Usage: npx tsx examples/web/build-assets.ts [--checkpoint lenet.safetensors | --train-epochs N] [--out DIR]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../src/frontend/load.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { optimize } from '../../passes/index.ts';
import { renderSvg } from '../../src/cli/viz.ts';
import { fixInputShapes } from '../../src/cli/bench.ts';
import { loadDataset } from '../../src/train/loop/data.ts';
import { writeFileAtomic } from '../../src/io/atomic.ts';
import { emitModule } from '../../runtime/wgsl/emit-module.ts';
import { emitModule as emitJsModule } from '../../runtime/js/emit-module.ts';
import { WGSL_CAPABILITIES } from '../../runtime/wgsl/index.ts';
import { JS_CAPABILITIES } from '../../runtime/js/index.ts';
import { lowerInPlace } from '../../passes/pipelines.ts';
import type { BackendCapabilities } from '../../src/ops/backend-capabilities.ts';
import type { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
export const MODEL = join(ROOT, 'examples/lenet_bn.layers');

export interface DemoOptions {
  /** The public/ folder to write into. */
  out: string;
  /** A `layerc train` checkpoint of examples/lenet_bn.layers. */
  checkpoint?: string;
  /** Without a checkpoint: train this many epochs on the bundled subset first (0: seeded weights). */
  trainEpochs?: number;
  /** Images classified per run (the compiled batch). */
  batch?: number;
}

export interface DemoMeta { trained: boolean; weights: string; batch: number; testAccuracy?: string }

export interface DemoAssets {
  meta: DemoMeta;
  /** The optimized, batch-fixed graph that was compiled, and the feed the page runs (for checks). */
  graph: Graph;
  feeds: Record<string, Tensor>;
}

/** Trains LeNet-BN on the bundled Fashion-MNIST subset with `layerc train` (JS backend); returns the checkpoint and its summary line. */
export function trainCheckpoint(epochs: number): { path: string; summary: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'layerc-web-train-'));
  const path = join(dir, 'lenet_bn.safetensors');
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/layerc.js'), 'train', MODEL, '--data', 'fashion-mnist-subset', '--loss', 'cross-entropy',
    '--optimizer', 'momentum', '--lr', '0.05', '--batch', '64', '--epochs', String(epochs), '--backend', 'js', '--threads', '1', '--checkpoint', path],
  { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) throw new Error(`layerc train failed: ${r.stderr}`);
  const summary = r.stdout.trim().split('\n').filter((l) => /accuracy/.test(l)).pop() ?? '';
  return { path, summary, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function buildDemoAssets(o: DemoOptions): Promise<DemoAssets> {
  const batch = o.batch ?? 8;
  let checkpoint = o.checkpoint, summary: string | undefined, cleanup = () => {};
  if (!checkpoint && (o.trainEpochs ?? 0) > 0) {
    const t = trainCheckpoint(o.trainEpochs!);
    checkpoint = t.path; summary = t.summary; cleanup = t.cleanup;
  }
  try {
    const before = await loadModel(MODEL, { seed: 0, weights: checkpoint });
    const after = cloneGraph(before);
    optimize(after, { level: 2 });
    const svg = await renderSvg([{ title: 'LeNet-BN as written', graph: before }, { title: 'after -O2 (BN folded, epilogues fused)', graph: after }]);
    fixInputShapes(after, batch);
    const put = (name: string, data: string | Uint8Array) => writeFileAtomic(join(o.out, name), data, { force: true });
    // Each target's module is emitted from a copy lowered for that backend's capabilities (as `layerc compile` does).
    const lowered = (caps: BackendCapabilities) => { const c = cloneGraph(after); lowerInPlace(c, caps); return c; };
    for (const f of emitModule(lowered(WGSL_CAPABILITIES))) put(`model/${f.name}`, f.data);
    for (const f of emitJsModule(lowered(JS_CAPABILITIES), { threads: 1 })) put(`model-js/${f.name}`, f.data);
    put('graph.svg', svg);
    const test = loadDataset('fashion-mnist-subset').test!;
    const px = 28 * 28;
    const images = Array.from({ length: batch }, (_, i) => Array.from(test.x.data.subarray(i * px, (i + 1) * px), (v) => Math.round(v * 255) / 255));
    put('samples.json', JSON.stringify({ input: after.inputs[0]!.name, images, labels: Array.from(test.y.data.subarray(0, batch)) }));
    const m = /accuracy ([\d.]+ %)/.exec(summary ?? '');
    const meta: DemoMeta = checkpoint
      ? { trained: true, weights: o.checkpoint ? `checkpoint ${o.checkpoint}` : `trained here: ${o.trainEpochs} epochs of layerc train on the 2000-image subset`, batch, ...(m ? { testAccuracy: m[1] } : {}) }
      : { trained: false, weights: 'seeded initialization of the DSL model (UNTRAINED: predictions are arbitrary)', batch };
    put('meta.json', JSON.stringify(meta));
    const x = new Tensor('float32', [batch, 1, 28, 28], Float32Array.from(images.flat()));
    return { meta, graph: after, feeds: { [after.inputs[0]!.name]: x } };
  } finally { cleanup(); }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const checkpoint = opt('--checkpoint');
  if (checkpoint && !existsSync(checkpoint)) throw new Error(`no checkpoint ${checkpoint}`);
  const { meta } = await buildDemoAssets({ out: opt('--out') ?? join(HERE, 'public'), checkpoint, trainEpochs: Number(opt('--train-epochs') ?? (checkpoint ? 0 : 3)) });
  console.log(`wrote ${opt('--out') ?? join(HERE, 'public')}: ${meta.weights}${meta.testAccuracy ? ` (test accuracy ${meta.testAccuracy})` : ''}`);
}
