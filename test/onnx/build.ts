// Hand-built ONNX models for importer tests (written with onnx-proto directly, not by our exporter).
import onnx from 'onnx-proto';

const P = onnx.onnx;
export type NodeSpec = onnx.onnx.INodeProto;

export function vi(name: string, dims: (number | string)[], elemType = 1): onnx.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

export function model(nodes: NodeSpec[], opts: { inputs?: onnx.onnx.IValueInfoProto[]; outputs?: onnx.onnx.IValueInfoProto[]; initializer?: onnx.onnx.ITensorProto[]; opset?: number } = {}): Uint8Array {
  return P.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opts.opset ?? 18 }],
    graph: {
      name: 'g', node: nodes,
      input: opts.inputs ?? [vi('x', [2, 3])],
      output: opts.outputs ?? [vi('y', [2, 3])],
      initializer: opts.initializer ?? [],
    },
  }).finish();
}

export const floatTensor = (name: string, dims: number[], values: number[]): onnx.onnx.ITensorProto => ({ name, dataType: 1, dims, floatData: values });
