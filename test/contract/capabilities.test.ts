// The fusion pass fuses what the target declares (src/ops/fused-contract.ts FusionCapabilities), not one
// backend's limits: each backend exports its capabilities as data (runtime/js/fusion.ts JS_FUSION,
// runtime/wgsl/fusion.ts WGSL_FUSION) and the caller hands them to fuseEpilogueFor. Checked: the same graph
// fuses differently under different capabilities, and what each backend's capabilities fuse runs on that
// backend equal to the reference (so a capability a backend declares is one it really has). Also the
// operand classification the pass and the backends share (classifyOperand).
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/graph.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { runPasses } from '../../passes/pass.ts';
import { fuseEpilogueFor } from '../../passes/fuse-epilogue.ts';
import { PORTABLE_FUSION, classifyOperand, fusedView, type FusionCapabilities } from '../../src/ops/fused-contract.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { JS_FUSION, compileJs } from '../../runtime/js/index.ts';
import { WGSL_FUSION, compileWgsl } from '../../runtime/wgsl/index.ts';
import { builder } from '../passes/graphs.ts';
import { maxDiff } from '../helpers/random.ts';
import { hasAdapter } from '../wgsl/gpu.ts';

/** Gemm [5, 7] x [7, 9] + a per-row operand [5, 1], then Sigmoid. */
function gemmRowGraph() {
  const b = builder(3);
  const x = b.input('x', [5, 7]);
  const r = b.input('r', [5, 1]);
  const y = b.node('Gemm', [x, b.konst('w', [7, 9])], {}, { name: 'gemm' });
  return { g: b.out(b.node('Sigmoid', [b.node('Add', [y, r])], {}, { name: 'y' })), feeds: b.feeds };
}

/** ConvTranspose then a per-channel Add and Relu. */
function convTransposeGraph() {
  const b = builder(4);
  const x = b.input('x', [1, 3, 4, 4]);
  const y = b.node('ConvTranspose', [x, b.konst('w', [3, 2, 3, 3])], { kernel_shape: [3, 3], strides: [2, 2] }, { name: 'ct' });
  return { g: b.out(b.node('Relu', [b.node('Add', [y, b.konst('c', [2, 1, 1])])], {}, { name: 'y' })), feeds: b.feeds };
}

function fuse(g: Graph, caps: FusionCapabilities): Graph {
  const c = cloneGraph(g);
  runPasses(c, [fuseEpilogueFor(caps)]);
  return c;
}
const epilogueKinds = (g: Graph) => g.nodes.flatMap((n) => fusedView(n)?.epilogue.map((s) => (s.kind === 'act' ? s.name : s.kind)) ?? []);

describe('fusion follows the target capabilities', () => {
  it('a per-row Gemm operand fuses for js and wgsl (they address it), not for the portable target', () => {
    const { g } = gemmRowGraph();
    expect(fuse(g, PORTABLE_FUSION).nodes.map((n) => n.op)).toEqual(['Gemm', 'Add', 'Sigmoid']); // the chain stops at the Add
    expect(epilogueKinds(fuse(g, JS_FUSION))).toEqual(['add', 'Sigmoid']);
    expect(epilogueKinds(fuse(g, WGSL_FUSION))).toEqual(['add', 'Sigmoid']);
  });

  it('an activation the target does not declare is left out of the epilogue', () => {
    const { g } = gemmRowGraph();
    const noSigmoid: FusionCapabilities = { ...JS_FUSION, activations: JS_FUSION.activations.filter((a) => a !== 'Sigmoid') };
    expect(epilogueKinds(fuse(g, noSigmoid))).toEqual(['add']);
    expect(fuse(g, noSigmoid).nodes.map((n) => n.op)).toEqual(['Fused', 'Sigmoid']);
  });

  it('ConvTranspose is a base for js and wgsl, not for the portable target', () => {
    const { g } = convTransposeGraph();
    expect(fuse(g, PORTABLE_FUSION).nodes.map((n) => n.op)).toEqual(['ConvTranspose', 'Add', 'Relu']);
    expect(fuse(g, JS_FUSION).nodes.map((n) => n.op)).toEqual(['Fused']);
    expect(fuse(g, WGSL_FUSION).nodes.map((n) => n.op)).toEqual(['Fused']);
  });

  it('what JS_FUSION fuses runs on js == reference', async () => {
    for (const { g, feeds } of [gemmRowGraph(), convTransposeGraph()]) {
      const m = await compileJs(fuse(g, JS_FUSION), { threads: 1 });
      try { expect(maxDiff(runGraph(g, feeds), await m.run(feeds))).toBeLessThan(1e-5); } finally { await m.dispose(); }
    }
  });

  it.skipIf(!hasAdapter)('what WGSL_FUSION fuses runs on wgsl == reference', async () => {
    for (const { g, feeds } of [gemmRowGraph(), convTransposeGraph()]) {
      const m = await compileWgsl(fuse(g, WGSL_FUSION));
      try { expect(maxDiff(runGraph(g, feeds), await m.run(feeds))).toBeLessThan(1e-5); } finally { await m.dispose(); }
    }
  });
});

describe('classifyOperand (shared by the pass and the backends)', () => {
  it('names every broadcast kind, with and without leading 1s', () => {
    const out = [2, 4, 5, 6];
    expect(classifyOperand([], out)).toBe('scalar');
    expect(classifyOperand([1, 1, 1, 1], out)).toBe('scalar');
    expect(classifyOperand([4, 1, 1], out)).toBe('channel');
    expect(classifyOperand([1, 4, 1, 1], out)).toBe('channel');
    expect(classifyOperand([6], out)).toBe('column');
    expect(classifyOperand([2, 4, 5, 6], out)).toBe('full');
    expect(classifyOperand([4, 5, 6], out)).toBe(null); // broadcast over the batch only: no kind of its own
    expect(classifyOperand([5, 1], [5, 9])).toBe('row');
    expect(classifyOperand([9], [5, 9])).toBe('column');
    expect(classifyOperand([2, 1, 4, 1, 1], out)).toBe(null); // grows the output
    expect(classifyOperand(['N', 4, 1, 1], ['N', 4, 5, 6])).toBe(null);
    expect(classifyOperand(['N', 4, 5, 6], ['N', 4, 5, 6])).toBe('full');
  });
});
