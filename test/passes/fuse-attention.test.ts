// fuse-attention: the exporters' forms of scaled dot-product attention become one ai.layerc::Attention node
// (before/expected), the graphs it must leave alone are left alone (with the reason reported), the fused graph
// equals the unfused one on the reference interpreter (fast-check, tolerance in ./attention-graphs.ts), and what
// `layerc optimize` writes runs in onnxruntime-node.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { join } from 'node:path';
import { runGraph } from '../../src/ir/interpret.ts';
import { exportOnnx } from '../../src/export/onnx.ts';
import { loadOnnxFile } from '../../src/frontend/onnx.ts';
import { optimize } from '../../passes/index.ts';
import { formatReport } from '../../passes/pass.ts';
import { maxAbsDiff, maxDiff } from '../helpers/random.ts';
import { importOnnx } from '../../src/frontend/onnx.ts';
import { floatTensor, model, vi } from '../onnx/build.ts';
import { ZOO } from '../fixtures.ts';
import { attentionFormArb, attentionGraph, attentionTolerance, type AttentionForm } from './attention-graphs.ts';
import { builder, opList, optimizeCopy, runOrtBytes } from './graphs.ts';

const PASS = ['fuse-attention'];
const base: AttentionForm = {
  lead: [2, 3], T: 5, S: 4, D: 6, Dv: 3, scaleOn: 'q', div: true, constFirst: false, k: 'swap', qvHeads: false, outHeads: false,
  mask: null, maskFirst: false, positiveAxis: false, mag: 1, seed: 7,
};

/** Fuses `f`'s graph, checks it against the unfused reference within the stated tolerance, returns the result. */
function fusesTo(f: AttentionForm) {
  const { g, feeds, scale } = attentionGraph(f);
  const r = optimizeCopy(g, PASS);
  const att = r.after.nodes.find((n) => n.op === 'Attention');
  expect(att?.domain, `${JSON.stringify(f)}\n${r.report}`).toBe('ai.layerc');
  expect(Number(att!.attrs.scale)).toBeCloseTo(scale, 6);
  expect(maxDiff(runGraph(g, feeds), runGraph(r.after, feeds))).toBeLessThanOrEqual(attentionTolerance(f, feeds));
  return { ...r, g, feeds, att: att! };
}

