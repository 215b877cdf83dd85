// recompose-ops: before/expected graphs (what LayerNormalization / Gelu a pattern becomes, with which axis,
// epsilon, scale and bias), the graphs it must leave alone (with the reason --report gives), the shrunk
// counterexamples of test/passes/recompose-props.test.ts, and the done-when check on the opset-13 transformer
// export (test/helpers/downgrade-opset13.ts of zoo/tiny_vit): `-O2` fuses every LayerNorm and GELU, nothing of
// their decomposition is left, the optimized graph reproduces PyTorch's outputs on the reference, and the ONNX
// file `layerc optimize -O2` writes runs in onnxruntime-node within the case tolerance.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { runGraph } from '../../src/ir/interpret.ts';
import { printGraph } from '../../src/ir/printer.ts';
import type { Graph } from '../../src/ir/graph.ts';
import { importOnnx, loadOnnxFile } from '../../src/frontend/onnx.ts';
import { readTensorFile } from '../../src/io/tensor-file.ts';
import { compare, tolerance } from '../../src/cli/onnx-cases.ts';
import { optimize } from '../../passes/index.ts';
import { fusedView } from '../../src/ops/fused-contract.ts';
import { formatReport } from '../../passes/pass.ts';
import { buildGelu, buildLayerNorm, type Built, type GeluCase, type LnCase } from './decomposed.ts';
import { optimizeCopy } from './graphs.ts';
import { downgradeToOpset13 } from '../helpers/downgrade-opset13.ts';
import { REPO_ROOT, ZOO } from '../fixtures.ts';

const PASS = ['recompose-ops'];
const ops = (g: Graph) => g.nodes.map((n) => n.op);
const LN: LnCase = { dims: [2, 3, 4], k: 1, eps: 1e-5, square: 'pow', norm: 'div', scale: 'full', bias: 'full', swaps: [false, false, false, false], negativeAxes: true, miss: null, offset: 0, seed: 7 };
const GELU: GeluCase = { form: 'erf', dims: [3, 5], scale: 'div', cube: 'x*xx', outer: 'torch', swaps: [false, false, false, false, false], miss: null, seed: 7 };

/** The optimized graph equals the original on the reference within the case's float32 bound (decomposed.ts). */
function equivalent(b: Built, after: Graph): void {
  const name = b.g.outputs[0]!.name;
  const ref = runGraph(b.g, b.feeds)[name]!, got = runGraph(after, b.feeds)[name]!;
  for (let i = 0; i < ref.size; i++) expect(Math.abs(got.data[i]! - ref.data[i]!), `element ${i}`).toBeLessThanOrEqual(b.bound(i, ref.data[i]!));
}

function unchanged(b: Built, reason?: string): void {
  const { after, report } = optimizeCopy(b.g, PASS);
  expect(printGraph(after)).toBe(printGraph(b.g));
  if (reason) expect(report).toContain(`skipped (${reason})`);
}

describe('recompose-ops: LayerNorm', () => {
  it('torch\'s opset-13 LayerNorm (ReduceMean axes [-1], Pow 2, Sqrt, Div, Mul w, Add b) -> LayerNormalization(x, w, b, axis=-1, eps)', () => {
    const b = buildLayerNorm(LN);
    const { after, report } = optimizeCopy(b.g, PASS);
    expect(ops(after)).toEqual(['LayerNormalization']);
    const ln = after.nodes[0]!;
    expect(ln.attrs).toEqual({ axis: -1, epsilon: Math.fround(1e-5) });
    expect(ln.inputs[0]).toBe(after.inputs[0]);
    expect(Array.from(ln.inputs[1]!.const!.data)).toEqual(Array.from(b.g.value('w')!.const!.data));
    expect(Array.from(ln.inputs[2]!.const!.data)).toEqual(Array.from(b.g.value('b')!.const!.data));
    expect(report).toContain('1 decomposed LayerNorm fused into LayerNormalization');
    equivalent(b, after);
  });

  it('Mul(d, d), Reciprocal, no scale or bias, two normalized axes -> LayerNormalization(x, ones, axis=-2)', () => {
    const b = buildLayerNorm({ ...LN, k: 2, square: 'mul', norm: 'recip', scale: 'none', bias: 'none' });
    const { after } = optimizeCopy(b.g, PASS);
    expect(ops(after)).toEqual(['LayerNormalization']);
    expect(after.nodes[0]!.attrs.axis).toBe(-2);
    expect(after.nodes[0]!.inputs).toHaveLength(2);
    expect(Array.from(after.nodes[0]!.inputs[1]!.const!.data)).toEqual(new Array(12).fill(1));
    equivalent(b, after);
  });

  it('a scale that is not a constant stays a Mul after the LayerNormalization', () => {
    const b = buildLayerNorm({ ...LN, scale: 'none', bias: 'none' });
    const w = b.g.addInput('w_in', { dtype: 'float32', shape: [4] });
    const y = b.g.addNode('Mul', [b.g.outputs[0]!, w]).outputs[0]!;
    b.g.outputs = [y];
    const { after } = optimizeCopy(b.g, PASS);
    expect(ops(after)).toEqual(['LayerNormalization', 'Mul']);
  });

  const left: [string, Partial<LnCase>, string | undefined][] = [
    ['non-trailing axes', { miss: 'nonTrailing' }, 'LayerNorm pattern: reduced axes [0] are not the trailing axes of rank 3'],
    ['the two ReduceMeans on different axes', { k: 2, miss: 'mismatchedAxes' }, 'LayerNorm pattern: the two ReduceMeans reduce different or unknown axes'],
    ['epsilon a graph input', { miss: 'epsInput' }, 'LayerNorm pattern: epsilon is not a constant scalar'],
    ['an intermediate that is also a graph output', { miss: 'secondConsumer' }, 'LayerNorm pattern: an intermediate has another consumer or is a graph output'],
    ['the unbiased variance ReduceSum / (n - 1)', { miss: 'unbiased' }, undefined],
  ];
  for (const [what, c, reason] of left) it(`left alone: ${what}`, () => unchanged(buildLayerNorm({ ...LN, ...c }), reason));
});

