// The BatchNorm state contract in-process: the DSL's two words for the running-statistics rate (momentum =
// PyTorch's weight of the new batch, decay = Keras' weight of the old value) and the warning for a Keras number
// written with PyTorch's word; the matcher's one error (LC071) listing missing state by kind and unused tensors;
// ONNX weights whose running statistics are Identity aliases; --resume needing a training checkpoint's step and
// optimizer slots; `inspect CHECKPOINT` flagging running statistics still at their initial values.
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { MODELS } from '../fixtures.ts';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { loadModel } from '../../src/frontend/load.ts';
import { onWarning, LayercError } from '../../src/diagnostics.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { readTensorFile } from '../../src/io/tensor-file.ts';
import { saveCheckpoint } from '../../src/io/safetensors.ts';
import { matchState } from '../../src/train/state-match.ts';
import { bnSetting, modelManifest } from '../../src/train/state.ts';
import { describeCheckpoint, describeModelState } from '../../src/train/checkpoint-report.ts';
import { loadOnnxFile } from '../../src/frontend/onnx.ts';
import { fit } from '../../src/train/loop/fit.ts';
import '../../src/ops/index.ts';

const bnModel = (args: string) => `model m(x: f32[N, 3]) {\n  y = x |> batchnorm(${args}) |> dense(1)\n  return y\n}`;

function compileWithWarnings(src: string) {
  const warnings: string[] = [];
  const off = onWarning((w) => warnings.push(w));
  try { return { g: compileDsl(src, 'bn.layers'), warnings }; } finally { off(); }
}

const codeOf = (f: () => unknown): string => { try { f(); } catch (e) { return e instanceof LayercError ? e.code : String(e); } return 'no error'; };

