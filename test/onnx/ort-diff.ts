// The strictness differential against onnxruntime-node: one ONNX file through both readers. onnxruntime
// either refuses it when loading (malformed, invalid, unsupported), fails when running it, or runs it;
// layerc refuses it when importing, fails when running it on the reference interpreter, or runs it. Used by
// test/onnx/strict-ort.test.ts (bounded, seeded) and by `npm run fuzz` (class 'ort-diff').
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../../src/frontend/onnx.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { isLayercError } from '../../src/diagnostics.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import type { Graph } from '../../src/ir/graph.ts';

export type OrtVerdict = { stage: 'load' | 'run'; message: string } | { stage: 'ok' };
export type LayercVerdict = { stage: 'import' | 'run'; code: string; message: string } | { stage: 'ok' };

const ORT_TYPE: Record<string, ort.Tensor.Type> = { float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', int8: 'int8', uint8: 'uint8', bool: 'bool' };

/** Deterministic small feeds for a graph's inputs (symbolic dims = 2), or null when they would be large. */
export function feedsFor(g: Graph): Record<string, Tensor> | null {
  const feeds: Record<string, Tensor> = {};
  for (const v of g.inputs) {
    if (v.const || !v.type.shape) continue;
    const shape = v.type.shape.map((d) => (typeof d === 'number' ? d : 2));
    if (shape.reduce((a, b) => a * b, 1) > 1e5) return null;
    const t = Tensor.zeros(v.type.dtype, shape);
    for (let i = 0; i < t.size; i++) t.data[i] = v.type.dtype === 'bool' ? i % 2 : ((i * 7919) % 13) - 6;
    feeds[v.name] = t;
  }
  return feeds;
}

export function layercVerdict(bytes: Uint8Array): { verdict: LayercVerdict; feeds: Record<string, Tensor> | null } {
  let g: Graph;
  try { g = importOnnx(bytes); } catch (e) {
    if (!isLayercError(e)) throw e;
    return { verdict: { stage: 'import', code: e.code, message: e.message }, feeds: null };
  }
  const feeds = feedsFor(g);
  if (!feeds) return { verdict: { stage: 'ok' }, feeds };
  try { runGraph(g, feeds); } catch (e) {
    if (!isLayercError(e)) throw e;
    return { verdict: { stage: 'run', code: e.code, message: e.message }, feeds };
  }
  return { verdict: { stage: 'ok' }, feeds };
}

export async function ortVerdict(bytes: Uint8Array, feeds: Record<string, Tensor> | null): Promise<OrtVerdict> {
  let s: ort.InferenceSession;
  try { s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 4 }); } catch (e) { return { stage: 'load', message: String(e).replace(/\s+/g, ' ').slice(0, 300) }; }
  try {
    if (feeds) {
      const f: Record<string, ort.Tensor> = {};
      for (const name of s.inputNames) {
        const t = feeds[name];
        if (!t) return { stage: 'ok' }; // an input layerc reads as an initializer: not comparable here
        f[name] = new ort.Tensor(ORT_TYPE[t.dtype] ?? 'float32', t.dtype === 'int64' ? BigInt64Array.from(Array.from(t.data, (x) => BigInt(x))) : t.dtype === 'bool' ? Uint8Array.from(t.data) : t.data as Float32Array, [...t.shape]);
      }
      await s.run(f);
    }
  } catch (e) { return { stage: 'run', message: String(e).replace(/\s+/g, ' ').slice(0, 300) }; } finally { await s.release(); }
  return { stage: 'ok' };
}