describe('recompose-ops: GELU', () => {
  it('torch\'s erf GELU (Div sqrt 2, Erf, Add 1, Mul x, Mul 0.5) -> Gelu(x)', () => {
    const b = buildGelu(GELU);
    const { after, report } = optimizeCopy(b.g, PASS);
    expect(ops(after)).toEqual(['Gelu']);
    expect(after.nodes[0]!.attrs.approximate ?? 'none').toBe('none');
    expect(report).toContain('1 erf GELU fused into Gelu');
    equivalent(b, after);
  });

  it('the tanh form in keras order (x * (0.5 * (1 + tanh(...))), Pow(x, 3)) -> Gelu(x, approximate=tanh)', () => {
    const b = buildGelu({ ...GELU, form: 'tanh', cube: 'pow', outer: 'cdf', swaps: [true, true, true, true, true] });
    const { after, report } = optimizeCopy(b.g, PASS);
    expect(ops(after)).toEqual(['Gelu']);
    expect(after.nodes[0]!.attrs.approximate).toBe('tanh');
    expect(report).toContain('1 tanh GELU fused into Gelu(approximate=tanh)');
    equivalent(b, after);
  });

  const left: [string, Partial<GeluCase>, string | undefined][] = [
    ['0.4 where the formula has 0.5', { miss: 'half04' }, 'GELU pattern: constant 0.4000000059604645 where the GELU formula has 0.5'],
    ['1.5 where the formula has sqrt 2', { miss: 'sqrt2Wrong' }, 'GELU pattern: constant 1.5 where the GELU formula has 1.4142135623730951'],
    ['0.05 where the formula has 0.044715', { form: 'tanh', miss: 'kappaWrong' }, undefined],
    ['an intermediate that is also a graph output', { miss: 'secondConsumer' }, 'GELU pattern: an intermediate has another consumer or is a graph output'],
    ['another x in the outer product', { miss: 'otherX' }, undefined],
  ];
  for (const [what, c, reason] of left) it(`left alone: ${what}`, () => unchanged(buildGelu({ ...GELU, ...c }), reason));
});

describe('recompose-ops: shrunk counterexamples (test/passes/recompose-props.test.ts)', () => {
  // A bias [1, 5, 4, 3, 1] onto x [5, 4, 3, 1] broadcasts the result up a rank: it must stay an Add (found by
  // the property; the first version absorbed it and gave LayerNormalization the wrong output type).
  it('a bias of higher rank than x stays an Add after the LayerNormalization', () => {
    const b = buildLayerNorm({ ...LN, dims: [5, 4, 3, 1], k: 4, scale: 'none', bias: 'none' });
    const y = b.g.addNode('Add', [b.g.outputs[0]!, b.g.addConst('b5', buildLayerNorm({ ...LN, dims: [1, 5, 4, 3, 1], k: 5, bias: 'full' }).g.value('b')!.const!)]).outputs[0]!;
    b.g.outputs = [y];
    const { after } = optimizeCopy(b.g, PASS);
    expect(ops(after)).toEqual(['LayerNormalization', 'Add']);
    expect(after.outputs[0]!.type.shape).toEqual([1, 5, 4, 3, 1]);
  });
  // What the properties shrank to when epsilon was doubled, the bias dropped, and the GELU forms swapped.
  const shrunk: [string, Built][] = [
    ['epsilon kept exactly ([1, 2], k 1)', buildLayerNorm({ ...LN, dims: [1, 2], scale: 'none', bias: 'none', negativeAxes: false, seed: 1 })],
    ['a broadcast bias kept ([1, 1, 1])', buildLayerNorm({ ...LN, dims: [1, 1, 1], scale: 'none', bias: 'broadcast', negativeAxes: false, seed: 1 })],
    ['the erf form stays erf ([1])', buildGelu({ ...GELU, dims: [1], seed: 1 })],
  ];
  for (const [what, b] of shrunk) it(what, () => equivalent(b, optimizeCopy(b.g, PASS).after));
});

