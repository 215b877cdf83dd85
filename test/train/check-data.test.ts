// Labels that cannot work with cross-entropy are a data error (LC068) before the first step, not
// "training diverged at step 1": float targets, labels of the wrong rank, class indices outside [0, K).
import { describe, expect, it } from 'vitest';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { fit } from '../../src/train/loop/fit.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import type { LayercError } from '../../src/diagnostics.ts';

const model = () => compileDsl('model m(x: f32[N, 2]) {\n  return x |> dense(3)\n}\n', 'm.layers');
const x = Tensor.fromArray('float32', [8, 2], Array.from({ length: 16 }, (_, i) => Math.sin(i)));
const opts = { loss: 'cross-entropy' as const, optimizer: { kind: 'sgd' as const, lr: 0.1 }, batch: 4, steps: 2 };
const attempt = async (y: Tensor) => {
  let steps = 0;
  try { await fit(model(), { train: { x, y }, source: 'X.npy,y.npy' }, { ...opts, onStep: () => { steps++; } }); } catch (e) { return { e: e as LayercError, steps }; }
  return { e: undefined, steps };
};

describe('cross-entropy labels are checked before training', () => {
  it('float labels: LC068 naming the dtype and suggesting mse, no step taken', async () => {
    const { e, steps } = await attempt(Tensor.fromArray('float32', [8], [0.5, 1.25, 2, 0, 1, 2, 0, 1]));
    expect(e?.code).toBe('LC068');
    expect(e?.message).toMatch(/integer class labels.*float32 \(0\.5, 1\.25, 2, \.\.\.\).*--loss mse/);
    expect(steps).toBe(0);
  });
  it('labels outside [0, K) and labels of rank 2 are LC068', async () => {
    expect((await attempt(Tensor.fromArray('int64', [8], [0, 1, 2, 3, 0, 1, 2, 0]))).e?.message).toContain('must lie in [0, 3) (one per model output), y holds 0..3');
    expect((await attempt(Tensor.fromArray('int64', [8, 1], [0, 1, 2, 0, 0, 1, 2, 0]))).e?.message).toContain('y of shape [N]');
  });
  it('integer labels in range train', async () => {
    const { e, steps } = await attempt(Tensor.fromArray('int64', [8], [0, 1, 2, 0, 0, 1, 2, 0]));
    expect(e).toBeUndefined();
    expect(steps).toBe(2);
  });
});
