// Regression for issue #13: a bias-free base op (conv2d(..., bias=false), dense(..., bias=false)) followed by
// a residual Add fuses into Fused(Conv) with the residual as its first epilogue operand, at the input index a
// conv bias would have. The js kernels read it as a per-channel bias (every pixel of channel c got img[c]),
// off by up to ~4.8 from the reference. Fixed at the cause: the bias's broadcast now comes from the base
// op's declaration (src/ops/fused-contract.ts BASE_OPS), not from an input index.
// Every case runs on the reference interpreter and on js (1 and 2 threads) and wgsl, at -O0 (the backend's
// own lowering fuses) and -O2 (the optimizer fuses): inference outputs, and one training step (loss, every
// gradient, every next state: parameters, running statistics). Each case also checks that the fused shape
// the bug needs is really there (a Fused node over a base without its bias, with an epilogue operand).
// Tolerance per tensor: |got - ref| <= 1e-3 |ref| + 1e-4 max(max|ref|, 0.1) (float32 sums of up to 576
// terms against the reference's; the bug's errors were O(1)). Gemm's gradient rule without C (dense(bias=false))
// returned three gradients for two inputs and could not be trained at all; fixed in src/train/gradients-nn.ts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Graph, Value } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { compileDsl, compileDslFile } from '../../src/frontend/dsl.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { optimize } from '../../passes/index.ts';
import { buildTrainingGraph } from '../../passes/split-train-infer.ts';
import { lowerForJs } from '../../runtime/js/lower.ts';
import { fusedView } from '../../src/ops/fused-contract.ts';
import { stateAsInputs } from '../../src/train/loop/trainer.ts';
import { getBackend } from '../../runtime/backend.ts';
import { lcg, randomTensor } from '../js/graphs.ts';
import { hasAdapter } from '../wgsl/gpu.ts';

const EXAMPLES = join(import.meta.dirname, '../../examples');

const R1 = `model r1(img: f32[N, 8, 16, 16]) {
  h = img |> conv2d(8, kernel=3, pad=1, bias=false)
  return h + img
}`;
const BLOCK = `model resblock(x: f32[N, 8, 9, 9]) {
  y = x |> conv2d(8, kernel=3, pad=1, bias=false) |> relu |> conv2d(8, kernel=3, pad=1, bias=false)
  return relu(y + x)
}`;
const DEPTHWISE = `model dw(x: f32[N, 8, 7, 7]) {
  h = x |> conv2d(8, kernel=3, pad=1, groups=8, bias=false)
  return h + x
}`;
const DENSE = `model d(x: f32[N, 16]) {
  h = x |> dense(16, bias=false)
  return relu(h + x)
}`;

interface Case { name: string; model: () => Graph; batch: number }
const CASES: Case[] = [
  { name: 'issue #13 program (conv bias=false + img)', model: () => compileDsl(R1, 'r1.layers', { seed: 1 }), batch: 2 },
  { name: 'bias-free ResNet block', model: () => compileDsl(BLOCK, 'block.layers', { seed: 2 }), batch: 2 },
  { name: 'bias-free depthwise conv + residual', model: () => compileDsl(DEPTHWISE, 'dw.layers', { seed: 3 }), batch: 2 },
  { name: 'bias-free dense + residual', model: () => compileDsl(DENSE, 'd.layers', { seed: 4 }), batch: 3 },
  { name: 'examples/resnet_mini.layers', model: () => compileDslFile(join(EXAMPLES, 'resnet_mini.layers'), { seed: 5 }), batch: 2 },
];

const TARGETS = [
  { backend: 'js', threads: 1 },
  { backend: 'js', threads: 2 },
  ...(hasAdapter ? [{ backend: 'wgsl', threads: 1 }] : []),
];
if (!hasAdapter) console.warn('test/contract: wgsl targets SKIPPED (no WebGPU adapter)');

function withBatch(c: Case): Graph {
  const g = c.model();
  for (const v of g.inputs) v.type = { ...v.type, shape: v.type.shape!.map((d) => (typeof d === 'number' ? d : c.batch)) };
  inferShapes(g);
  return g;
}

