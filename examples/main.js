#!/usr/bin/env node
// `npm start`: compile LeNet-BN from the DSL, train it briefly on Fashion-MNIST (the full set from the Debian
// package dataset-fashion-mnist when installed, else the 2000/500 subset in examples/data), fold BatchNorm
// into the convolutions/dense layers with the inference optimizer, and report test accuracy and images/s.
import { register } from 'tsx/esm/api';

register();

async function main() {
  const { compileDslFile } = await import('../src/frontend/dsl.ts');
  const { loadDataset } = await import('../src/train/data.ts');
  const { fit, evaluate } = await import('../src/train/fit.ts');
  const { BACKEND_NAMES } = await import('../runtime/backend.ts');

  const here = new URL('.', import.meta.url).pathname;
  const backend = process.env.LAYERC_BACKEND ?? (BACKEND_NAMES.includes('js') ? 'js' : 'reference');
  const model = compileDslFile(`${here}lenet_bn.layers`, { seed: 0 });
  const data = loadDataset('fashion-mnist-subset');
  console.log(`LeNet-BN on ${data.train.x.shape[0]} Fashion-MNIST images (${data.source}), backend ${backend}`);

  const result = await fit(model, data, {
    loss: 'cross-entropy', optimizer: { kind: 'momentum', lr: 0.05, momentum: 0.9 }, batch: 100, epochs: 2, seed: 0, backend,
    onEpoch: (m) => console.log(`epoch ${m.epoch}: train loss ${m.trainLoss.toFixed(4)}, test accuracy ${(100 * m.testAccuracy).toFixed(1)} %, ${m.seconds.toFixed(1)} s`),
  });
  console.log(`training: ${result.imagesPerSec.toFixed(0)} images/s`);

  // BN folding is the inference optimizer's job (passes/index.ts); without it, the unfolded graph is evaluated.
  let inference = result.inference;
  try {
    const passes = await import('../passes/index.ts');
    const optimized = passes.optimize(inference);
    inference = optimized.graph ?? optimized;
  } catch (e) {
    console.log(`(BN folding unavailable: ${e.message.split('\n')[0]})`);
  }
  const t0 = performance.now();
  const r = await evaluate(inference, data.test, 'cross-entropy', backend);
  const secs = (performance.now() - t0) / 1000;
  console.log(`inference (BN folded): test accuracy ${(100 * r.accuracy).toFixed(2)} %, ${(data.test.x.shape[0] / secs).toFixed(0)} images/s`);
}

main().catch((e) => {
  // LayercErrors carry a code and context; print them as the CLI does, without a stack trace.
  console.error(e.code ? `error[${e.code}]: ${e.message}` : e);
  process.exitCode = 1;
});
