// Checkpoints: safetensors layout read back by an independent reader (python + numpy), bit-identical
// restore, resume equals uninterrupted training, corruption detected (LC065), and the seed bug as a
// regression test: the saved running statistics are the trained ones, not the initial ones nor gamma.
import { join } from 'node:path';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MODELS } from '../fixtures.ts';
import { readNpy } from './npy.ts';
import { buildMlpEval } from './mlp-graph.ts';
import { buildTrainingGraph } from '../../passes/split-train-infer.ts';
import { Trainer } from '../../src/train/loop/trainer.ts';
import { loadCheckpoint, saveCheckpoint } from '../../src/io/safetensors.ts';

const REF = join(MODELS, 'mlp_train_sgd/reference');
const X = readNpy(join(REF, 'X.npy')), Y = readNpy(join(REF, 'y.npy'));

async function trainer() {
  const model = buildMlpEval(join(REF, 'state_initial'), 1000, true);
  return Trainer.create(buildTrainingGraph(model, { loss: 'mse', optimizer: { kind: 'momentum', lr: 0.02, momentum: 0.9 }, bnConvention: 'pytorch' }));
}
const bits = (t: { data: ArrayLike<number> }) => Array.from(t.data);

describe('checkpoints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'layerc-ckpt-'));

  it('save, restore and resume give bit-identical state; running stats are the trained ones', async () => {
    const a = await trainer();
    for (let i = 0; i < 10; i++) await a.trainStep(X, Y);
    const path = join(dir, 'a.safetensors');
    saveCheckpoint(path, { tensors: a.state, metadata: { step: String(a.step) } });
    const ck = loadCheckpoint(path);
    expect(ck.metadata.step).toBe('10');
    for (const [name, t] of a.state) expect(bits(ck.tensors.get(name)!), name).toEqual(bits(t));
    // Seed bug: running stats must have moved away from their initial values and must not alias gamma.
    const rv = ck.tensors.get('net.1.running_var')!;
    expect(bits(rv)).not.toEqual(bits(readNpy(join(REF, 'state_initial/net.1.running_var.npy'))));
    expect(bits(rv)).not.toEqual(bits(ck.tensors.get('net.1.weight')!));
    expect(ck.tensors.has('net.1.weight.momentum_buffer')).toBe(true);

    const b = await trainer();
    b.loadState(ck.tensors, Number(ck.metadata.step));
    for (let i = 0; i < 5; i++) { await a.trainStep(X, Y); await b.trainStep(X, Y); }
    for (const [name, t] of a.state) expect(bits(b.state.get(name)!), name).toEqual(bits(t));
  });

  it('an independent reader (python + numpy) reads the safetensors layout', async () => {
    const a = await trainer();
    await a.trainStep(X, Y);
    const path = join(dir, 'py.safetensors');
    saveCheckpoint(path, { tensors: a.state, metadata: { step: '1' } });
    const py = `
import json, struct, sys, numpy as np
b = open(sys.argv[1], 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8+n]); d = b[8+n:]
e = h['net.1.running_mean']; a = np.frombuffer(d[e['data_offsets'][0]:e['data_offsets'][1]], dtype='<f4').reshape(e['shape'])
print(json.dumps({'v': a.tolist(), 'meta': h['__metadata__']}))`;
    const out = JSON.parse(execFileSync('python3', ['-c', py, path]).toString());
    expect(out.v).toEqual(bits(a.state.get('net.1.running_mean')!));
    expect(out.meta.format).toBe('layerc-checkpoint/2');
  });

  it('a flipped data byte is LC065', async () => {
    const a = await trainer();
    const path = join(dir, 'bad.safetensors');
    saveCheckpoint(path, { tensors: a.state, metadata: {} });
    const bytes = readFileSync(path);
    bytes[bytes.length - 3] ^= 0x40;
    writeFileSync(path, bytes);
    expect(() => loadCheckpoint(path)).toThrow(/LC065|corrupt/);
    try { loadCheckpoint(path); } catch (e) { expect((e as { code: string }).code).toBe('LC065'); }
  });

  it('state of another shape is LC070', async () => {
    const a = await trainer();
    const wrong = new Map(a.state).set('net.0.weight', readNpy(join(REF, 'state_initial/net.3.weight.npy')));
    expect(() => a.loadState(wrong, 0)).toThrow(/does not fit/);
    // Part of the state is LC071, naming the rest (running statistics and batch counters included).
    const part = new Map([['net.0.weight', a.state.get('net.0.weight')!]]);
    expect(() => a.loadState(part, 0)).toThrow(/does not hold all the state.*missing running_mean net\.1\.running_mean.*num_batches_tracked net\.1\.num_batches_tracked.*param net\.0\.bias/);
  });
});
