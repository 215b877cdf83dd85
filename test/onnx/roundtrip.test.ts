// Round trip: import -> export -> onnxruntime-node must give the original model's outputs in
// onnxruntime-node, for every fixture model and every node test our importer accepts.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import onnx from 'onnx-proto';
import { importOnnx } from '../../src/frontend/onnx.ts';
import { exportOnnx } from '../../src/export/onnx.ts';
import { printGraph } from '../../src/ir/printer.ts';
import { findCases } from '../../src/cli/onnx-cases.ts';
import { isLayercError } from '../../src/diagnostics.ts';
import { MODELS, NODE_TESTS } from '../fixtures.ts';

const ORT_TYPE: Record<number, ort.Tensor.Type> = { 1: 'float32', 11: 'float64', 7: 'int64', 6: 'int32', 3: 'int8', 2: 'uint8', 9: 'bool' };

function feedsOf(dir: string, names: readonly string[]): Record<string, ort.Tensor> {
  const ds = join(dir, 'test_data_set_0');
  const feeds: Record<string, ort.Tensor> = {};
  names.forEach((name, k) => {
    const t = onnx.onnx.TensorProto.decode(readFileSync(join(ds, `input_${k}.pb`)));
    const raw = t.rawData && t.rawData.length ? new Uint8Array(t.rawData) : null;
    const type = ORT_TYPE[t.dataType!];
    const dims = (t.dims ?? []).map(Number);
    const data = raw ? raw.buffer : null;
    const arr = data ? ({ float32: Float32Array, float64: Float64Array, int64: BigInt64Array, int32: Int32Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array } as Record<string, any>)[type] : null;
    feeds[name] = arr ? new ort.Tensor(type, type === 'bool' ? new Uint8Array(data!) as never : new arr(data), dims) : new ort.Tensor(type, (t.floatData ?? []) as never, dims);
  });
  return feeds;
}

const cases = findCases([MODELS, NODE_TESTS]).filter((d) => readdirSync(d).includes('test_data_set_0'));
const importable = cases.filter((d) => {
  try { importOnnx(readFileSync(join(d, 'model.onnx'))); return true; } catch (e) { if (isLayercError(e)) return false; throw e; }
});

describe('import -> export -> onnxruntime-node', () => {
  // Every fixture case imports today (7 model cases + 145 node tests), so every one is round-tripped below.
  it('covers every fixture case', () => {
    expect(cases.filter((d) => !importable.includes(d))).toEqual([]);
    expect(importable.length).toBe(152);
  });
  // The exporter writes the IR and nothing else: re-importing its output gives the same printed graph
  // (names, ops, attributes, shapes, initializers), up to trailing omitted optional inputs, which it drops.
  it('import -> export -> import prints the same graph for every case', () => {
    const norm = (text: string) => text.replace(/(, _)+\)/g, ')');
    for (const dir of importable) {
      const g = importOnnx(readFileSync(join(dir, 'model.onnx')));
      expect(norm(printGraph(importOnnx(exportOnnx(g)))), dir).toBe(norm(printGraph(g)));
    }
  });
  for (const dir of importable) {
    it(dir.slice(dir.indexOf('fixtures/') + 9), async () => {
      const original = await ort.InferenceSession.create(join(dir, 'model.onnx'));
      const ours = await ort.InferenceSession.create(exportOnnx(importOnnx(readFileSync(join(dir, 'model.onnx')))));
      const feeds = feedsOf(dir, original.inputNames);
      const a = await original.run(feeds);
      const b = await ours.run(feeds);
      expect([...ours.outputNames]).toEqual([...original.outputNames]);
      for (const n of original.outputNames) {
        expect(b[n].dims).toEqual(a[n].dims);
        const x = Array.from(a[n].data as ArrayLike<number>, Number), y = Array.from(b[n].data as ArrayLike<number>, Number);
        for (let i = 0; i < x.length; i++) if (!(Number.isNaN(x[i]) && Number.isNaN(y[i]))) expect(Math.abs(x[i] - y[i])).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(x[i]));
      }
    });
  }
});
