#!/usr/bin/env node
// `npm start`: the main job on bundled defaults. Compile LeNet-BN from the DSL, train it briefly on
// Fashion-MNIST (the full set from the Debian package dataset-fashion-mnist when installed, else the
// 2000/500 subset in examples/data), fold BatchNorm with the inference optimizer (-O2), evaluate the folded
// inference graph on the test split, and print accuracy and images/s for training and inference per backend.
// Options: --data fashion-mnist|fashion-mnist-subset, --backend js|reference (default js), --epochs N (default 1; 3 on the 2000-image subset), --train-images N (default 10000),
// --batch N (default 64), --threads N (JS backend workers; default: cores, 1 is faster on a busy machine).
import { register } from 'tsx/esm/api';

register();

const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : def; };

async function main() {
  const { compileDslFile } = await import('../src/frontend/dsl.ts');
  const { loadDataset, gatherRows } = await import('../src/train/loop/data.ts');
  const { fit, evaluate } = await import('../src/train/loop/fit.ts');
  const { foldForInference } = await import('../src/train/graphs/fold-inference.ts');

  const here = new URL('.', import.meta.url).pathname;
  const backend = arg('backend', process.env.LAYERC_BACKEND ?? 'js');
  const batch = Number(arg('batch', '64'));
  const threads = arg('threads') ? Number(arg('threads')) : undefined;
  const data = loadDataset(arg('data', 'fashion-mnist')); // or fashion-mnist-subset: only the bundled files
  const epochs = Number(arg('epochs', data.train.x.shape[0] < 5000 ? '3' : '1')); // the 2000-image subset needs a few passes
  // "Briefly": the first --train-images training images (all of the bundled subset); the whole test split.
  const n = Math.min(Number(arg('train-images', '10000')), data.train.x.shape[0]);
  const rows = Uint32Array.from({ length: n }, (_, i) => i);
  const train = { x: gatherRows(data.train.x, rows), y: gatherRows(data.train.y, rows) };
  console.log(`LeNet-BN (examples/lenet_bn.layers), Fashion-MNIST from ${data.source}: ${n} training images x ${epochs} epoch(s), ` +
    `${data.test.x.shape[0]} test images; batch ${batch}, SGD momentum 0.9, lr 0.05, seed 0; backend ${backend}`);

  const model = compileDslFile(`${here}lenet_bn.layers`, { seed: 0 });
  const result = await fit(model, { train, test: data.test, source: data.source }, {
    loss: 'cross-entropy', optimizer: { kind: 'momentum', lr: 0.05, momentum: 0.9 }, batch, epochs, seed: 0, backend, threads,
    onEpoch: (m) => console.log(`  epoch ${m.epoch}: train loss ${m.trainLoss.toFixed(4)}, test accuracy (BN unfolded) ${(100 * m.testAccuracy).toFixed(2)} %, ${m.seconds.toFixed(1)} s`),
  });
  console.log(`training (${backend}): ${result.imagesPerSec.toFixed(0)} images/s`);

  const fold = foldForInference(result.inference);
  const missing = fold.missingPasses.length ? ` (passes not registered yet: ${fold.missingPasses.join(', ')})` : '';
  console.log(`optimize -O2: BatchNormalization nodes ${fold.bnBefore} -> ${fold.bnAfter}${missing}`);

  const folded = fold.bnAfter ? 'BN not folded' : 'BN folded';
  const pct = (r) => `${(100 * r.accuracy).toFixed(2)} %`;
  let t0 = performance.now();
  const r = await evaluate(fold.graph, data.test, 'cross-entropy', backend, 500, threads);
  console.log(`inference (${backend}, ${folded}): test accuracy ${pct(r)} on ${data.test.x.shape[0]} images, ` +
    `${(data.test.x.shape[0] / ((performance.now() - t0) / 1000)).toFixed(0)} images/s`);
  if (backend !== 'reference') {
    // The reference interpreter is the oracle, not the fast path: it checks the first 1000 test images only.
    const head = Uint32Array.from({ length: Math.min(1000, data.test.x.shape[0]) }, (_, i) => i);
    const sample = { x: gatherRows(data.test.x, head), y: gatherRows(data.test.y, head) };
    const fast = await evaluate(fold.graph, sample, 'cross-entropy', backend, 500, threads);
    t0 = performance.now();
    const ref = await evaluate(fold.graph, sample, 'cross-entropy', 'reference', 500, threads);
    console.log(`check on the first ${head.length} test images: reference ${pct(ref)}, ${backend} ${pct(fast)} ` +
      `(reference ${(head.length / ((performance.now() - t0) / 1000)).toFixed(0)} images/s)`);
  }
}

main().catch((e) => {
  // LayercErrors carry a code and context; print them as the CLI does, without a stack trace.
  console.error(e.code ? `error[${e.code}]: ${e.message}` : e);
  process.exitCode = 1;
});