describe('fuse-attention', () => {
  it('Q / sqrt(d), K^T by a Transpose: Attention(Q, K, V) with scale 1/sqrt(d), the Transpose absorbed', () => {
    const { after, report } = fusesTo(base);
    expect(opList(after)).toEqual(['ai.layerc::Attention']);
    expect(after.nodes[0]!.inputs.map((v) => v!.name)).toEqual(['q', 'k', 'v']);
    expect(report).toContain('fuse-attention: 1 attention blocks fused');
  });

  it("torch's head Transpose [S, BH, D] -> [BH, D, S] for K^T becomes the layout k_perm [1, 0, 2] (K read where it is)", () => {
    const { after, att } = fusesTo({ ...base, lead: [6], k: 'heads' });
    expect(opList(after)).toEqual(['ai.layerc::Attention']);
    expect(att.attrs.k_perm).toEqual([1, 0, 2]);
    expect(att.inputs[1]!.name).toBe('k');
  });

  it("torch's MultiheadAttention layout: the Q, K, V head Transposes and the one back become layouts; no Transpose left", () => {
    const { after, att } = fusesTo({ ...base, lead: [2, 3], k: 'heads', qvHeads: true, outHeads: true, mask: [2, 1, 1, 4] });
    expect(opList(after)).toEqual(['ai.layerc::Attention']);
    expect([att.attrs.q_perm, att.attrs.k_perm, att.attrs.v_perm, att.attrs.y_perm]).toEqual([[1, 2, 0, 3], [1, 2, 0, 3], [1, 2, 0, 3], [2, 0, 1, 3]]);
    expect(att.outputs[0]!.type.shape).toEqual([5, 2, 3, 3]);
  });

  it('K given pre-transposed gets a Transpose of its last two axes; sqrt(scale) on Q and K (SDPA export) multiplies out', () => {
    const { after } = fusesTo({ ...base, k: 'pre', scaleOn: 'qk', div: false, constFirst: true });
    expect(opList(after)).toEqual(['Transpose', 'ai.layerc::Attention']);
    expect(after.nodes[0]!.attrs.perm).toEqual([0, 1, 3, 2]);
  });

  it('scale on the scores, then a mask Add of each broadcast ([B,1,1,S], [T,S], [S], full), mask on either side', () => {
    for (const mask of [[2, 1, 1, 4], [5, 4], [4], [2, 3, 5, 4]]) {
      for (const maskFirst of [false, true]) {
        const { att } = fusesTo({ ...base, scaleOn: 'scores', mask, maskFirst });
        expect(att.inputs[3]!.name).toBe('mask');
      }
    }
  });

  it('fused == unfused on the reference for every exporter form (fast-check; T = 1, odd sizes, masks, large inputs)', () => {
    fc.assert(fc.property(attentionFormArb, (f) => { fusesTo(f); }), { seed: 1919, numRuns: 150 });
  });

  it('opset 11 Softmax (input coerced to 2-D at axis): fused when axis is the last (the same function), left alone otherwise; onnxruntime runs the original', async () => {
    for (const [axis, fused] of [[3, true], [-1, true], [2, false]] as const) {
      const b = builder(11);
      const feeds = { q: b.rand([2, 3, 5, 6], -2, 2), kt: b.rand([2, 3, 6, 4], -2, 2), v: b.rand([2, 3, 4, 3]) };
      const bytes = model([
        { opType: 'MatMul', input: ['q', 'kt'], output: ['s'] }, { opType: 'Mul', input: ['s', 'c'], output: ['z'] },
        { opType: 'Softmax', input: ['z'], output: ['p'], attribute: [{ name: 'axis', type: 2 /* INT */, i: axis }] }, { opType: 'MatMul', input: ['p', 'v'], output: ['y'] },
      ], { opset: 11, inputs: [vi('q', [2, 3, 5, 6]), vi('kt', [2, 3, 6, 4]), vi('v', [2, 3, 4, 3])], outputs: [vi('y', [2, 3, 5, 3])], initializer: [floatTensor('c', [], [0.4])] });
      const g = importOnnx(bytes);
      const { reports } = optimize(g, { level: 2 });
      expect(opList(g).includes('ai.layerc::Attention'), `axis ${axis}\n${formatReport(reports)}`).toBe(fused);
      const [ours, theirs] = [runGraph(g, feeds).y!, (await runOrtBytes(bytes, feeds)).y!];
      expect(maxAbsDiff(ours, theirs), `axis ${axis}`).toBeLessThan(1e-5);
    }
  });

  describe('left alone, with the reason reported', () => {
    const skips = (f: AttentionForm, edit: (b: ReturnType<typeof attentionGraph>) => void, reason: string) => {
      const built = attentionGraph(f);
      edit(built);
      const { after, report } = optimizeCopy(built.g, PASS);
      expect(opList(after)).not.toContain('ai.layerc::Attention');
      expect(report).toContain(reason);
    };
    const named = (b: ReturnType<typeof attentionGraph>, op: string) => b.g.nodes.find((n) => n.op === op)!.outputs[0]!;

    it('probabilities that are also a graph output', () => {
      skips(base, (b) => { b.g.outputs.push(named(b, 'Softmax')); }, 'attention probabilities have other consumers');
    });
    it('scores read by another node', () => {
      skips(base, (b) => { b.g.outputs.push(named(b, 'MatMul')); }, 'Softmax input is not a scaled MatMul');
    });
    it('Softmax over another axis', () => {
      skips(base, (b) => { b.g.nodes.find((n) => n.op === 'Softmax')!.attrs.axis = 2; }, 'Softmax is not over the last axis');
    });
    it('a scale after the mask Add (it would scale the mask)', () => {
      const b = builder(3);
      const q = b.input('q', [2, 3, 4]), k = b.input('k', [2, 4, 3]), v = b.input('v', [2, 3, 2]), m = b.input('m', [3, 3]);
      const s = b.node('Mul', [b.node('Add', [b.node('MatMul', [q, k]), m]), b.scalar('c', 0.5)]);
      const g = b.out(b.node('MatMul', [b.node('Softmax', [s], { axis: -1 }), v]));
      const { after, report } = optimizeCopy(g, PASS);
      expect(opList(after)).toEqual(opList(g));
      expect(report).toContain('Softmax input is not a scaled MatMul (plus a mask)');
    });
    it('a per-head (non-scalar) scale, and MatMul batch broadcasting (K shared by every head)', () => {
      const b = builder(4);
      const q = b.input('q', [2, 3, 4]), k = b.input('k', [1, 4, 3]), v = b.input('v', [2, 3, 2]);
      const s1 = b.node('Mul', [b.node('MatMul', [q, b.input('k2', [2, 4, 3])]), b.konst('perhead', [2, 1, 1])]);
      const y1 = b.node('MatMul', [b.node('Softmax', [s1], { axis: -1 }), v]);
      const y2 = b.node('MatMul', [b.node('Softmax', [b.node('MatMul', [q, k])], { axis: -1 }), v]);
      const { after, report } = optimizeCopy(b.out(y1, y2), PASS);
      expect(opList(after)).not.toContain('ai.layerc::Attention');
      expect(report).toContain('Q, K, V leading dims differ');
      expect(report).toContain('Softmax input is not a scaled MatMul');
    });
  });

  it('the exported ONNX (Attention written back as Transpose/MatMul/Mul/Add/Softmax/MatMul) runs in onnxruntime-node', async () => {
    for (const f of [{ ...base, mask: [2, 1, 1, 4] }, { ...base, lead: [6], k: 'heads' as const, scaleOn: 'scores' as const, mask: [5, 4] },
      { ...base, k: 'heads' as const, qvHeads: true, outHeads: true, mask: [4] }]) {
      const { after, g, feeds } = fusesTo(f);
      const ort = await runOrtBytes(exportOnnx(after), feeds);
      expect(maxDiff(runGraph(g, feeds), ort)).toBeLessThanOrEqual(attentionTolerance(f, feeds));
    }
  });

  it('zoo/tiny_vit at -O2: both attention blocks fused with their 4 head Transposes each, no Softmax left; --report counts them', () => {
    const g = loadOnnxFile(join(ZOO, 'tiny_vit', 'model.onnx'));
    const transposes = opList(g).filter((o) => o === 'Transpose').length;
    const { reports } = optimize(g, { level: 2 });
    expect(opList(g).filter((o) => o === 'ai.layerc::Attention')).toHaveLength(2);
    expect(opList(g)).not.toContain('Softmax');
    expect(opList(g).filter((o) => o === 'Transpose')).toHaveLength(transposes - 8);
    expect(formatReport(reports)).toContain('fuse-attention: 2 attention blocks fused');
  });
});
