// LayerNormalization as a fused epilogue step (src/ops/fused-contract.ts kind 'layernorm', row-wise over the
// last axis): x @ W (+ b) (+ residual) -> LayerNorm(scale, B?) (-> Gelu / Relu / Mul) becomes one Fused node
// under every target that lists the base in `rowwise` (portable, js, wgsl) and stays a node of its own where the
// contract says it must (a Conv base, another axis, computed Scale, a second consumer, a second LayerNorm).
// Tolerances, derived:
//   - the fused node on the reference == the original graph EXACTLY: each step is evaluated as the node it
//     replaces evaluates it (float64, rounded to float32 once per step), in the same order;
//   - the exported file in onnxruntime: 1e-5 (1 + |y|), onnxruntime's float32 LayerNorm against float64 statistics
//     (row lengths <= 31, |x^| <= sqrt(n) ~ 5.6, scale <= 1.5: a few ulp of |y| <= 10);
//   - js (1 and 2 threads, wasm and JS-tail epilogues) and wgsl against the reference of the ORIGINAL graph:
//     the running error bound of test/helpers/error-bound.ts (MatMul's (K + 3)u, LayerNorm's 1/sigma
//     amplification of the propagated error plus its own statistics' roundings), as the backend campaign.
import '../helpers/lavapipe-fast.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Graph } from '../../src/ir/graph.ts';
import type { Tensor } from '../../src/ir/tensor.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { runPasses } from '../../passes/pass.ts';
import { fuseEpilogueFor } from '../../passes/fuse-epilogue.ts';
import { PORTABLE_FUSION, fusedView, type FusionCapabilities } from '../../src/ops/fused-contract.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { exportOnnx } from '../../src/export/onnx.ts';
import { JS_FUSION, compileJs, compileProgram } from '../../runtime/js/index.ts';
import { WGSL_FUSION } from '../../runtime/wgsl/index.ts';
import { openDevice, type GpuContext } from '../../runtime/wgsl/device.ts';
import { builder, optimizeCopy, runOrtBytes } from '../passes/graphs.ts';
import { compareBackends, JS_VARIANTS, WGSL_VARIANTS, worstElement } from '../helpers/differential.ts';
import { referenceWithBounds } from '../helpers/error-bound.ts';
import { maxDiff } from '../helpers/random.ts';
import { hasAdapter } from '../wgsl/gpu.ts';
import { renderSvg } from '../../src/cli/viz.ts';

interface Pattern {
  /** Leading dims of x (rows = their product), the contraction K and the row length N. */
  lead: number[]; K: number; N: number;
  gemm: boolean; bias: boolean; residual: boolean; lnBias: boolean;
  /** B a graph input [...lead without its last, K, N] (batched when rank > 2: js runs batch-matmul.ts, not the wasm GEMM). */
  batchedB: boolean;
  /** The step after the LayerNorm, if any. */
  after: 'none' | 'gelu' | 'relu' | 'mul';
  eps: number; seed: number;
}

/** x @ W (+ b) (+ r) -> LayerNorm -> after; Gemm (transB, C) when `gemm` (rank 2 only). */
function pattern(p: Pattern): { g: Graph; feeds: Record<string, Tensor> } {
  const b = builder(p.seed);
  const rows = p.lead.reduce((a, d) => a * d, 1);
  const gemm = p.gemm && p.lead.length === 1;
  const x = b.input('x', [...p.lead, p.K]);
  let y = gemm
    ? b.node('Gemm', [x, b.konst('w', [p.N, p.K], -0.7, 0.7), ...(p.bias ? [b.konst('c', [p.N])] : [])], { transB: 1 })
    : b.node('MatMul', [x, p.batchedB ? b.input('w', [...p.lead.slice(0, -1), p.K, p.N]) : b.konst('w', [p.K, p.N], -0.7, 0.7)]);
  if (p.bias && !gemm) y = b.node('Add', [y, b.konst('b', [p.N])]);
  if (p.residual) y = b.node('Add', [b.input('r', [...p.lead, p.N]), y]);
  y = b.node('LayerNormalization', [y, b.konst('scale', [p.N], 0.5, 1.5), ...(p.lnBias ? [b.konst('beta', [p.N])] : [])], { axis: -1, epsilon: p.eps }, { name: 'ln' });
  if (p.after === 'gelu') y = b.node('Gelu', [y]);
  if (p.after === 'relu') y = b.node('Relu', [y]);
  if (p.after === 'mul') y = b.node('Mul', [y, b.konst('k', [p.N], 0.5, 2)]);
  void rows;
  return { g: b.out(y), feeds: b.feeds };
}

