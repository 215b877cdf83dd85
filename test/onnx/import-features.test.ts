// Importer features beyond the node tests: value_info fills shapes inference cannot derive (and never
// overrides what it can), initializers in every TensorProto encoding (raw_data little-endian bytes and the
// typed repeated fields) decode to the same values, and a Constant node becomes an initializer.
import { describe, expect, it } from 'vitest';
import onnx from 'onnx-proto';
import { importOnnx } from '../../src/frontend/onnx.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { vi } from './build.ts';

const P = onnx.onnx;

function encode(graph: onnx.onnx.IGraphProto, opset = 18): Uint8Array {
  return P.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: opset }], graph }).finish();
}

describe('value_info', () => {
  // Reshape to a shape fed at run time with a symbolic length: the rank is unknown to inference, value_info knows it.
  const nodes = [{ opType: 'Reshape', name: 'r', input: ['x', 's'], output: ['t'] }, { opType: 'Relu', name: 'q', input: ['t'], output: ['y'] }];
  const io = { input: [vi('x', [2, 3]), vi('s', ['K'], 7)], output: [vi('y', ['A', 'B'])] };
  it('fills a shape inference leaves unknown', () => {
    const without = importOnnx(encode({ name: 'g', node: nodes, ...io }));
    expect(without.value('t')!.type.shape).toBeNull();
    const withVi = importOnnx(encode({ name: 'g', node: nodes, ...io, valueInfo: [vi('t', [3, 'M'])] }));
    expect(withVi.value('t')!.type.shape).toEqual([3, 'M']);
  });
  it('does not override an inferred shape (value_info is advisory and often stale)', () => {
    const g = importOnnx(encode({ name: 'g', node: [{ opType: 'Relu', name: 'q', input: ['x'], output: ['y'] }],
      input: [vi('x', [2, 3])], output: [vi('y', [2, 3])], valueInfo: [vi('y', [7, 7])] }));
    expect(g.outputs[0].type.shape).toEqual([2, 3]);
  });
});

describe('initializer encodings', () => {
  const le = (arr: ArrayBufferView) => new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).slice();
  const cases: [string, onnx.onnx.ITensorProto, number[]][] = [
    ['float raw_data', { dataType: 1, dims: [3], rawData: le(Float32Array.from([1.5, -2, 3.25])) }, [1.5, -2, 3.25]],
    ['float_data', { dataType: 1, dims: [3], floatData: [1.5, -2, 3.25] }, [1.5, -2, 3.25]],
    ['double raw_data', { dataType: 11, dims: [2], rawData: le(Float64Array.from([0.1, -1e300])) }, [0.1, -1e300]],
    ['double_data', { dataType: 11, dims: [2], doubleData: [0.1, -1e300] }, [0.1, -1e300]],
    ['int64 raw_data', { dataType: 7, dims: [3], rawData: le(BigInt64Array.from([5n, -7n, 2n ** 40n])) }, [5, -7, 2 ** 40]],
    ['int64_data', { dataType: 7, dims: [3], int64Data: [5, -7, 2 ** 40] }, [5, -7, 2 ** 40]],
    ['int32 raw_data', { dataType: 6, dims: [2], rawData: le(Int32Array.from([-3, 9])) }, [-3, 9]],
    ['int32_data', { dataType: 6, dims: [2], int32Data: [-3, 9] }, [-3, 9]],
    ['int8 in int32_data', { dataType: 3, dims: [2], int32Data: [-128, 127] }, [-128, 127]],
    ['uint8 raw_data', { dataType: 2, dims: [2], rawData: new Uint8Array([0, 255]) }, [0, 255]],
    ['bool in int32_data', { dataType: 9, dims: [3], int32Data: [1, 0, 1] }, [1, 0, 1]],
  ];
  it.each(cases)('%s', (_name, t, want) => {
    const g = importOnnx(encode({ name: 'g', node: [{ opType: 'Identity', name: 'i', input: ['w'], output: ['y'] }],
      initializer: [{ ...t, name: 'w' }], output: [vi('y', t.dims as number[], t.dataType!)] }));
    expect(g.value('w')!.const!.toNumbers()).toEqual(want);
    expect(runGraph(g, {}).y.toNumbers()).toEqual(want);
  });
});

describe('Constant nodes', () => {
  it('become initializers that later nodes read', () => {
    const g = importOnnx(encode({ name: 'g',
      node: [
        { opType: 'Constant', name: 'c', output: ['k'], attribute: [{ name: 'value', type: 4, t: { dataType: 1, dims: [3], floatData: [1, 2, 3] } }] },
        { opType: 'Add', name: 'a', input: ['x', 'k'], output: ['y'] },
      ],
      input: [vi('x', [2, 3])], output: [vi('y', [2, 3])] }));
    expect(g.nodes.map((n) => n.op)).toEqual(['Add']);
    expect(g.value('k')!.const!.toNumbers()).toEqual([1, 2, 3]);
    expect(runGraph(g, { x: Tensor.fromArray('float32', [2, 3], [0, 0, 0, 1, 1, 1]) }).y.toNumbers()).toEqual([1, 2, 3, 2, 3, 4]);
  });
});
