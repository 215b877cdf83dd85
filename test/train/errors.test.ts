// Training error codes: each raised by a user-level mistake, with a LayercError (code + context), no crash.
import { join } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { backward } from '../../src/train/autodiff.ts';
import { loadDataset } from '../../src/train/loop/data.ts';
import { fit } from '../../src/train/loop/fit.ts';
import { LayercError } from '../../src/diagnostics.ts';
import '../../src/ops/index.ts';

const codeOf = (f: () => unknown) => { try { f(); } catch (e) { expect(e).toBeInstanceOf(LayercError); return (e as LayercError).code; } return 'none'; };

describe('training errors', () => {
  it('LC066: differentiating through an op without a gradient rule names the node', () => {
    const g = new Graph('g');
    const x = g.addConst('x', Tensor.fromArray('float32', [2], [0.5, 1.5]), 'param');
    const f = g.addNode('Floor', [x], {}, { name: 'the_floor' }).outputs[0];
    const loss = g.addNode('ReduceSum', [f], { keepdims: 0 }).outputs[0];
    let err: LayercError | undefined;
    try { backward(g, loss, [x]); } catch (e) { err = e as LayercError; }
    expect(err?.code).toBe('LC066');
    expect(err?.message).toMatch(/Floor/);
    expect(JSON.stringify(err?.context)).toMatch(/the_floor/);
  });

  it('LC068: bad data specs and files', () => {
    expect(codeOf(() => loadDataset('just-one.npy'))).toBe('LC068');
    const p = join(mkdtempSync(join(tmpdir(), 'layerc-data-')), 'x.npy');
    writeFileSync(p, 'not numpy');
    expect(codeOf(() => loadDataset(`${p},${p}`))).toBe('LC068');
  });

  it('LC069: a batch size the model cannot take (its input batch is fixed)', async () => {
    const g = new Graph('g');
    g.outputs = [g.addNode('Identity', [g.addInput('x', { dtype: 'float32', shape: [4, 1] })]).outputs[0]];
    const data = { train: { x: Tensor.zeros('float32', [8, 1]), y: Tensor.zeros('float32', [8, 1]) }, source: 't' };
    const err = await fit(g, data, { loss: 'mse', optimizer: { kind: 'sgd', lr: 1 }, batch: 2, steps: 1 }).catch((e) => e);
    expect((err as LayercError).code).toBe('LC069');
    expect((err as LayercError).message).toMatch(/fixed batch of 4; train with --batch 4/);
  });

  it('LC069: --epochs and --steps together', async () => {
    const g = new Graph('g');
    g.outputs = [g.addNode('Identity', [g.addInput('x', { dtype: 'float32', shape: [2, 1] })]).outputs[0]];
    const data = { train: { x: Tensor.zeros('float32', [2, 1]), y: Tensor.zeros('float32', [2, 1]) }, source: 't' };
    const err = await fit(g, data, { loss: 'mse', optimizer: { kind: 'sgd', lr: 1 }, batch: 2, epochs: 1, steps: 1 }).catch((e) => e);
    expect((err as LayercError).code).toBe('LC069');
  });
});
