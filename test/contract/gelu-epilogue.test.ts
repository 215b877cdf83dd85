// Gelu as a fused epilogue step (src/ops/fused-contract.ts kind 'gelu', both approximations): a MatMul (rank 3,
// the transformer MLP's first Linear), Gemm or Conv followed by its bias Add and a Gelu becomes one Fused node
// under every target that declares GELU_ACTIVATION (portable, js, wgsl), and not under one that does not. What
// fuses runs equal to the unfused graph on the reference interpreter (exact Gelu, float64) on the reference
// (Fused's own semantics), js and wgsl, and the exported file (the gelu step written as its opset-18
// definition) in onnxruntime-node. Tolerance 2e-6 + 1e-5 |y|: the kernels' erf is Abramowitz-Stegun 7.1.26
// (|error| < 1.5e-7, times 0.5|x| <= 3 here), plus float32 re-association of K <= 16 products.
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/graph.ts';
import type { Tensor } from '../../src/ir/tensor.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { runPasses } from '../../passes/pass.ts';
import { fuseEpilogueFor } from '../../passes/fuse-epilogue.ts';
import { GELU_ACTIVATION, PORTABLE_FUSION, fusedView, type FusionCapabilities } from '../../src/ops/fused-contract.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { exportOnnx } from '../../src/export/onnx.ts';
import { JS_FUSION, compileJs } from '../../runtime/js/index.ts';
import { WGSL_FUSION, compileWgsl } from '../../runtime/wgsl/index.ts';
import { builder, runOrtBytes } from '../passes/graphs.ts';
import { hasAdapter } from '../wgsl/gpu.ts';

type Approx = 'none' | 'tanh';

function mlpGraph(approximate: Approx) {
  const b = builder(11);
  const x = b.input('x', [2, 5, 16]);
  const y = b.node('Add', [b.konst('bias', [24], -0.5, 0.5), b.node('MatMul', [x, b.konst('w', [16, 24], -0.6, 0.6)])]);
  return { g: b.out(b.node('Gelu', [y], { approximate }, { name: 'gelu' })), feeds: b.feeds };
}
function gemmGraph(approximate: Approx) {
  const b = builder(12);
  const x = b.input('x', [6, 9]);
  return { g: b.out(b.node('Gelu', [b.node('Gemm', [x, b.konst('w', [7, 9], -0.8, 0.8), b.konst('c', [7])], { transB: 1 })], { approximate })), feeds: b.feeds };
}
function convGraph(approximate: Approx) {
  const b = builder(13);
  const x = b.input('x', [1, 3, 6, 6]);
  const y = b.node('Conv', [x, b.konst('w', [4, 3, 3, 3], -0.5, 0.5), b.konst('b', [4])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  return { g: b.out(b.node('Gelu', [y], { approximate })), feeds: b.feeds };
}
const GRAPHS = { mlp: mlpGraph, gemm: gemmGraph, conv: convGraph };

function fuse(g: Graph, caps: FusionCapabilities): Graph {
  const c = cloneGraph(g);
  runPasses(c, [fuseEpilogueFor(caps)]);
  return c;
}

function close(want: Record<string, Tensor>, got: Record<string, Tensor>): void {
  for (const [k, w] of Object.entries(want)) {
    const t = got[k]!;
    expect(t.shape).toEqual(w.shape);
    for (let i = 0; i < w.size; i++) expect(Math.abs(t.data[i]! - w.data[i]!), `${k}[${i}]`).toBeLessThanOrEqual(2e-6 + 1e-5 * Math.abs(w.data[i]!));
  }
}

describe('Gelu as a fused epilogue step', () => {
  for (const approximate of ['none', 'tanh'] as const) {
    for (const [name, make] of Object.entries(GRAPHS)) {
      it(`${name} + bias + Gelu(${approximate}) -> one Fused node (portable, js, wgsl); reference and onnxruntime agree with the unfused graph`, async () => {
        const { g, feeds } = make(approximate);
        const want = runGraph(g, feeds);
        for (const caps of [PORTABLE_FUSION, JS_FUSION, WGSL_FUSION]) {
          const f = fuse(g, caps);
          expect(f.nodes.map((n) => n.op)).toEqual(['Fused']);
          expect(fusedView(f.nodes[0]!)!.epilogue.at(-1)).toEqual({ kind: 'gelu', approximate });
        }
        const f = fuse(g, PORTABLE_FUSION);
        close(want, runGraph(f, feeds));
        close(want, await runOrtBytes(exportOnnx(f), feeds));
      });
    }

    it(`js runs the fused Gelu(${approximate}) epilogue equal to the reference (MatMul, Gemm, Conv)`, async () => {
      for (const make of Object.values(GRAPHS)) {
        const { g, feeds } = make(approximate);
        const m = await compileJs(fuse(g, JS_FUSION), { threads: 1 });
        try { close(runGraph(g, feeds), await m.run(feeds)); } finally { await m.dispose(); }
      }
    });

    it.skipIf(!hasAdapter)(`wgsl runs the fused Gelu(${approximate}) epilogue equal to the reference (MatMul, Gemm, Conv)`, async () => {
      for (const make of Object.values(GRAPHS)) {
        const { g, feeds } = make(approximate);
        const m = await compileWgsl(fuse(g, WGSL_FUSION));
        try { close(runGraph(g, feeds), await m.run(feeds)); } finally { await m.dispose(); }
      }
    });
  }

  it('a target that does not declare Gelu keeps it a separate node (the bias still fuses)', () => {
    const { g } = mlpGraph('none');
    const noGelu: FusionCapabilities = { ...JS_FUSION, activations: JS_FUSION.activations.filter((a) => a !== GELU_ACTIVATION) };
    expect(fuse(g, noGelu).nodes.map((n) => n.op)).toEqual(['Fused', 'Gelu']);
  });
});
