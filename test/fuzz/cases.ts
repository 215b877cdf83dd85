// One fuzz case = one mutated input through a front end (and, when accepted, verify + export, which walk
// everything the importer built). The only acceptable failures are LayercErrors; a LayercError that merely
// wraps a JS exception (the importer's "unexpected structure" net, a shape rule's "internal error") is a
// finding too, because it means a check is missing at the source.
import { importOnnx } from '../../src/frontend/onnx.ts';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { exportOnnx } from '../../src/export/onnx.ts';
import { verify } from '../../src/ir/verify.ts';
import { isLayercError } from '../../src/diagnostics.ts';
import type { Graph } from '../../src/ir/graph.ts';
import { applyOnnxPlan, onnxPlan, type OnnxPlan } from './mutate-onnx.ts';
import { applyDslPlan, dslPlan, type DslPlan } from './mutate-dsl.ts';

export type Kind = 'onnx' | 'dsl';
export type Outcome = { ok: true; accepted: boolean; code?: string } | { ok: false; error: string };

export const ARBITRARIES = { onnx: onnxPlan, dsl: dslPlan };

export function runCase(kind: Kind, plan: OnnxPlan | DslPlan): Outcome {
  let g: Graph;
  try {
    g = kind === 'onnx' ? importOnnx(applyOnnxPlan(plan as OnnxPlan), { file: 'fuzz.onnx' }) : compileDsl(applyDslPlan(plan as DslPlan), 'fuzz.layers');
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
  return { ok: true, accepted: true };
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
