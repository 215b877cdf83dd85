// "BN running statistics are never lost", end to end on LeNet-BN: train a few steps (BatchNorm in training
// mode), checkpoint, restore from the file alone, evaluate. The restored inference graph uses the trained
// running statistics (not the initial ones, not the batch's), gives bit-identical outputs to the in-memory
// model, and its error differs from the same weights with the initial statistics (so losing them would show).
// Then `layerc export --mode inference` (BN folded by -O2, and --no-fold) runs in onnxruntime-node and agrees
// with our reference inference graph.
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { REPO_ROOT } from '../fixtures.ts';
import { compileDslFile } from '../../src/frontend/dsl.ts';
import { loadOnnxFile } from '../../src/frontend/onnx.ts';
import { loadDataset, gatherRows } from '../../src/train/loop/data.ts';
import { fit, evaluate } from '../../src/train/loop/fit.ts';
import { modelWithState } from '../../src/train/graphs/export.ts';
import { loadCheckpoint } from '../../src/io/safetensors.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import '../../src/ops/index.ts';

const MODEL = join(REPO_ROOT, 'examples/lenet_bn.layers');
const LAYERC = join(REPO_ROOT, 'bin/layerc.js');

describe('train -> checkpoint -> restore -> evaluate -> export (LeNet-BN)', () => {
  it('restored model uses the trained running stats, matches bit for bit, and its ONNX export agrees in ORT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerc-e2e-'));
    const ck = join(dir, 'lenet.safetensors');
    const data = loadDataset('fashion-mnist-subset');
    const idx = Uint32Array.from({ length: 64 }, (_, i) => i);
    const test = { x: gatherRows(data.test!.x, idx), y: gatherRows(data.test!.y, idx) };
    const r = await fit(compileDslFile(MODEL, { seed: 0 }), { train: data.train, source: data.source }, {
      loss: 'cross-entropy', optimizer: { kind: 'momentum', lr: 0.05, momentum: 0.9 }, batch: 32, steps: 8, seed: 0,
      backend: 'js', threads: 1, checkpoint: ck, modelPath: MODEL,
    });
    const yMem = runGraph(r.inference, { x: test.x })[r.inference.outputs[0].name];

    const restored = modelWithState(ck);
    const yRes = runGraph(restored, { x: test.x })[restored.outputs[0].name];
    expect(Array.from(yRes.data)).toEqual(Array.from(yMem.data));

    const saved = loadCheckpoint(ck).tensors;
    const stats = restored.initializers.filter((v) => v.role === 'running_mean' || v.role === 'running_var');
    expect(stats).toHaveLength(8);
    const fresh = compileDslFile(MODEL, { seed: 0 });
    for (const v of stats) {
      expect(Array.from(v.const!.data), v.name).toEqual(Array.from(saved.get(v.name)!.data));
      expect(Array.from(v.const!.data), `${v.name} moved from its initial value`).not.toEqual(Array.from(fresh.value(v.name)!.const!.data));
    }
    // The same trained weights with the initial running stats (the classic bug) give a different error.
    const lost = modelWithState(ck);
    for (const v of lost.initializers) if (v.role === 'running_mean' || v.role === 'running_var') lost.setConst(v, fresh.value(v.name)!.const!.clone());
    const good = await evaluate(restored, test, 'cross-entropy'), bad = await evaluate(lost, test, 'cross-entropy');
    expect(good.loss).toBe((await evaluate(r.inference, test, 'cross-entropy')).loss);
    expect(Math.abs(bad.loss - good.loss)).toBeGreaterThan(1e-3);

    for (const flags of [[], ['--no-fold']]) {
      const out = join(dir, `lenet${flags.join('')}.onnx`);
      execFileSync(LAYERC, ['export', ck, '--mode', 'inference', '-o', out, ...flags], { stdio: 'pipe' });
      const bn = loadOnnxFile(out).nodes.filter((n) => n.op === 'BatchNormalization').length;
      expect(bn, `BatchNormalization nodes in ${flags.length ? 'unfolded' : 'folded'} export`).toBe(flags.length ? 4 : 0);
      const session = await ort.InferenceSession.create(out);
      const y = (await session.run({ x: new ort.Tensor('float32', test.x.data as Float32Array, test.x.shape) }))[session.outputNames[0]].data as Float32Array;
      yMem.data.forEach((w, i) => expect(Math.abs(y[i] - w), `${out}[${i}]`).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(w)));
    }
  }, 120_000);
});
