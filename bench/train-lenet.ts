// Benchmark: LeNet-BN training throughput (images/s): layerc (reference interpreter, js backend at 1 and 2
// threads) vs TensorFlow.js (@tensorflow/tfjs with its wasm backend, and its pure-JS cpu backend), the same
// model (d2l 5.10 LeNet-BN, sigmoid), batch 256, plain SGD, softmax cross-entropy, on the same Fashion-MNIST
// batches, in one run on the same machine. Every runtime does WARMUP untimed steps, then the median of the
// timed steps is reported with the ratio layerc-js / each tfjs backend. tfjs-wasm lacks one training kernel
// (Conv2DBackpropFilter); bench/tfjs-wasm-shim.ts supplies it from tfjs-wasm's own Conv2D and Transpose. A backend that cannot train the model
// is reported with its error instead of a number. Usage:
//   npx tsx bench/train-lenet.ts [--steps 12] [--reference-steps 3] [--only js1,js2,reference,tfjs-wasm,tfjs-cpu]
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { compileDslFile } from '../src/frontend/dsl.ts';
import { loadDataset, batches } from '../src/train/loop/data.ts';
import { buildTrainingGraph } from '../passes/split-train-infer.ts';
import { Trainer } from '../src/train/loop/trainer.ts';
import { registerWasmConvFilterGrad } from './tfjs-wasm-shim.ts';

const arg = (name: string, def: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : def; };
const STEPS = Number(arg('steps', '12')), REF_STEPS = Number(arg('reference-steps', '3')), BATCH = 256, WARMUP = 2;
const ONLY = arg('only', 'js1,js2,reference,tfjs-wasm,tfjs-cpu').split(',');
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const data = loadDataset('fashion-mnist');
const batchList = [...batches(data.train, BATCH, 0, 0)].slice(0, STEPS + WARMUP);

/** Median images/s over the timed steps of `step` (steps WARMUP.. of `n`). */
async function timeSteps(n: number, step: (k: number) => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let k = 0; k < n + WARMUP; k++) {
    const t0 = performance.now();
    await step(k);
    if (k >= WARMUP) times.push(performance.now() - t0);
  }
  return BATCH / (median(times) / 1000);
}

async function tfjs(backend: 'wasm' | 'cpu'): Promise<number> {
  await tf.setBackend(backend);
  await tf.ready();
  if (backend === 'wasm') registerWasmConvFilterGrad(); // see tfjs-wasm-shim.ts: the one kernel wasm lacks
  const sig = () => tf.layers.activation({ activation: 'sigmoid' });
  const bn = () => tf.layers.batchNormalization({ axis: -1 });
  const model = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5 }), bn(), sig(), tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
    tf.layers.conv2d({ filters: 16, kernelSize: 5 }), bn(), sig(), tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
    tf.layers.flatten(), tf.layers.dense({ units: 120 }), bn(), sig(), tf.layers.dense({ units: 84 }), bn(), sig(), tf.layers.dense({ units: 10 }),
  ] });
  model.compile({ optimizer: tf.train.sgd(0.1), loss: tf.losses.softmaxCrossEntropy });
  // NHWC inputs and one-hot labels prepared outside the timed region (layerc gets its batches ready-made too).
  const xs = batchList.map((b) => tf.tensor4d(b.x.data as Float32Array, [BATCH, 28, 28, 1]));
  const ys = batchList.map((b) => tf.oneHot(tf.tensor1d(Array.from(b.y.data), 'int32'), 10));
  try {
    return await timeSteps(backend === 'cpu' ? REF_STEPS : STEPS, async (k) => { await model.trainOnBatch(xs[k], ys[k]); });
  } finally { tf.dispose([...xs, ...ys]); model.dispose(); }
}

async function layerc(backend: string, threads?: number, steps = STEPS): Promise<number> {
  const model = compileDslFile(new URL('../examples/lenet_bn.layers', import.meta.url).pathname, { seed: 0 });
  const program = buildTrainingGraph(model, { loss: 'cross-entropy', optimizer: { kind: 'sgd', lr: 0.1 }, batch: BATCH });
  const trainer = await Trainer.create(program, backend, 0, threads);
  try {
    return await timeSteps(steps, async (k) => { await trainer.trainStep(batchList[k].x, batchList[k].y); });
  } finally { await trainer.dispose(); }
}

const RUNS: [string, () => Promise<number>][] = [
  ['js1', () => layerc('js', 1)], ['js2', () => layerc('js', 2)], ['reference', () => layerc('reference', undefined, REF_STEPS)],
  ['tfjs-wasm', () => tfjs('wasm')], ['tfjs-cpu', () => tfjs('cpu')],
];
const results = new Map<string, number>();
console.log(`LeNet-BN training, batch ${BATCH}, SGD, Fashion-MNIST (${data.source}); median of the timed steps after ${WARMUP} warm-up steps`);
for (const [name, run] of RUNS.filter(([n]) => ONLY.includes(n))) {
  try {
    const ips = await run();
    results.set(name, ips);
    console.log(`${name.padEnd(10)} ${ips.toFixed(0).padStart(6)} images/s`);
  } catch (e) {
    console.log(`${name.padEnd(10)} cannot train this model: ${(e as Error).message.split('\n')[0]}`);
  }
}
const best = Math.max(results.get('js1') ?? 0, results.get('js2') ?? 0);
for (const peer of ['tfjs-wasm', 'tfjs-cpu']) {
  if (best && results.has(peer)) console.log(`ratio layerc js (best of 1/2 threads) / ${peer}: ${(best / results.get(peer)!).toFixed(2)}x${peer === 'tfjs-wasm' ? ' (target >= 8x, issue #18)' : ''}`);
}