describe('DSL momentum (PyTorch) and decay (Keras)', () => {
  it('decay is ONNX momentum as is, momentum is 1 - m; under each convention they mean what they say', () => {
    const bn = (args: string) => compileWithWarnings(bnModel(args)).g.nodes.find((n) => n.op === 'BatchNormalization')!;
    expect(bn('decay=0.99').attrs.momentum).toBe(0.99);
    expect(bn('momentum=0.25').attrs.momentum).toBe(0.75);
    expect(bn('').attrs.momentum).toBeUndefined();
    // Keras decay 0.99 trains with Keras momentum 0.99 and PyTorch momentum 0.01: the same update.
    expect(bnSetting(bn('decay=0.99'), 'keras')).toMatchObject({ momentum: 0.99, onnxMomentum: 0.99 });
    expect(bnSetting(bn('decay=0.99'), 'pytorch').momentum).toBeCloseTo(0.01, 12);
    expect(bnSetting(bn(''), 'keras')).toMatchObject({ momentum: 0.99, onnxMomentum: 0.99 });
    expect(bnSetting(bn(''), 'pytorch')).toMatchObject({ momentum: 0.1, onnxMomentum: 0.9, numBatchesTracked: 'bn1.num_batches_tracked' });
  });

  it('both words is LC043; momentum >= 0.5 warns "did you mean decay=...?" at the layer; small momentum and decay do not', () => {
    expect(codeOf(() => compileDsl(bnModel('momentum=0.1, decay=0.9'), 'bn.layers'))).toBe('LC043');
    const { warnings } = compileWithWarnings(bnModel('momentum=0.99'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warning: batchnorm 'bn1': momentum=0\.99 weighs the NEW batch by 0\.99 \(PyTorch's meaning: running = 0\.01 \* running \+ 0\.99 \* batch\); did you mean decay=0\.99\?/);
    expect(warnings[0]).toContain('--> bn.layers:2:');
    expect(compileWithWarnings(bnModel('momentum=0.5')).warnings).toHaveLength(1);
    for (const args of ['momentum=0.1', 'decay=0.99', '']) expect(compileWithWarnings(bnModel(args)).warnings, args).toEqual([]);
  });
});

describe('matchState: all of the state, or LC071 naming what is missing and what went unused', () => {
  const t = (n: number) => Tensor.zeros('float32', [n]);
  const required = [{ name: 'bn1.weight', kind: 'param' as const }, { name: 'bn1.running_mean', kind: 'running_mean' as const }, { name: 'bn1.running_var', kind: 'running_var' as const }];

  it('lists missing state by kind and unused tensors; ignorable tensors are not unused; allowPartial warns instead', () => {
    const file = new Map([['bn1.weight', t(3)], ['bn.running_mean', t(3)], ['opt.exp_avg', t(3)]]);
    let err: LayercError | undefined;
    try { matchState(required, file, { file: 'w.safetensors', model: 'm.layers', ignorable: (n) => n.endsWith('exp_avg') }); } catch (e) { err = e as LayercError; }
    expect(err?.code).toBe('LC071');
    expect(err!.message).toBe('w.safetensors does not hold all the state of m.layers: missing running_mean bn1.running_mean; running_var bn1.running_var; unused in the file: bn.running_mean');
    const warnings: string[] = [];
    const off = onWarning((w) => warnings.push(w));
    try {
      const r = matchState(required, file, { file: 'w.safetensors', model: 'm.layers', allowPartial: true });
      expect([...r.found.keys()]).toEqual(['bn1.weight']);
    } finally { off(); }
    expect(warnings.join('\n')).toMatch(/left at initialization: running_mean bn1\.running_mean; running_var bn1\.running_var; ignored in the file: bn\.running_mean, opt\.exp_avg/);
    expect(matchState(required, new Map(required.map((e) => [e.name, t(3)])), { file: 'f', model: 'm' }).found.size).toBe(3);
  });

  it('ONNX weights: running statistics that are Identity aliases of gamma/beta count (mlp_train_sgd loads itself)', async () => {
    const dir = join(MODELS, 'mlp_train_sgd');
    const g = await loadModel(join(dir, 'model.onnx'), { weights: join(dir, 'model.onnx') });
    const kinds = modelManifest(g).entries.map((e) => e.kind);
    expect(kinds.filter((k) => k === 'running_var')).toHaveLength(2);
    const want = readTensorFile(join(dir, 'test_data_set_0/output_0.pb'));
    const got = runGraph(g, { input: readTensorFile(join(dir, 'test_data_set_0/input_0.pb')) })[g.outputs[0].name];
    for (let i = 0; i < want.size; i++) expect(Math.abs(got.data[i] - want.data[i])).toBeLessThanOrEqual(1e-5 + 1e-3 * Math.abs(want.data[i]));
  });
});

describe('--resume and inspect', () => {
  const src = bnModel('');
  const x = Tensor.fromArray('float32', [8, 3], Array.from({ length: 24 }, (_, i) => Math.sin(i) * 4 + 2));
  const y = Tensor.fromArray('float32', [8, 1], Array.from({ length: 8 }, (_, i) => Math.cos(i)));
  const opts = { loss: 'mse' as const, optimizer: { kind: 'adam' as const, lr: 0.01 }, batch: 8, steps: 2 };

  it('resume needs the step and the optimizer slots of a training checkpoint (LC071), not just weights', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerc-resume-'));
    const ck = join(dir, 'ck.safetensors');
    const r = await fit(compileDsl(src, 'm.layers'), { train: { x, y }, source: 'mem' }, { ...opts, checkpoint: ck });
    const weightsOnly = join(dir, 'weights.safetensors');
    saveCheckpoint(weightsOnly, { tensors: new Map([...r.trainer.state].filter(([n]) => !/exp_avg|optimizer\.step/.test(n))), metadata: { step: '2' } });
    await expect(fit(compileDsl(src, 'm.layers'), { train: { x, y }, source: 'mem' }, { ...opts, steps: 3, resume: weightsOnly }))
      .rejects.toThrow(/does not hold all the state of this training run \(m_training\): missing step optimizer\.step; optimizer bn1\.weight\.exp_avg, .*dense1\.bias\.exp_avg_sq$/);
    const noStep = join(dir, 'nostep.safetensors');
    saveCheckpoint(noStep, { tensors: r.trainer.state, metadata: {} });
    await expect(fit(compileDsl(src, 'm.layers'), { train: { x, y }, source: 'mem' }, { ...opts, steps: 3, resume: noStep })).rejects.toThrow(/missing step/);
    await expect(fit(compileDsl(src, 'm.layers'), { train: { x, y }, source: 'mem' }, { ...opts, steps: 3, resume: ck, bnConvention: 'keras' }))
      .rejects.toThrow(/trained with --bn-convention pytorch, this run uses keras/);
    const resumed = await fit(compileDsl(src, 'm.layers'), { train: { x, y }, source: 'mem' }, { ...opts, steps: 3, resume: ck });
    expect(resumed.trainer.state.get('bn1.num_batches_tracked')!.data[0]).toBe(3);
  });

  it('inspect flags running statistics still at their initial values', () => {
    const g = compileDsl(src, 'm.layers');
    const text = describeCheckpoint('fresh.safetensors', { tensors: new Map(g.initializers.filter((v) => v.role).map((v) => [v.name, v.const!])), metadata: {} });
    expect(text).toMatch(/no layerc manifest/);
    expect(text).toMatch(/^ {2}running_mean +bn1\.running_mean +float32\[3\] +min 0 max 0 mean 0 {2}<- still at its initial value \(all 0\)$/m);
    expect(text).toMatch(/^ {2}running_var +bn1\.running_var +float32\[3\] +min 1 max 1 mean 1 {2}<- still at its initial value \(all 1\)$/m);
    expect(text).not.toMatch(/dense1\.weight.*still at/);
  });

  it('inspect MODEL --state: a PyTorch export\'s aliased running statistics are state of their own', () => {
    const text = describeModelState(loadOnnxFile(join(MODELS, 'mlp_train_sgd/model.onnx')), 'keras');
    expect(text).toMatch(/^state \(14 tensors; BatchNorm as --bn-convention keras trains it\):$/m);
    // The file's own momentum attribute (0.9, PyTorch's exporter) wins over the Keras default 0.99.
    expect(text).toContain('batchnorm: keras convention, momentum 0.9 (running = 0.9 * running + 0.1 * batch, biased batch variance), eps 0.00001: /net/net.1/BatchNormalization, /net/net.4/BatchNormalization');
    expect(text).toMatch(/^ {2}running_var +net\.1\.running_var +float32\[5\] +min 1 max 1 mean 1 {2}<- still at its initial value/m);
  });
});
