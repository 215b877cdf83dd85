// `npx tsx bench/optimizer.ts`: what layerc's -O2 optimizer buys at run time, measured with onnxruntime-node
// (CPU, 1 thread), and how the optimizer's own time grows with graph size.
//  1. Per model (the fixture models, plus the bench's ResNet-18 / MobileNetV2 of ./models.ts): median batch-1
//     latency of (a) the original with ORT graph optimizations disabled, (b) our -O2 export with them
//     disabled, (c) the original with ORT 'basic' and 'all', and (d) ours with 'all'. The variants run
//     round-robin (one run each per round) so the VM's drift hits them alike; outputs of (b) are checked
//     against (a).
//  2. Scaling: Conv+BatchNormalization+Relu chains of 1k/10k/100k nodes; optimize() -O2 wall time, the time
//     inside the passes, and the rest (shape re-inference and verify() after every pass).
//   npx tsx bench/optimizer.ts [--runs N] [--models a,b] [--sizes 1000,10000] [--skip-ort] [--skip-scaling]
import * as ort from 'onnxruntime-node';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../src/ops/index.ts';
import { Graph, type Value } from '../src/ir/graph.ts';
import { Tensor } from '../src/ir/tensor.ts';
import { inferShapes } from '../src/ir/infer.ts';
import { importOnnx } from '../src/frontend/onnx.ts';
import { exportOnnx } from '../src/export/onnx.ts';
import { optimize } from '../passes/index.ts';
import { mobilenetV2, resnet18 } from './models.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(HERE, '..', '..', 'shared', 'fixtures', 'models');
const arg = (name: string, def: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1]! : def; };
const RUNS = Number(arg('--runs', '30'));

function models(): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const m of ['lenet_bn', 'mlp_bn', 'squeezenet1_1']) out[m] = readFileSync(join(FIXTURES, m, 'model.onnx'));
  const cache = join(HERE, '.models');
  mkdirSync(cache, { recursive: true });
  for (const [name, make] of Object.entries({ resnet18, mobilenetv2: mobilenetV2 })) {
    const p = join(cache, `${name}.onnx`);
    if (!existsSync(p)) writeFileSync(p, make());
    out[name] = readFileSync(p);
  }
  const only = arg('--models', '');
  return only ? Object.fromEntries(Object.entries(out).filter(([k]) => only.split(',').includes(k))) : out;
}

let seed = 7;
const rnd = () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 2 ** 32; };

async function session(bytes: Uint8Array, level: 'disabled' | 'basic' | 'all') {
  return ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: level });
}

function feedsFor(g: Graph): Record<string, ort.Tensor> {
  return Object.fromEntries(g.inputs.filter((v) => !v.const).map((v) => {
    const shape = v.type.shape!.map((d) => (typeof d === 'number' ? d : 1));
    return [v.name, new ort.Tensor('float32', Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rnd() * 2 - 1), shape)];
  }));
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]!; };
const fmt = (ms: number) => (ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));

async function latency(): Promise<void> {
  console.log(`onnxruntime-node ${ort.env.versions?.common ?? ''} CPU, 1 thread, batch 1 (fixture batch sizes), median of ${RUNS} round-robin runs, ms`);
  console.log('| model | nodes orig -> -O2 | optimize ms | (a) orig, ORT off | (b) -O2, ORT off | (c) orig, ORT basic | (c) orig, ORT all | (d) -O2, ORT all | a/b | a/basic | b vs basic | max abs diff b-a |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [name, bytes] of Object.entries(models())) {
    const g = importOnnx(bytes);
    const before = g.nodes.length;
    const t0 = performance.now();
    optimize(g, { level: 2 });
    const optMs = performance.now() - t0;
    const ours = exportOnnx(g);
    const variants = {
      a: await session(bytes, 'disabled'), b: await session(ours, 'disabled'),
      basic: await session(bytes, 'basic'), all: await session(bytes, 'all'), oursAll: await session(ours, 'all'),
    };
    const feeds = feedsFor(g);
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    let diff = 0;
    for (let r = -3; r < RUNS; r++) {
      for (const [k, s] of Object.entries(variants)) {
        const t = performance.now();
        const out = await s.run(feeds);
        if (r >= 0) times[k]!.push(performance.now() - t);
        if (r === -3 && k === 'b') {
          const ref = await variants.a.run(feeds);
          for (const o of Object.keys(ref)) {
            const x = ref[o]!.data as Float32Array, y = out[o]!.data as Float32Array;
            for (let i = 0; i < x.length; i++) diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
          }
        }
      }
    }
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<keyof typeof variants, number>;
    const ratios = `${(m.a / m.b).toFixed(2)}x | ${(m.a / m.basic).toFixed(2)}x | ${(m.basic / m.b).toFixed(2)}x`;
    console.log(`| ${name} | ${before} -> ${g.nodes.length} | ${optMs.toFixed(0)} | ${fmt(m.a)} | ${fmt(m.b)} | ${fmt(m.basic)} | ${fmt(m.all)} | ${fmt(m.oursAll)} | ${ratios} | ${diff.toExponential(1)} |`);
    for (const s of Object.values(variants)) await s.release();
  }
}

/** Conv(1x1, 4 channels) -> BatchNormalization -> Relu, repeated: `nodes` nodes in all, distinct weights. */
function chain(nodes: number): Graph {
  const g = new Graph('chain');
  let x: Value = g.addInput('x', { dtype: 'float32', shape: [1, 4, 4, 4] });
  const c = 4;
  const t = (shape: number[], lo: number) => g.addConst('p', Tensor.fromArray('float32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + rnd())));
  for (let i = 0; i + 3 <= nodes; i += 3) {
    x = g.addNode('Conv', [x, t([c, c, 1, 1], -0.5)]).outputs[0]!;
    x = g.addNode('BatchNormalization', [x, t([c], 0.5), t([c], -0.5), t([c], -0.5), t([c], 0.5)]).outputs[0]!;
    x = g.addNode('Relu', [x]).outputs[0]!;
  }
  g.outputs = [x];
  return inferShapes(g);
}

const CLEANUP = ['fold-constants', 'eliminate-identity', 'eliminate-common-subexpressions', 'eliminate-dead-code'];

function scaling(): void {
  const sizes = arg('--sizes', '1000,10000,100000').split(',').map(Number);
  console.log('\noptimize() -O2 on Conv+BN+Relu chains (wall ms; passes = time inside the passes; rest = re-inference + verify after each pass)');
  console.log('| nodes | -> nodes | total ms | passes ms | rest ms | per node µs | cleanup passes ms | slowest passes |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const n of sizes) {
    const g = chain(n);
    const t0 = performance.now();
    const { reports } = optimize(g, { level: 2 });
    const total = performance.now() - t0;
    const inPasses = reports.reduce((a, r) => a + r.ms, 0);
    const cleanup = reports.filter((r) => CLEANUP.includes(r.pass)).reduce((a, r) => a + r.ms, 0);
    const slow = [...reports].sort((a, b) => b.ms - a.ms).slice(0, 3).map((r) => `${r.pass} ${r.ms.toFixed(0)}`).join(', ');
    console.log(`| ${n} | ${g.nodes.length} | ${total.toFixed(0)} | ${inPasses.toFixed(0)} | ${(total - inPasses).toFixed(0)} | ${(1000 * total / n).toFixed(1)} | ${cleanup.toFixed(0)} | ${slow} |`);
  }
}

if (!process.argv.includes('--skip-ort')) await latency();
if (!process.argv.includes('--skip-scaling')) scaling();