const P = (o: Partial<Pattern>): Pattern => ({ lead: [2, 5], K: 16, N: 24, gemm: false, bias: true, residual: false, lnBias: true, batchedB: false, after: 'none', eps: 1e-5, seed: 1, ...o });
/** Odd row lengths (1, primes), several rows, batch dims, with and without LN bias, followed by another epilogue. */
const CASES: Record<string, Pattern> = {
  'MatMul [2,5,16]x[16,24] + b -> LN -> Gelu': P({ after: 'gelu' }),
  'MatMul rows of 1 element (N = 1)': P({ N: 1, lead: [3] }),
  'MatMul N = 13, [2,3,4] batch dims, LN without bias': P({ N: 13, lead: [2, 3, 4], K: 5, lnBias: false, seed: 2 }),
  'MatMul N = 31, one row, no bias': P({ N: 31, lead: [1], K: 7, bias: false, seed: 3 }),
  'post-norm: MatMul + b + residual -> LN -> Mul': P({ residual: true, after: 'mul', N: 7, seed: 4 }),
  'batched MatMul (computed B [2,5,7]) + b -> LN -> Relu': P({ lead: [2, 3], K: 5, N: 7, batchedB: true, after: 'relu', seed: 7 }),
  'Gemm transB + C -> LN -> Relu (N = 2)': P({ gemm: true, lead: [6], K: 9, N: 2, after: 'relu', seed: 5 }),
  'Gemm without C + residual -> LN, eps 1e-3': P({ gemm: true, lead: [4], K: 3, N: 11, bias: false, residual: true, eps: 1e-3, seed: 6 }),
};

function fuse(g: Graph, caps: FusionCapabilities): Graph {
  const c = cloneGraph(g);
  runPasses(c, [fuseEpilogueFor(caps)]);
  return c;
}

let device: GpuContext | undefined;
beforeAll(async () => { if (hasAdapter) device = await openDevice(); });
afterAll(() => device?.device.destroy());

