// Every crash the fuzz campaigns found, kept as a regression: the minimal input written out by hand, plus
// the campaign's plan replayed exactly. Each must now end in a LayercError with a meaningful code.
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/frontend/onnx.ts';
import { LayercError } from '../../src/diagnostics.ts';
import { runCase, type Kind } from './cases.ts';
import { model, vi } from '../onnx/build.ts';

function codeOf(bytes: Uint8Array): string {
  try { importOnnx(bytes); } catch (e) { expect(e).toBeInstanceOf(LayercError); return (e as LayercError).code; }
  return 'accepted';
}

const FOUND: { kind: Kind; code: string; what: string; plan: string }[] = [
  { kind: 'onnx', code: 'LC031', what: 'a required input given as "" (omitted) reached shape inference as null',
    plan: '{"src":539342144,"ops":[{"kind":"delInput","a":585236880,"b":1952440636,"c":2091096674},{"kind":"danglingInput","a":2019768032,"b":1479557968,"c":1112795328}]}' },
  { kind: 'onnx', code: 'LC030', what: 'an attribute of type TENSOR without a tensor',
    plan: '{"src":1752968052,"ops":[{"kind":"attrValue","a":1010396959,"b":555873627,"c":762379007},{"kind":"attrType","a":1021357474,"b":945451816,"c":2132170099}]}' },
  { kind: 'onnx', code: 'LC085', what: 'an inferred output shape far beyond the element limit',
    plan: '{"src":54517732,"ops":[{"kind":"valueDims","a":1619074217,"b":1799002993,"c":1948221449},{"kind":"attrValue","a":1812008722,"b":314600753,"c":1295333396}]}' },
  { kind: 'onnx', code: 'LC085', what: 'a graph input of 2^28+1 int64 values used as a Reshape target shape (hang)',
    plan: '{"src":390544023,"ops":[{"kind":"valueDims","a":447923296,"b":940664130,"c":565756627}]}' },
  { kind: 'onnx', code: 'LC030', what: 'an attribute that becomes an input (axes) given as INT instead of INTS',
    plan: '{"src":1444390934,"ops":[{"kind":"attrType","a":214798045,"b":1832455097,"c":709610687}]}' },
];

describe('fuzz regressions', () => {
  it('required input omitted ("") -> LC031', () => {
    expect(codeOf(model([{ opType: 'Relu', name: 'r', input: [''], output: ['y'] }]))).toBe('LC031');
  });
  it('TENSOR attribute holding no tensor -> LC030', () => {
    expect(codeOf(model([{ opType: 'Constant', name: 'c', output: ['y'], attribute: [{ name: 'value', type: 4 }] }]))).toBe('LC030');
  });
  it('ReduceMax axes as an INT attribute at opset 13 -> LC030 naming the node', () => {
    const bytes = model([{ opType: 'ReduceMax', name: 'rm', input: ['x'], output: ['y'], attribute: [{ name: 'axes', type: 2, i: 1 }] }], { opset: 13 });
    expect(codeOf(bytes)).toBe('LC030');
    try { importOnnx(bytes); } catch (e) { expect((e as LayercError).context.node).toBe('rm'); }
  });
  it('ConvTranspose whose output_shape asks for 10^24 elements -> LC085 at import (the interpreter used to hit a RangeError)', () => {
    const bytes = model([{ opType: 'ConvTranspose', name: 'ct', input: ['x', 'w'], output: ['y'], attribute: [{ name: 'output_shape', type: 7, ints: [2 ** 31, 1e15] }, { name: 'strides', type: 7, ints: [3, 2] }] }],
      { inputs: [vi('x', [1, 1, 3, 3]), vi('w', [1, 2, 3, 3])], outputs: [vi('y', [1, 2, 9, 7])] });
    expect(codeOf(bytes)).toBe('LC085');
  });
  it('Reshape to a shape input of length 2^27 -> LC085 at once (the shape rule used to build a 2^27-rank shape: a hang)', () => {
    const bytes = model([{ opType: 'Reshape', name: 'rs', input: ['x', 'shape'], output: ['y'] }],
      { inputs: [vi('x', [2, 3]), vi('shape', [2 ** 27], 7)], outputs: [vi('y', [6])] });
    expect(codeOf(bytes)).toBe('LC085');
  });
  for (const f of FOUND) {
    it(`replay: ${f.what}`, () => {
      expect(runCase(f.kind, JSON.parse(f.plan))).toEqual({ ok: true, accepted: false, code: f.code });
    });
  }
});
