// One fuzz case = one mutated input through a front end (and, when accepted, verify + export, which walk
// everything the importer built, and a run on the reference interpreter when the graph is small). The only acceptable failures are LayercErrors; a LayercError that merely
// wraps a JS exception (the importer's "unexpected structure" net, a shape rule's "internal error") is a
// finding too, because it means a check is missing at the source.
import { importOnnx } from '../../src/frontend/onnx.ts';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { exportOnnx } from '../../src/export/onnx.ts';
import { verify } from '../../src/ir/verify.ts';
import { isLayercError } from '../../src/diagnostics.ts';
import type { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { applyOnnxPlan, onnxPlan, type OnnxPlan } from './mutate-onnx.ts';
import { applyDslPlan, dslPlan, type DslPlan } from './mutate-dsl.ts';
import { applyTensorPlan, tensorPlan, type TensorPlan } from './mutate-tensor.ts';
import { decodeTensorProto } from '../../src/io/tensorproto.ts';
import { decodeNpy } from '../../src/io/npy.ts';
import { applyDslNumPlan, applyRuntimePlan, applyWirePlan, dslNumPlan, runtimePlan, wirePlan, type DslNumPlan, type RuntimePlan, type WirePlan } from './crafted.ts';

export type Kind = 'onnx' | 'dsl' | 'tensor' | 'runtime' | 'wire' | 'dslnum';
export type Outcome = { ok: true; accepted: boolean; code?: string } | { ok: false; error: string };

export const ARBITRARIES = { onnx: onnxPlan, dsl: dslPlan, tensor: tensorPlan, runtime: runtimePlan, wire: wirePlan, dslnum: dslNumPlan };
type Plan = OnnxPlan | DslPlan | TensorPlan | RuntimePlan | WirePlan | DslNumPlan;

export function runCase(kind: Kind, plan: Plan): Outcome {
  if (kind === 'tensor') return runTensorCase(plan as TensorPlan);
  if (kind === 'runtime') return runRuntimeCase(plan as RuntimePlan);
  let g: Graph;
  try {
    g = kind === 'onnx' ? importOnnx(applyOnnxPlan(plan as OnnxPlan), { file: 'fuzz.onnx' })
      : kind === 'wire' ? importOnnx(applyWirePlan(plan as WirePlan), { file: 'fuzz.onnx' })
        : compileDsl(kind === 'dslnum' ? applyDslNumPlan(plan as DslNumPlan) : applyDslPlan(plan as DslPlan), 'fuzz.layers');
  } catch (e) {
    return classify(e);
  }
  try {
    verify(g);
  } catch (e) {
    return { ok: false, error: `accepted a graph that fails verify: ${describe(e)}` };
  }
  try {
    exportOnnx(g);
  } catch (e) {
    if (!isLayercError(e)) return { ok: false, error: `export of an accepted graph threw ${describe(e)}` };
  }
  const feeds = smallFeeds(g);
  if (feeds) {
    try { runGraph(g, feeds); } catch (e) {
      if (!isLayercError(e)) return { ok: false, error: `the reference interpreter threw on an accepted graph: ${describe(e)}` };
    }
  }
  return { ok: true, accepted: true };
}

/** Sizes decided by fed values: the run must end in a LayercError or a result, never a JS exception. */
function runRuntimeCase(plan: RuntimePlan): Outcome {
  const { onnx, feeds } = applyRuntimePlan(plan);
  try { runGraph(importOnnx(onnx, { file: 'fuzz.onnx' }), feeds); } catch (e) { return classify(e); }
  return { ok: true, accepted: true };
}

/** A tensor file (`--input`): decoded to a Tensor or refused with a LayercError. */
function runTensorCase(plan: TensorPlan): Outcome {
  const bytes = applyTensorPlan(plan);
  try { if (plan.npy) decodeNpy(bytes, 'fuzz.npy'); else decodeTensorProto(bytes, 'fuzz.pb'); } catch (e) { return classify(e); }
  return { ok: true, accepted: true };
}

/** Deterministic inputs (symbolic dims = 2) when every value of the graph is small; else undefined (not run). */
function smallFeeds(g: Graph): Record<string, Tensor> | undefined {
  const size = (s: readonly (number | string)[]) => s.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 2), 1);
  if (g.nodes.some((n) => n.outputs.some((v) => !v.type.shape || size(v.type.shape) > 1e6))) return undefined;
  const feeds: Record<string, Tensor> = {};
  for (const v of g.inputs) {
    if (!v.type.shape || size(v.type.shape) > 1e5) return undefined;
    const t = Tensor.zeros(v.type.dtype, v.type.shape.map((d) => (typeof d === 'number' ? d : 2)));
    for (let i = 0; i < t.size; i++) t.data[i] = ((i * 7919) % 13) - 6;
    feeds[v.name] = t;
  }
  return feeds;
}

function classify(e: unknown): Outcome {
  if (!isLayercError(e)) return { ok: false, error: describe(e) };
  if (/unexpected structure|internal error/.test(e.message)) return { ok: false, error: `${e.code} wrapping a JS exception: ${e.message}` };
  return { ok: true, accepted: false, code: e.code };
}

function describe(e: unknown): string {
  if (isLayercError(e)) return `${e.code} ${e.message}`;
  const err = e as Error;
  const at = err?.stack?.split('\n').find((l) => l.includes('/src/'))?.trim() ?? '';
  return `${err?.name ?? 'throw'}: ${err?.message ?? String(e)} ${at}`;
}