describe('LayerNorm as a fused epilogue step', () => {
  it('each pattern becomes one Fused node ending in (or followed inside by) the layernorm step; reference exact, onnxruntime close', async () => {
    for (const [name, p] of Object.entries(CASES)) {
      const { g, feeds } = pattern(p);
      const want = runGraph(g, feeds);
      for (const caps of [PORTABLE_FUSION, JS_FUSION, WGSL_FUSION]) {
        const f = fuse(g, caps);
        expect(f.nodes.map((n) => n.op), name).toEqual(['Fused']);
        const ep = fusedView(f.nodes[0]!)!.epilogue;
        const ln = ep.find((s) => s.kind === 'layernorm');
        expect(ln, name).toMatchObject({ kind: 'layernorm', epsilon: p.eps });
        expect(ln && ln.kind === 'layernorm' && ln.bias !== null, name).toBe(p.lnBias);
        expect(ep.at(-1)!.kind, name).toBe(p.after === 'none' ? 'layernorm' : p.after === 'mul' ? 'mul' : p.after === 'gelu' ? 'gelu' : 'act');
      }
      const f = fuse(g, PORTABLE_FUSION);
      expect(maxDiff(want, runGraph(f, feeds)), name).toBe(0);
      const ort = await runOrtBytes(exportOnnx(f), feeds);
      for (const [k, w] of Object.entries(want)) w.data.forEach((v, i) => expect(Math.abs(ort[k]!.data[i]! - v), `${name} ${k}[${i}]`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(v))));
    }
  });

  it('js runs it in the gemm or batched-matmul kernel (no reference fallback), equal to the reference within the derived bound: 1 and 2 threads, wasm and JS-tail epilogues', async () => {
    for (const [name, p] of Object.entries(CASES)) {
      const { g, feeds } = pattern(p);
      const { ref, bounds } = referenceWithBounds(g, feeds);
      const f = fuse(g, JS_FUSION);
      const kinds = compileProgram(f, { threads: 1 }).kernels.map((k) => k.kind);
      expect(kinds.length, name).toBe(1);
      expect(kinds[0], name).toMatch(/^(Gemm|MatMul) /);
      for (const opts of [{ threads: 1 }, { threads: 2 }, { threads: 2, simdEpilogue: false }]) {
        const m = await compileJs(f, opts);
        try {
          const got = await m.run(feeds);
          const o = g.outputs[0]!.name;
          expect(worstElement(got[f.outputs[0]!.name]!, ref[o]!, bounds.get(o)!).ratio, `${name} ${JSON.stringify(opts)}`).toBeLessThanOrEqual(1);
        } finally { await m.dispose(); }
      }
    }
  });

  it.skipIf(!hasAdapter)('every backend variant (js t1/t2 at -O0/-O2, wgsl direct and tiled) agrees with the reference of the unfused graph', async () => {
    for (const [name, p] of Object.entries(CASES)) {
      const { g, feeds } = pattern(p);
      const { disagreements } = await compareBackends(g, feeds, [...JS_VARIANTS, ...WGSL_VARIANTS], { device });
      expect(disagreements, name).toEqual([]);
    }
  }, 60_000);

  it('left alone: a Conv base, another axis, a computed Scale, a second consumer, a graph output, a second LayerNorm, a target without rowwise', () => {
    const ops = (g: Graph, caps: FusionCapabilities = PORTABLE_FUSION) => fuse(g, caps).nodes.map((n) => n.op);
    {
      // Conv's rows (its last axis) are not where its kernels finish work: no Conv row in `rowwise`.
      const b = builder(7);
      const y = b.node('Conv', [b.input('x', [1, 2, 4, 5]), b.konst('w', [3, 2, 1, 1]), b.konst('c', [3])], { kernel_shape: [1, 1] });
      expect(ops(b.out(b.node('LayerNormalization', [y, b.konst('s', [5])], { axis: -1 })), JS_FUSION)).toEqual(['Conv', 'LayerNormalization']);
    }
    {
      const b = builder(8);
      const y = b.node('MatMul', [b.input('x', [2, 3, 4]), b.konst('w', [4, 5])]);
      // Over axes 1 and 2 (15 values) with a Scale of 5 broadcast along them: one value per row element, another axis.
      expect(ops(b.out(b.node('LayerNormalization', [y, b.konst('s', [5])], { axis: 1 })))).toEqual(['MatMul', 'LayerNormalization']);
    }
    {
      const b = builder(9);
      const y = b.node('MatMul', [b.input('x', [2, 4]), b.konst('w', [4, 5])]);
      expect(ops(b.out(b.node('LayerNormalization', [y, b.input('s', [5])])))).toEqual(['MatMul', 'LayerNormalization']);
    }
    {
      // The residual's sum is also the next block's input (a pre-norm transformer): the chain stops before the LN.
      const b = builder(10);
      const x = b.input('x', [2, 4]);
      const h = b.node('Add', [x, b.node('MatMul', [x, b.konst('w', [4, 4])])]);
      const n = b.node('LayerNormalization', [h, b.konst('s', [4])]);
      expect(ops(b.out(b.node('Add', [h, n])))).toEqual(['Fused', 'LayerNormalization', 'Add']);
    }
    {
      const b = builder(11);
      const y = b.node('MatMul', [b.input('x', [2, 4]), b.konst('w', [4, 5])]);
      expect(ops(b.out(y, b.node('LayerNormalization', [y, b.konst('s', [5])])))).toEqual(['MatMul', 'LayerNormalization']);
    }
    {
      const b = builder(12);
      const y = b.node('LayerNormalization', [b.node('MatMul', [b.input('x', [2, 4]), b.konst('w', [4, 5])]), b.konst('s', [5])]);
      const twice = fuse(b.out(b.node('LayerNormalization', [b.node('Relu', [y]), b.konst('s2', [5])])), PORTABLE_FUSION);
      expect(twice.nodes.map((n) => n.op)).toEqual(['Fused', 'LayerNormalization']);
      expect(fusedView(twice.nodes[0]!)!.epilogue.map((s) => s.kind)).toEqual(['layernorm', 'act']);
    }
    {
      const { g } = pattern(P({}));
      expect(ops(g, { ...JS_FUSION, rowwise: [] })).toEqual(['Fused', 'LayerNormalization']);
    }
  });

  it('layerc viz labels the step with its Scale and B', async () => {
    const svg = await renderSvg([{ title: 'fused', graph: fuse(pattern(P({})).g, PORTABLE_FUSION) }]);
    expect(svg).toContain('LayerNorm (last axis) × scale + beta');
  });

  it('--report counts it', () => {
    const { report } = optimizeCopy(pattern(P({ after: 'gelu' })).g, ['fuse-epilogue']);
    expect(report).toContain('fuse-epilogue: 1 MatMul fused with its epilogue, 3 epilogue steps, 1 LayerNorm epilogues');
  });
});