/** Whether lowering makes a Fused node over a base whose bias is absent, with an epilogue operand: the bug's shape. */
function hasBiasFreeFusedOperand(g: Graph): boolean {
  return lowerForJs(g).nodes.some((n) => {
    const v = n.op === 'Fused' ? fusedView(n) : null;
    return !!v && !v.bias && v.epilogue.some((s) => s.kind !== 'act');
  });
}

function expectClose(what: string, got: Tensor, want: Tensor): void {
  expect([...got.shape], what).toEqual([...want.shape]);
  let big = 0.1;
  for (const v of want.data) big = Math.max(big, Math.abs(v));
  for (let i = 0; i < want.size; i++) {
    const err = Math.abs(got.data[i]! - want.data[i]!);
    if (!(err <= 1e-4 * big + 1e-3 * Math.abs(want.data[i]!))) expect.fail(`${what}[${i}]: ${got.data[i]} vs reference ${want.data[i]}`);
  }
}

async function runOn(backend: string, threads: number, g: Graph, feeds: Record<string, Tensor>, training: boolean) {
  const m = await (await getBackend(backend)).compile(g, { threads, training, seed: 5 });
  try { return await m.run(feeds); } finally { await m.dispose(); }
}

describe('bias-free base + epilogue operand: every backend == reference (issue #13)', () => {
  for (const c of CASES) {
    describe(c.name, () => {
      it('lowering produces the bias-free Fused node with an epilogue operand', () => {
        expect(hasBiasFreeFusedOperand(withBatch(c))).toBe(true);
      });

      for (const level of [0, 2] as const) {
        it(`inference -O${level}: ${TARGETS.map((t) => `${t.backend}/${t.threads}`).join(', ')}`, async () => {
          const g = withBatch(c);
          const x = g.inputs[0]!;
          const feeds = { [x.name]: randomTensor(x.type.shape as number[], lcg(7)) };
          const want = runGraph(g, feeds);
          const opt = cloneGraph(g);
          if (level === 2) optimize(opt, { level: 2 });
          for (const t of TARGETS) {
            const got = await runOn(t.backend, t.threads, opt, feeds, false);
            for (const v of g.outputs) expectClose(`${t.backend}/${t.threads} -O${level} ${v.name}`, got[v.name]!, want[v.name]!);
          }
        }, 60_000);
      }

      it(`one training step (SGD, MSE): loss, every gradient, next state on ${TARGETS.map((t) => `${t.backend}/${t.threads}`).join(', ')}`, async () => {
        const p = buildTrainingGraph(withBatch(c), { loss: 'mse', optimizer: { kind: 'sgd', lr: 0.1 }, seed: 5 });
        const g = p.graph;
        const state = [...p.next.keys()];
        stateAsInputs(g, [...state, ...g.initializers.filter((v) => v.role && !p.next.has(v))]);
        const grads = [...p.grads.values()].filter((v): v is Value => !!v);
        g.outputs = [...new Set([p.output, p.loss, ...grads, ...p.next.values(), ...g.outputs])];
        expect(grads.length).toBeGreaterThan(0);
        // Seed 12: with seed 11 one ReLU input of resnet_mini is 2e-6 on wgsl and 0 on the reference (float32
        // summation order), which flips that element's gradient mask; that is a kink, not a kernel error.
        const rnd = lcg(12);
        const feeds: Record<string, Tensor> = {
          [p.input.name]: randomTensor(p.input.type.shape as number[], rnd),
          [p.labels.name]: randomTensor(p.labels.type.shape as number[], rnd),
        };
        for (const v of g.inputs) if (v.const) feeds[v.name] = v.const;
        const want = runGraph(g, feeds, { training: true });
        for (const t of TARGETS) {
          const got = await runOn(t.backend, t.threads, g, feeds, true);
          for (const v of g.outputs) expectClose(`${t.backend}/${t.threads} ${v.name}`, got[v.name]!, want[v.name]!);
        }
      }, 120_000);
    });
  }
});