describe('the opset-13 transformer export (zoo/tiny_vit downgraded) at -O2', () => {
  const DIR = join(ZOO, 'tiny_vit');
  const input = readTensorFile(join(DIR, 'test_data_set_0/input_0.pb'));
  const expected = readTensorFile(join(DIR, 'test_data_set_0/output_0.pb'));

  for (const gelu of ['erf', 'tanh'] as const) {
    it(`${gelu} GELU: every LayerNorm and GELU fused, none of their ops left, outputs reproduced (reference and onnxruntime)`, async () => {
      const bytes = downgradeToOpset13(readFileSync(join(DIR, 'model.onnx')), { gelu });
      const original = importOnnx(bytes);
      const g = importOnnx(bytes);
      const report = formatReport(optimize(g, { level: 2 }).reports);
      expect(report).toContain('5 decomposed LayerNorm fused into LayerNormalization');
      expect(report).toContain(gelu === 'erf' ? '2 erf GELU fused into Gelu' : '2 tanh GELU fused into Gelu(approximate=tanh)');
      for (const op of ['ReduceMean', 'Pow', 'Sqrt', 'Sub', 'Erf', 'Tanh']) expect(ops(g), op).not.toContain(op);
      expect(ops(g).filter((o) => o === 'LayerNormalization')).toHaveLength(5);
      // Each Gelu then joins the MatMul + bias before it as a fused epilogue step (fuse-epilogue).
      expect(ops(g)).not.toContain('Gelu');
      expect(g.nodes.flatMap((n) => fusedView(n)?.epilogue ?? []).filter((s) => s.kind === 'gelu')).toEqual(new Array(2).fill({ kind: 'gelu', approximate: gelu === 'erf' ? 'none' : 'tanh' }));
      expect(report).toMatch(/fuse-epilogue: .*MatMul fused with its epilogue/);
      // The erf model is tiny_vit itself: PyTorch's outputs within the case tolerance. The tanh one is compared
      // with its own unoptimized run (float32 re-association only).
      const want = gelu === 'erf' ? expected : runGraph(original, { input })[original.outputs[0]!.name]!;
      const tol = gelu === 'erf' ? tolerance(DIR) : { rtol: 1e-4, atol: 1e-5 };
      expect(compare(runGraph(g, { input })[g.outputs[0]!.name]!, want, tol).ok).toBe(true);
      const { exportOnnx } = await import('../../src/export/onnx.ts');
      const s = await ort.InferenceSession.create(exportOnnx(g));
      const out = (await s.run({ input: new ort.Tensor('float32', input.data as Float32Array, [...input.shape]) }))[s.outputNames[0]!]!;
      await s.release();
      expect(compare({ shape: [...out.dims], data: out.data, size: out.size } as never, want, tol).ok).toBe(true);
    });
  }

  it('layerc optimize -O2 --report counts the fusions; the file it writes runs in onnxruntime-node within the case tolerance', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerc-opset13-'));
    writeFileSync(join(dir, 'vit13.onnx'), downgradeToOpset13(readFileSync(join(DIR, 'model.onnx'))));
    const r = spawnSync(join(REPO_ROOT, 'bin', 'layerc.js'), ['optimize', join(dir, 'vit13.onnx'), '-o', join(dir, 'opt.onnx'), '-O2', '--report'], { encoding: 'utf8', cwd: REPO_ROOT });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/recompose-ops: 5 decomposed LayerNorm fused into LayerNormalization, 2 erf GELU fused into Gelu/);
    const s = await ort.InferenceSession.create(join(dir, 'opt.onnx'));
    const out = (await s.run({ input: new ort.Tensor('float32', input.data as Float32Array, [...input.shape]) }))[s.outputNames[0]!]!;
    await s.release();
    expect(compare({ shape: [...out.dims], data: out.data, size: out.size } as never, expected, tolerance(DIR)).ok).toBe(true);
    expect(ops(loadOnnxFile(join(dir, 'opt.onnx'))).filter((o) => o === 'LayerNormalization')).toHaveLength(5);
  });
});
