// Determinism and resume (issue 5 --seed, issue 8 --resume): the same seed gives byte-identical training
// (init, shuffling, dropout masks); another seed does not; training N steps straight equals N/2 steps +
// checkpoint + `resume` to N, byte for byte in every piece of state (parameters, running stats, Adam moments,
// step counters), across an epoch boundary. A resume with another seed or batch size is refused (LC070).
import { join } from 'node:path';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { fit, type FitOptions } from '../../src/train/loop/fit.ts';
import { loadCheckpoint } from '../../src/io/safetensors.ts';
import { LayercError } from '../../src/diagnostics.ts';
import '../../src/ops/index.ts';

const SRC = `model m(x: f32[N, 3]) {
  y = x |> dense(6) |> batchnorm |> relu |> dropout(0.25) |> dense(4) |> batchnorm(momentum=0.2) |> tanh |> dense(2)
  return y
}`;
const n = 40;
const data = {
  train: {
    x: Tensor.fromArray('float32', [n, 3], Array.from({ length: 3 * n }, (_, i) => Math.sin(0.37 * i) + 0.1 * (i % 7))),
    y: Tensor.fromArray('float32', [n, 2], Array.from({ length: 2 * n }, (_, i) => Math.cos(0.21 * i))),
  },
  source: 'synthetic',
};
const dir = mkdtempSync(join(tmpdir(), 'layerc-resume-'));
const opts = (o: Partial<FitOptions>): FitOptions => ({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.01 }, batch: 8, seed: 4, ...o });
const run = (seed: number, o: Partial<FitOptions>) => fit(compileDsl(SRC, 'm.layers', { seed }), data, opts({ seed, ...o }));
const bytesOf = (path: string) => {
  const ck = loadCheckpoint(path);
  return Object.fromEntries([...ck.tensors].map(([k, t]) => [k, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex')]));
};

describe('--seed determinism and --resume', () => {
  it('same seed: identical losses and state; another seed: different', async () => {
    const a = await run(4, { steps: 7, checkpoint: join(dir, 'a.safetensors') });
    const b = await run(4, { steps: 7, checkpoint: join(dir, 'b.safetensors') });
    const c = await run(5, { steps: 7, checkpoint: join(dir, 'c.safetensors') });
    expect(b.losses).toEqual(a.losses);
    expect(bytesOf(join(dir, 'b.safetensors'))).toEqual(bytesOf(join(dir, 'a.safetensors')));
    expect(c.losses).not.toEqual(a.losses);
  });

  it('N steps straight == N/2 steps, checkpoint, resume to N (byte-identical state, across an epoch boundary)', async () => {
    const straight = join(dir, 'straight.safetensors'), half = join(dir, 'half.safetensors'), resumed = join(dir, 'resumed.safetensors');
    const s = await run(4, { steps: 12, checkpoint: straight }); // 5 batches per epoch: crosses two boundaries
    const h = await run(4, { steps: 6, checkpoint: half });
    expect(loadCheckpoint(half).metadata.step).toBe('6');
    const r = await run(4, { steps: 12, checkpoint: resumed, resume: half });
    expect([...h.losses, ...r.losses]).toEqual(s.losses);
    const want = bytesOf(straight);
    expect(Object.keys(want)).toEqual(expect.arrayContaining(['optimizer.step', 'dropout.step']));
    expect(bytesOf(resumed)).toEqual(want);
    expect(readFileSync(resumed).equals(readFileSync(straight))).toBe(true);
  });

  it('refuses to resume with another seed or batch size', async () => {
    const half = join(dir, 'half2.safetensors');
    await run(4, { steps: 2, checkpoint: half });
    for (const o of [{ seed: 9 }, { batch: 10 }]) {
      const err = await fit(compileDsl(SRC, 'm.layers', { seed: 4 }), data, opts({ steps: 4, resume: half, ...o })).catch((e) => e);
      expect(err).toBeInstanceOf(LayercError);
      expect((err as LayercError).code).toBe('LC070');
    }
  });
});
