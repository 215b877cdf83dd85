// The crafted reproducers of issue #16 "sizes known only at run time": small ONNX files whose output sizes
// come from tensor VALUES fed at run time (or from absurd window attributes). Built in memory, never committed.
// Each entry names the code layerc must answer with; tests run them on every backend, the fuzz campaign
// (test/fuzz, class 'runtime-size') draws from them.
import onnx from 'onnx-proto';
import { Tensor } from '../../../src/ir/tensor.ts';
import { model, vi } from '../../onnx/build.ts';

const I64 = 7;
export interface Crafted { name: string; onnx: Uint8Array; feeds: Record<string, Tensor>; code: string }

const i64 = (values: number[]) => Tensor.fromArray('int64', [values.length], values);
const f32 = (shape: number[], fill = 1) => Tensor.fromArray('float32', shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(fill));
const node = (opType: string, input: string[], output: string[], attribute: onnx.onnx.IAttributeProto[] = []) => ({ opType, name: opType.toLowerCase(), input, output, attribute });
const ints = (name: string, v: number[]) => ({ name, type: onnx.onnx.AttributeProto.AttributeType.INTS, ints: v });

export function craftedRuntimeSizes(): Crafted[] {
  const out = [vi('y', ['?'])];
  return [
    { name: 'Range to 1e12 elements', code: 'LC085',
      onnx: model([node('Range', ['s', 'l', 'd'], ['y'])], { inputs: [vi('s', []), vi('l', []), vi('d', [])], outputs: out }),
      feeds: { s: Tensor.scalar('float32', 0), l: Tensor.scalar('float32', 1e12), d: Tensor.scalar('float32', 1) } },
    { name: 'Expand to 40000x40000', code: 'LC085',
      onnx: model([node('Expand', ['x', 'shape'], ['y'])], { inputs: [vi('x', [1]), vi('shape', [2], I64)], outputs: out }),
      feeds: { x: f32([1]), shape: i64([40000, 40000]) } },
    { name: 'Tile by 100000x100000', code: 'LC085',
      onnx: model([node('Tile', ['x', 'r'], ['y'])], { inputs: [vi('x', [2, 2]), vi('r', [2], I64)], outputs: out }),
      feeds: { x: f32([2, 2]), r: i64([100000, 100000]) } },
    { name: 'ConstantOfShape 2^20 x 2^20', code: 'LC085',
      onnx: model([node('ConstantOfShape', ['shape'], ['y'])], { inputs: [vi('shape', [2], I64)], outputs: out }),
      feeds: { shape: i64([2 ** 20, 2 ** 20]) } },
    { name: 'Pad by 10^6 on each side', code: 'LC085',
      onnx: model([node('Pad', ['x', 'p'], ['y'])], { inputs: [vi('x', [2, 2]), vi('p', [4], I64)], outputs: out }),
      feeds: { x: f32([2, 2]), p: i64([0, 0, 1e6, 1e6]) } },
    { name: 'Pad to a negative dim (-5)', code: 'LC032',
      onnx: model([node('Pad', ['x', 'p'], ['y'])], { inputs: [vi('x', [2, 2]), vi('p', [4], I64)], outputs: out }),
      feeds: { x: f32([2, 2]), p: i64([0, 0, -7, 0]) } },
    { name: 'ConstantOfShape with a negative dim', code: 'LC032',
      onnx: model([node('ConstantOfShape', ['shape'], ['y'])], { inputs: [vi('shape', [1], I64)], outputs: out }),
      feeds: { shape: i64([-5]) } },
    { name: 'MaxPool with a 100000x100000 window', code: 'LC085',
      onnx: model([node('MaxPool', ['x'], ['y'], [ints('kernel_shape', [100000, 100000]), ints('pads', [49998, 49998, 49998, 49998])])],
        { inputs: [vi('x', [1, 1, 5, 5])], outputs: out }),
      feeds: { x: f32([1, 1, 5, 5]) } },
    { name: 'AveragePool with a 100000x100000 window', code: 'LC085',
      onnx: model([node('AveragePool', ['x'], ['y'], [ints('kernel_shape', [100000, 100000]), ints('pads', [49998, 49998, 49998, 49998])])],
        { inputs: [vi('x', [1, 1, 5, 5])], outputs: out }),
      feeds: { x: f32([1, 1, 5, 5]) } },
    // Each tensor is under the per-tensor limit (2^28 - 16 elements, 1 GiB); together they are not.
    { name: 'six ConstantOfShape of 1 GiB each', code: 'LC085',
      onnx: model(Array.from({ length: 6 }, (_, i) => ({ ...node('ConstantOfShape', ['shape'], [`y${i}`]), name: `c${i}` })),
        { inputs: [vi('shape', [1], I64)], outputs: Array.from({ length: 6 }, (_, i) => vi(`y${i}`, ['?'])) }),
      feeds: { shape: i64([2 ** 28 - 16]) } },
  ];
}