// Property: random patterns (row length 1..33, 1-3 leading dims, K 1..9, each optional piece on or off).
const arbPattern: fc.Arbitrary<Pattern> = fc.record({
  lead: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), K: fc.integer({ min: 1, max: 9 }), N: fc.integer({ min: 1, max: 33 }),
  gemm: fc.boolean(), bias: fc.boolean(), residual: fc.boolean(), lnBias: fc.boolean(), batchedB: fc.boolean(),
  after: fc.constantFrom('none' as const, 'gelu' as const, 'relu' as const, 'mul' as const), eps: fc.constantFrom(1e-5, 1e-3, 0.1), seed: fc.integer({ min: 1, max: 1e6 }),
});

describe('LayerNorm epilogue properties (fast-check)', () => {
  it('fused == original on the reference, exactly (each step rounds as the node it replaces)', () => {
    fc.assert(fc.property(arbPattern, (p) => {
      const { g, feeds } = pattern(p);
      const f = fuse(g, PORTABLE_FUSION);
      expect(f.nodes.map((n) => n.op)).toEqual(['Fused']);
      expect(maxDiff(runGraph(g, feeds), runGraph(f, feeds))).toBe(0);
    }), { numRuns: 200, seed: 19 });
  });

  it('js (2 threads) == reference of the original within the derived bound', async () => {
    await fc.assert(fc.asyncProperty(arbPattern, async (p) => {
      const { g, feeds } = pattern(p);
      const { ref, bounds } = referenceWithBounds(g, feeds);
      const m = await compileJs(fuse(g, JS_FUSION), { threads: 2 });
      try {
        const got = await m.run(feeds), o = g.outputs[0]!.name;
        expect(worstElement(got[o]!, ref[o]!, bounds.get(o)!).ratio).toBeLessThanOrEqual(1);
      } finally { await m.dispose(); }
    }), { numRuns: 15, seed: 20 });
  }, 60_000);

  it.skipIf(!hasAdapter)('wgsl == reference of the original within the derived bound', async () => {
    await fc.assert(fc.asyncProperty(arbPattern, async (p) => {
      const { g, feeds } = pattern(p);
      const { disagreements } = await compareBackends(g, feeds, WGSL_VARIANTS, { device });
      expect(disagreements).toEqual([]);
    }), { numRuns: 4, seed: 21 });
  }, 60_000);
});
