// Shared by the backend-agreement suites of test/contract: the targets (js with 1 and 2 threads, wgsl when
// there is an adapter), the per-tensor tolerance, and one case checked in inference at -O0/-O2 and in one
// training step (loss, every gradient, every next state) against the reference interpreter.
// Tolerance per tensor: |got - ref| <= 1e-3 |ref| + 1e-4 max(max|ref|, 0.1) (float32 sums of up to 576 terms
// against the reference's).
import { describe, expect, it } from 'vitest';
import type { Graph, Value } from '../../src/ir/graph.ts';
import type { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { optimize } from '../../passes/index.ts';
import { buildTrainingGraph } from '../../passes/split-train-infer.ts';
import { lowerInPlace } from '../../passes/pipelines.ts';
import { JS_CAPABILITIES } from '../../runtime/js/index.ts';
import { fusedView } from '../../src/ops/fused-contract.ts';
import { stateAsInputs } from '../../src/train/loop/trainer.ts';
import { compileFor } from '../../src/compile-for.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';
import { hasAdapter } from '../wgsl/gpu.ts';

export interface Case { name: string; model: () => Graph; batch: number }

export const TARGETS = [
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
  const low = cloneGraph(g);
  lowerInPlace(low, { ...JS_CAPABILITIES, elementwiseChains: null });
  return low.nodes.some((n) => {
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
  const m = await compileFor(backend, g, { threads, training, seed: 5 });
  try { return await m.run(feeds); } finally { await m.dispose(); }
}

/** Registers the suite for `cases`: the bias-free Fused shape is there, inference -O0/-O2, one training step. */
export function agreementSuite(title: string, cases: Case[]): void {
describe(title, () => {
  for (const c of cases) {
    describe(c.name, () => {
      it('lowering produces the bias-free Fused node with an epilogue operand', () => {
        expect(hasBiasFreeFusedOperand(withBatch(c))).toBe(true);
      });

      for (const level of [0, 2] as const) {
        it(`inference -O${level}: ${TARGETS.map((t) => `${t.backend}/${t.threads}`).join(', ')}`, async () => {
          const g = withBatch(c);
          const x = g.inputs[0]!;
          const feeds = { [x.name]: uniformTensor(x.type.shape as number[], lcg(7)) };
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
          [p.input.name]: uniformTensor(p.input.type.shape as number[], rnd),
          [p.labels.name]: uniformTensor(p.labels.type.shape as number[], rnd),
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
}
