// Runs one ONNX node two ways: through layerc (shape inference + reference interpreter) and through
// onnxruntime-node (the independent oracle), from the same description. Attribute types come from the op
// registry, so `{ axis: 1 }` is written as an INT and `{ alpha: 1 }` as a FLOAT, as ONNX expects.
import onnx from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { Graph, Tensor, inferShapes, runGraph, type TensorType } from '../../src/index.ts';
import { findOp } from '../../src/ir/registry.ts';
import type { AttrValue } from '../../src/ir/graph.ts';
import type { DType } from '../../src/ir/dtype.ts';

export interface NodeCase {
  op: string;
  /** Inputs in order; null for an omitted optional input. */
  inputs: (Tensor | null)[];
  attrs?: Record<string, AttrValue>;
  /** Indices of inputs given as initializers (constants) rather than graph inputs. */
  constInputs?: number[];
  numOutputs?: number;
  opset?: number;
}

const ONNX_CODE: Record<DType, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float64: 11 };
const ORT_TYPE: Record<DType, ort.Tensor.Type> = {
  float32: 'float32', uint8: 'uint8', int8: 'int8', int32: 'int32', int64: 'int64', bool: 'bool', float64: 'float64',
};

/** int64 held as a double: 2^63 (what INT64_MAX rounds to) saturates instead of wrapping to INT64_MIN. */
function toBigInt64(v: number): bigint {
  if (v >= 2 ** 63) return 2n ** 63n - 1n;
  return BigInt(Math.trunc(v));
}

function rawBytes(t: Tensor): Uint8Array {
  if (t.dtype === 'int64') return new Uint8Array(BigInt64Array.from(t.toNumbers(), toBigInt64).buffer);
  const d = t.data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
}

function tensorProto(name: string, t: Tensor): onnx.onnx.ITensorProto {
  return { name, dims: [...t.shape], dataType: ONNX_CODE[t.dtype], rawData: rawBytes(t) };
}

function attrProto(op: string, name: string, v: AttrValue): onnx.onnx.IAttributeProto {
  const type = findOp(op)?.attrs[name]?.type;
  const A = onnx.onnx.AttributeProto.AttributeType;
  if (v instanceof Tensor) return { name, type: A.TENSOR, t: tensorProto(name, v) };
  switch (type) {
    case 'int': return { name, type: A.INT, i: v as number };
    case 'float': return { name, type: A.FLOAT, f: v as number };
    case 'string': return { name, type: A.STRING, s: new TextEncoder().encode(v as string) };
    case 'ints': return { name, type: A.INTS, ints: v as number[] };
    case 'floats': return { name, type: A.FLOATS, floats: v as number[] };
    default: throw new Error(`single-node helper: cannot encode attribute ${op}.${name} (${type})`);
  }
}

const inputName = (i: number) => `in${i}`;
const outputName = (i: number) => `out${i}`;

/** The node as a serialized ONNX model (initializers for constInputs, graph inputs for the rest). */
export function singleNodeModel(c: NodeCase): Uint8Array {
  const consts = new Set(c.constInputs ?? []);
  const nOut = c.numOutputs ?? 1;
  const valueInfo = (name: string, t: Tensor) => ({
    name, type: { tensorType: { elemType: ONNX_CODE[t.dtype], shape: { dim: t.shape.map((d) => ({ dimValue: d })) } } },
  });
  const present = c.inputs.map((t, i) => [t, i] as const).filter(([t]) => t !== null) as [Tensor, number][];
  const model: onnx.onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: c.opset ?? 18 }],
    graph: {
      name: 'single',
      node: [{
        opType: c.op,
        input: c.inputs.map((t, i) => (t ? inputName(i) : '')),
        output: Array.from({ length: nOut }, (_, i) => outputName(i)),
        attribute: Object.entries(c.attrs ?? {}).map(([k, v]) => attrProto(c.op, k, v)),
      }],
      input: present.filter(([, i]) => !consts.has(i)).map(([t, i]) => valueInfo(inputName(i), t)),
      initializer: present.filter(([, i]) => consts.has(i)).map(([t, i]) => tensorProto(inputName(i), t)),
      output: Array.from({ length: nOut }, (_, i) => ({ name: outputName(i) })),
    },
  };
  return onnx.onnx.ModelProto.encode(model).finish();
}

function fromOrt(t: ort.Tensor): Tensor {
  const dtype = (Object.entries(ORT_TYPE).find(([, v]) => v === t.type)?.[0] ?? 'float32') as DType;
  const data = t.data as ArrayLike<number | bigint | boolean>;
  return Tensor.fromArray(dtype, t.dims as number[], Array.from(data, Number));
}

function toOrt(t: Tensor): ort.Tensor {
  if (t.dtype === 'int64') return new ort.Tensor('int64', BigInt64Array.from(t.toNumbers(), toBigInt64), [...t.shape]);
  if (t.dtype === 'bool') return new ort.Tensor('bool', Uint8Array.from(t.data as Uint8Array), [...t.shape]);
  return new ort.Tensor(ORT_TYPE[t.dtype], t.data as Float32Array, [...t.shape]);
}

/** onnxruntime-node's outputs for the node. */
export async function runOrt(c: NodeCase): Promise<Tensor[]> {
  const session = await ort.InferenceSession.create(singleNodeModel(c), { graphOptimizationLevel: 'disabled' });
  const consts = new Set(c.constInputs ?? []);
  const feeds: Record<string, ort.Tensor> = {};
  c.inputs.forEach((t, i) => { if (t && !consts.has(i)) feeds[inputName(i)] = toOrt(t); });
  const res = await session.run(feeds);
  const outs = Array.from({ length: c.numOutputs ?? 1 }, (_, i) => fromOrt(res[outputName(i)]));
  await session.release();
  return outs;
}

/** The node as a layerc graph; constInputs become initializers so shape rules can read them. */
export function singleNodeGraph(c: NodeCase, inputShapes?: (TensorType['shape'] | undefined)[]): Graph {
  const g = new Graph('single');
  const consts = new Set(c.constInputs ?? []);
  const ins = c.inputs.map((t, i) => {
    if (!t) return null;
    if (consts.has(i)) return g.addConst(inputName(i), t);
    return g.addInput(inputName(i), { dtype: t.dtype, shape: inputShapes?.[i] ?? [...t.shape] });
  });
  const node = g.addNode(c.op, ins, c.attrs ?? {}, { name: 'node', outputNames: Array.from({ length: c.numOutputs ?? 1 }, (_, i) => outputName(i)) });
  g.outputs.push(...node.outputs);
  return inferShapes(g);
}

/** layerc's reference outputs, with the inferred output types alongside. */
export function runRef(c: NodeCase): { outputs: Tensor[]; types: TensorType[] } {
  const g = singleNodeGraph(c);
  const feeds: Record<string, Tensor> = {};
  for (const v of g.inputs) feeds[v.name] = c.inputs[Number(v.name.slice(2))]!;
  const res = runGraph(g, feeds);
  return { outputs: g.outputs.map((o) => res[o.name]), types: g.outputs.map((o) => o.type) };
}

