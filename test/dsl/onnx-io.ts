// Test-only ONNX codec for the DSL tests: decode fixture tensors/initializers with onnx-proto, and
// serialize a compiled DSL graph to a ModelProto for onnxruntime-node (the independent oracle).
// Kept minimal on purpose (float32 tensors, standard-domain ops); the product exporter is src/export/onnx.ts.
import onnx from 'onnx-proto';
import { readFileSync } from 'node:fs';
import { Tensor } from '../../src/ir/tensor.ts';
import type { AttrValue, Graph } from '../../src/ir/graph.ts';
import { findOp } from '../../src/ir/registry.ts';

const P = onnx.onnx;

export function decodeTensor(t: onnx.onnx.ITensorProto): Tensor {
  if (t.dataType !== 1) throw new Error(`test helper decodes float32 only, got dataType ${t.dataType}`);
  const dims = (t.dims ?? []).map(Number);
  if (t.rawData && t.rawData.length) {
    const raw = t.rawData;
    const copy = new Uint8Array(raw.byteLength);
    copy.set(raw);
    return new Tensor('float32', dims, new Float32Array(copy.buffer));
  }
  return Tensor.fromArray('float32', dims, t.floatData ?? []);
}

export function readTensorPb(path: string): Tensor {
  return decodeTensor(P.TensorProto.decode(readFileSync(path)));
}

export function readInitializers(path: string): Map<string, Tensor> {
  const m = P.ModelProto.decode(readFileSync(path));
  return new Map((m.graph?.initializer ?? []).map((t) => [t.name!, decodeTensor(t)] as const));
}

const FLOAT_ATTRS = new Set(['epsilon', 'momentum', 'alpha', 'beta']);

function attr(op: string, name: string, v: AttrValue): onnx.onnx.IAttributeProto {
  const A = P.AttributeProto.AttributeType;
  const type = findOp(op)?.attrs[name]?.type ?? (Array.isArray(v) ? 'ints' : typeof v === 'string' ? 'string' : FLOAT_ATTRS.has(name) ? 'float' : 'int');
  switch (type) {
    case 'int': return { name, type: A.INT, i: v as number };
    case 'float': return { name, type: A.FLOAT, f: v as number };
    case 'string': return { name, type: A.STRING, s: new TextEncoder().encode(v as string) };
    case 'ints': return { name, type: A.INTS, ints: v as number[] };
    case 'floats': return { name, type: A.FLOATS, floats: v as number[] };
    default: throw new Error(`test exporter: attribute ${op}.${name} of type ${type}`);
  }
}

function valueInfo(name: string, shape: (number | string)[] | null): onnx.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: 1, shape: { dim: (shape ?? []).map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export function graphToOnnxBytes(g: Graph): Uint8Array {
  const model: onnx.onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 18 }],
    graph: {
      name: g.name,
      input: g.inputs.map((v) => valueInfo(v.name, v.type.shape)),
      output: g.outputs.map((v) => valueInfo(v.name, v.type.shape)),
      initializer: g.initializers.map((v) => {
        const t = v.const!;
        return { name: v.name, dims: [...t.shape], dataType: 1, rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice() };
      }),
      node: g.nodes.map((n) => ({
        name: n.name, opType: n.op, domain: n.domain,
        input: n.inputs.map((v) => v?.name ?? ''), output: n.outputs.map((v) => v.name),
        attribute: Object.entries(n.attrs).map(([k, v]) => attr(n.op, k, v)),
      })),
    },
  };
  return P.ModelProto.encode(model).finish();
}
