// Data loading: the bundled Fashion-MNIST subset equals the head of the Debian package's full set, .npy read
// as numpy reads it (python oracle), and seeded per-epoch shuffling is a permutation, reproducible per seed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MODELS } from '../fixtures.ts';
import { FASHION_MNIST_SYSTEM, batches, loadDataset, readNpyFile } from '../../src/train/loop/data.ts';
import { Tensor } from '../../src/ir/tensor.ts';

describe('training data', () => {
  it.skipIf(!existsSync(FASHION_MNIST_SYSTEM))('the bundled subset is the head of the full Fashion-MNIST set', () => {
    const sub = loadDataset('fashion-mnist-subset'), full = loadDataset('fashion-mnist');
    expect(full.train.x.shape).toEqual([60000, 1, 28, 28]);
    expect(full.test!.x.shape).toEqual([10000, 1, 28, 28]);
    expect(sub.train.x.shape).toEqual([2000, 1, 28, 28]);
    expect(Array.from(sub.train.x.data)).toEqual(Array.from(full.train.x.data.subarray(0, 2000 * 784)));
    expect(Array.from(sub.test!.y.data)).toEqual(Array.from(full.test!.y.data.subarray(0, 500)));
  });

  it('reads .npy like numpy', () => {
    const path = join(MODELS, 'mlp_train_sgd/reference/X.npy');
    const x = readNpyFile(path);
    const py = JSON.parse(execFileSync('python3', ['-c', `import numpy as np, json, sys; a = np.load(sys.argv[1]); print(json.dumps({'s': list(a.shape), 'v': a[:3].ravel().tolist()}))`, path]).toString());
    expect(x.shape).toEqual(py.s);
    expect(Array.from(x.data.subarray(0, 6))).toEqual(py.v);
  });

  it('each epoch is a seeded permutation; same seed, same order; next epoch, another order', () => {
    const split = { x: Tensor.fromArray('float32', [10, 1], Array.from({ length: 10 }, (_, i) => i)), y: Tensor.fromArray('int64', [10], Array.from({ length: 10 }, (_, i) => i)) };
    const order = (seed: number, epoch: number) => [...batches(split, 5, seed, epoch)].flatMap((b) => Array.from(b.y.data));
    expect([...order(1, 0)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(order(1, 0)).toEqual(order(1, 0));
    expect(order(1, 1)).not.toEqual(order(1, 0));
    expect([...batches(split, 4, 1, 0)].length).toBe(2); // the partial batch is dropped
  });
});
