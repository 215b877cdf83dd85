// Broken ONNX files -> exactly one LayercError with a stable code and a message naming the node/op.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importOnnx } from '../../src/frontend/onnx.ts';
import { LayercError } from '../../src/diagnostics.ts';
import { NODE_TESTS } from '../fixtures.ts';
import * as ort from 'onnxruntime-node';
import { runGraph } from '../../src/ir/interpret.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { floatTensor, model, vi } from './build.ts';

function importError(bytes: Uint8Array): LayercError {
  try { importOnnx(bytes, { file: 'm.onnx' }); } catch (e) {
    expect(e).toBeInstanceOf(LayercError);
    return e as LayercError;
  }
  throw new Error('import succeeded');
}

const relu = readFileSync(join(NODE_TESTS, 'test_relu', 'model.onnx'));

describe('malformed ONNX', () => {
  it('truncated protobuf -> LC010', () => {
    const e = importError(relu.subarray(0, Math.floor(relu.length / 2)));
    expect(e.code).toBe('LC010');
    expect(e.context.file).toBe('m.onnx');
  });
  it('garbage bytes -> LC010', () => {
    expect(importError(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3])).code).toBe('LC010');
  });
  it('unknown op -> LC011 naming op, domain, opset and node', () => {
    const e = importError(model([{ opType: 'FrobnicateX', name: 'frob', input: ['x'], output: ['y'] }]));
    expect(e.code).toBe('LC011');
    expect(e.message).toContain('FrobnicateX');
    expect(e.message).toContain('opset 18');
    expect(e.context.node).toBe('frob');
    expect(e.format()).toContain("--> m.onnx, node 'frob' (FrobnicateX)"); // what the CLI prints
  });
  it('wrong input count -> LC031 naming the node', () => {
    const e = importError(model([{ opType: 'Relu', name: 'r', input: ['x', 'x'], output: ['y'] }]));
    expect(e.code).toBe('LC031');
    expect(e.context.node).toBe('r');
  });
  it('bad attribute -> LC030', () => {
    const e = importError(model([{ opType: 'Transpose', name: 't', input: ['x'], output: ['y'], attribute: [{ name: 'perm', type: 7, ints: [0, 5] }] }]));
    expect(e.code).toBe('LC030');
    expect(e.context.node).toBe('t');
  });
  it('shape mismatch -> LC032', () => {
    const e = importError(model([{ opType: 'Add', name: 'a', input: ['x', 'w'], output: ['y'] }], { initializer: [floatTensor('w', [4], [1, 2, 3, 4])] }));
    expect(e.code).toBe('LC032');
    expect(e.context.node).toBe('a');
  });
  it('cycle -> LC015', () => {
    const e = importError(model([
      { opType: 'Add', name: 'a', input: ['x', 'b_out'], output: ['a_out'] },
      { opType: 'Relu', name: 'b', input: ['a_out'], output: ['b_out'] },
      { opType: 'Relu', name: 'c', input: ['b_out'], output: ['y'] },
    ]));
    expect(e.code).toBe('LC015');
  });
  it('missing input -> LC014', () => {
    const e = importError(model([{ opType: 'Relu', name: 'r', input: ['nowhere'], output: ['y'] }]));
    expect(e.code).toBe('LC014');
    expect(e.message).toContain('nowhere');
  });
  it('external data -> LC013 naming the tensor', () => {
    const w = { name: 'w', dataType: 1, dims: [3], dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] };
    const e = importError(model([{ opType: 'Add', name: 'a', input: ['x', 'w'], output: ['y'] }], { initializer: [w] }));
    expect(e.code).toBe('LC013');
    expect(e.message).toContain('w');
  });
  it('unsupported dtype -> LC012', () => {
    const e = importError(model([{ opType: 'Relu', name: 'r', input: ['x'], output: ['y'] }], { inputs: [vi('x', [2, 3], 10 /* float16 */)] }));
    expect(e.code).toBe('LC012');
  });
  it('opset beyond 21 -> LC016', () => {
    expect(importError(model([{ opType: 'Relu', name: 'r', input: ['x'], output: ['y'] }], { opset: 22 })).code).toBe('LC016');
  });
  it('per-op versions: an op that changed since the model\'s opset -> LC019 naming op, opset and node', () => {
    const e = importError(model([{ opType: 'Add', name: 'legacy_add', input: ['x', 'x'], output: ['y'] }], { opset: 5 }));
    expect([e.code, e.context.node]).toEqual(['LC019', 'legacy_add']);
    expect(e.message).toMatch(/Add at opset 5: versions before Add-7/);
  });
  it('per-op versions: an op used before it exists -> LC019', () => {
    const e = importError(model([{ opType: 'HardSwish', name: 'hs', input: ['x'], output: ['y'] }], { opset: 13 }));
    expect(e.code).toBe('LC019');
    expect(e.message).toContain('first appears in opset 14');
  });
  it('per-op versions: ops unchanged since an older opset import (GlobalAveragePool-1, Relu-6, Concat-4)', () => {
    const gap = importOnnx(model([{ opType: 'GlobalAveragePool', name: 'gap', input: ['x'], output: ['y'] }],
      { opset: 1, inputs: [vi('x', [1, 2, 3, 3])], outputs: [vi('y', [1, 2, 1, 1])] }));
    expect(gap.outputs[0].type.shape).toEqual([1, 2, 1, 1]);
    expect(importOnnx(model([{ opType: 'Relu', name: 'r', input: ['x'], output: ['y'] }], { opset: 6 })).nodes[0].op).toBe('Relu');
    const cat = importOnnx(model([{ opType: 'Concat', name: 'c', input: ['x', 'x'], output: ['y'], attribute: [{ name: 'axis', type: 2, i: 0 }] }],
      { opset: 4, outputs: [vi('y', [4, 3])] }));
    expect(cat.outputs[0].type.shape).toEqual([4, 3]);
  });
});

