// Child process for the kill -9 test: rewrites one large checkpoint forever, generation g holding the value g
// in every element and `step: g` in its metadata, so any checkpoint that loads can be checked for consistency.
import { saveCheckpoint } from '../../../src/io/safetensors.ts';
import { Tensor } from '../../../src/ir/tensor.ts';

const [path, elements] = [process.argv[2], Number(process.argv[3])];
for (let g = 1; ; g++) {
  const w = new Float32Array(elements).fill(g);
  const b = new Float32Array(1024).fill(-g);
  saveCheckpoint(path, { tensors: new Map([['layer.weight', new Tensor('float32', [elements], w)], ['layer.bias', new Tensor('float32', [1024], b)]]), metadata: { step: String(g) } }, { force: true });
}
