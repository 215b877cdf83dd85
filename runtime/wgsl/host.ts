// Host fallback for one node: its inputs are read back (as f32) and converted to their IR dtypes, the
// reference op runs, and its outputs go back to the device as f32. Used for ops and attribute combinations
// that have no WGSL kernel; compile info lists them so a fallback is never silent.
import type { Node } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { evaluateNode } from '../../src/ir/budget.ts';

export function toDtype(node: Node, k: number, data: Float32Array, shape: number[]): Tensor {
  const dtype = node.inputs[k]!.type.dtype;
  return dtype === 'float32' ? new Tensor('float32', shape, data) : Tensor.fromArray(dtype, shape, data);
}

export function evalHost(node: Node, inputs: (Tensor | null)[], training: boolean, random?: () => number): Tensor[] {
  return evaluateNode(node, inputs, { training, random });
}