describe('import features', () => {
  it('nodes out of order are sorted, symbolic dims kept, unnamed nodes named', () => {
    const g = importOnnx(model([
      { opType: 'Relu', input: ['t'], output: ['y'] },
      { opType: 'Sigmoid', input: ['x'], output: ['t'] },
    ], { inputs: [vi('x', ['N', 3])], outputs: [vi('y', ['N', 3])] }));
    expect(g.nodes.map((n) => n.op)).toEqual(['Sigmoid', 'Relu']);
    expect(new Set(g.nodes.map((n) => n.name)).size).toBe(2);
    expect(g.outputs[0].type.shape).toEqual(['N', 3]);
  });
  it('IR<4 style: an initializer also listed as a graph input is a constant', () => {
    const g = importOnnx(model([{ opType: 'Add', name: 'a', input: ['x', 'w'], output: ['y'] }],
      { inputs: [vi('x', [2, 3]), vi('w', [3])], initializer: [floatTensor('w', [3], [1, 2, 3])] }));
    expect(g.inputs.map((v) => v.name)).toEqual(['x']);
    expect(g.value('w')!.const!.toNumbers()).toEqual([1, 2, 3]);
  });
  it('Clip-6 min/max attributes become constant inputs', () => {
    const g = importOnnx(model([{ opType: 'Clip', name: 'c', input: ['x'], output: ['y'], attribute: [{ name: 'min', type: 1, f: -1 }, { name: 'max', type: 1, f: 2 }] }], { opset: 9 }));
    const clip = g.nodes[0];
    expect(clip.inputs.map((v) => v?.const?.toNumbers())).toEqual([undefined, [-1], [2]]);
  });
});

describe('opset < 13 Softmax coerces to 2-D', () => {
  it('axis=1 on a rank-3 input becomes Flatten -> Softmax(axis=1) -> Reshape(Shape(x)), matching ORT', async () => {
    const g = importOnnx(model([{ opType: 'Softmax', name: 's', input: ['x'], output: ['y'], attribute: [{ name: 'axis', type: 2, i: 1 }] }],
      { opset: 11, inputs: [vi('x', [2, 3, 4])], outputs: [vi('y', [2, 3, 4])] }));
    expect(g.nodes.map((n) => n.op).sort()).toEqual(['Flatten', 'Reshape', 'Shape', 'Softmax']);
    expect(g.outputs[0].type.shape).toEqual([2, 3, 4]);
    const xs = Array.from({ length: 24 }, (_, i) => Math.sin(i) * 3);
    const ours = runGraph(g, { x: Tensor.fromArray('float32', [2, 3, 4], xs) }).y.toNumbers();
    const bytes = model([{ opType: 'Softmax', name: 's', input: ['x'], output: ['y'], attribute: [{ name: 'axis', type: 2, i: 1 }] }],
      { opset: 11, inputs: [vi('x', [2, 3, 4])], outputs: [vi('y', [2, 3, 4])] });
    const sess = await ort.InferenceSession.create(bytes);
    const theirs = Array.from((await sess.run({ x: new ort.Tensor('float32', Float32Array.from(xs), [2, 3, 4]) })).y.data as Float32Array);
    ours.forEach((v, i) => expect(v).toBeCloseTo(theirs[i], 6));
  });
  it('axis=-1 keeps a single Softmax', () => {
    const g = importOnnx(model([{ opType: 'Softmax', name: 's', input: ['x'], output: ['y'], attribute: [{ name: 'axis', type: 2, i: -1 }] }], { opset: 11 }));
    expect(g.nodes.map((n) => n.op)).toEqual(['Softmax']);
  });
});
