// A reader as strict as onnxruntime's (issue #16). Each hand-made case is a file onnxruntime-node refuses
// when loading, checked here against onnxruntime itself, and layerc must refuse it with its code; then a
// bounded, seeded differential over the mutation corpus (test/fuzz/mutate-onnx.ts): no file onnxruntime
// refuses when loading is run by layerc without an error.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import onnx from 'onnx-proto';
import { importOnnx } from '../../src/frontend/onnx.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { LayercError, onWarning } from '../../src/diagnostics.ts';
import { floatTensor, model, vi } from './build.ts';
import { layercVerdict, ortVerdict } from './ort-diff.ts';
import { applyOnnxPlan, onnxPlan } from '../fuzz/mutate-onnx.ts';

const P = onnx.onnx;
const x3 = [vi('x', [1, 2, 3])];
const softmax = (attribute: onnx.onnx.IAttributeProto[] = []) => model([{ opType: 'Softmax', name: 's', input: ['x'], output: ['y'], attribute }], { inputs: x3, outputs: [vi('y', [1, 2, 3])] });
const withHeader = (bytes: Uint8Array, irVersion: number, opsetImport: { domain: string; version: number }[]) =>
  P.ModelProto.encode({ ...P.ModelProto.decode(bytes), irVersion, opsetImport }).finish();
const bn = (mode: number) => model([{ opType: 'BatchNormalization', name: 'bn', input: ['x', 's', 'b', 'm', 'v'], output: ['y'], attribute: [{ name: 'training_mode', type: 2, i: mode }] }],
  { inputs: x3, outputs: [vi('y', [1, 2, 3])], initializer: ['s', 'b', 'm', 'v'].map((n) => floatTensor(n, [2], [1, 1])) });
/** Changes the wire type of the ir_version tag (field 1, varint: 0x08) to 32-bit (0x0d), keeping the length. */
function irVersionAsFixed32(bytes: Uint8Array): Uint8Array {
  const m = P.ModelProto.decode(bytes);
  const rest = P.ModelProto.encode({ ...m, irVersion: 0 }).finish();
  return Uint8Array.from([0x0d, 8, 0, 0, 0, ...rest]);
}

const CASES: { name: string; bytes: () => Uint8Array; code: string; message: RegExp }[] = [
  { name: 'an attribute given twice', code: 'LC030', message: /appears more than once/,
    bytes: () => softmax([{ name: 'axis', type: 2, i: 1 }, { name: 'axis', type: 2, i: 0 }]) },
  { name: 'an INT attribute the op declares FLOAT (LeakyRelu alpha)', code: 'LC030', message: /LeakyRelu declares it FLOAT, the file gives INT/,
    bytes: () => model([{ opType: 'LeakyRelu', name: 'l', input: ['x'], output: ['y'], attribute: [{ name: 'alpha', type: 2, i: 1 }] }]) },
  { name: 'type INT but also holding f', code: 'LC030', message: /its type is INT but it also holds f/,
    bytes: () => softmax([{ name: 'axis', type: 2, i: 1, f: 2 }]) },
  { name: 'an attribute with type UNDEFINED', code: 'LC030', message: /UNDEFINED/, bytes: () => softmax([{ name: 'axis', i: 1 }]) },
  { name: 'training_mode=255', code: 'LC030', message: /flag must be 0 or 1, got 255/, bytes: () => bn(255) },
  { name: 'ceil_mode on a MaxPool of opset 9', code: 'LC030', message: /from opset 10/,
    bytes: () => model([{ opType: 'MaxPool', name: 'p', input: ['x'], output: ['y'],
      attribute: [{ name: 'kernel_shape', type: 7, ints: [1] }, { name: 'ceil_mode', type: 2, i: 1 }] }], { inputs: x3, outputs: [vi('y', [1, 2, 3])], opset: 9 }) },
  { name: 'IR version 14', code: 'LC020', message: /unsupported IR version 14/, bytes: () => withHeader(softmax(), 14, [{ domain: '', version: 18 }]) },
  { name: 'no opset_import at all', code: 'LC016', message: /has none/, bytes: () => withHeader(softmax(), 8, []) },
  { name: 'Relu(y) -> y', code: 'LC015', message: /reads its own output 'y'/, bytes: () => model([{ opType: 'Relu', name: 'r', input: ['y'], output: ['y'] }]) },
  { name: 'Relu(x) -> x (redefines a graph input)', code: 'LC034', message: /'x' is defined more than once: a graph input and an output of node 'r'/,
    bytes: () => model([{ opType: 'Relu', name: 'r', input: ['x'], output: ['x'] }], { outputs: [vi('x', [2, 3])] }) },
  { name: 'a graph output declared uint8 that a Relu makes float', code: 'LC033', message: /declared UINT8 but node 'r' \(Relu\) makes float32/,
    bytes: () => model([{ opType: 'Relu', name: 'r', input: ['x'], output: ['y'] }], { outputs: [vi('y', [2, 3], 2)] }) },
  { name: 'training_mode on a BatchNormalization of opset 13', code: 'LC030', message: /from opset 14/,
    bytes: () => P.ModelProto.encode({ ...P.ModelProto.decode(bn(0)), opsetImport: [{ domain: '', version: 13 }] }).finish() },
];

/** A ModelProto whose graph holds n empty NodeProtos (2 bytes each), built directly on the wire. */
export function emptyNodes(n: number): Uint8Array {
  const head = P.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 18 }] }).finish();
  const len: number[] = [];
  for (let L = 2 * n; ; L = Math.floor(L / 128)) { if (L < 128) { len.push(L); break; } len.push((L & 127) | 128); }
  const out = new Uint8Array(head.length + 1 + len.length + 2 * n);
  out.set(head);
  out[head.length] = 0x3a; // field 7 (graph), length-delimited
  out.set(len, head.length + 1);
  for (let i = head.length + 1 + len.length; i < out.length; i += 2) out[i] = 0x0a; // field 1 (node), length 0
  return out;
}

function codeOf(bytes: Uint8Array): LayercError {
  try { importOnnx(bytes); } catch (e) { expect(e).toBeInstanceOf(LayercError); return e as LayercError; }
  throw new Error('accepted');
}

describe('strict ONNX reader: files onnxruntime refuses', () => {
  for (const c of CASES) {
    it(`${c.name}: onnxruntime refuses it, layerc ${c.code}`, async () => {
      const bytes = c.bytes();
      expect((await ortVerdict(bytes, null)).stage).toBe('load');
      const e = codeOf(bytes);
      expect(e.code).toBe(c.code);
      expect(e.message).toMatch(c.message);
    });
  }

  it('a wire type changed on a known field: onnxruntime skips it as unknown, layerc refuses it (LC010) instead of misreading it', async () => {
    const bytes = irVersionAsFixed32(softmax());
    expect((await ortVerdict(bytes, null)).stage).toBe('ok'); // listed as a difference in the README
    expect(codeOf(bytes).message).toMatch(/ModelProto.ir_version \(#1\) has wire type 32-bit, expected varint/);
  });

  it('only other domains imported: the default domain is read at the newest opset, as onnxruntime does (Softmax-13, not Softmax-1)', async () => {
    const bytes = withHeader(softmax(), 8, [{ domain: 'com.microsoft', version: 1 }]);
    const x = Tensor.fromArray('float32', [1, 2, 3], [1, 2, 3, 4, 5, 6]);
    const warnings: string[] = [];
    const stop = onWarning((w) => warnings.push(w));
    const g = importOnnx(bytes);
    stop();
    expect(warnings.join('\n')).toMatch(/no default-domain \(ai.onnx\) opset; its standard ops are read at opset \d+/); // the default is printed
    const y = runGraph(g, { x }).y;
    // Softmax-13 over the last axis: each row of 3 sums to 1 (Softmax-1 would spread over all 6).
    expect(y.data[0] + y.data[1] + y.data[2]).toBeCloseTo(1, 6);
    expect(y.data[2]).toBeCloseTo(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3)), 6);
    expect((await ortVerdict(bytes, null)).stage).toBe('ok');
  });

  it('duplicate singular fields: the last one wins, as in onnxruntime (op_type Softmax then Relu reads as Relu)', () => {
    const node = P.NodeProto.encode({ opType: 'Softmax', name: 's', input: ['x'], output: ['y'] }).finish();
    const twice = Uint8Array.from([...node, 0x22, 4, ...Buffer.from('Relu')]);
    const m = P.ModelProto.decode(softmax());
    m.graph!.node = [P.NodeProto.decode(twice)];
    expect(importOnnx(P.ModelProto.encode(m).finish()).nodes[0].op).toBe('Relu');
  });

  it('the 100 MB file of 50M empty NodeProtos is refused by the pre-scan in well under a few seconds', () => {
    const bytes = emptyNodes(50_000_000);
    const t0 = performance.now();
    const e = codeOf(bytes);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(e.code).toBe('LC085');
    expect(e.message).toContain('LAYERC_MAX_NODES');
  });

  it('pre-scan: packed and unpacked dims are both accepted; a group wire type, a length past its message, and deep nesting are LC010', () => {
    const t = { name: 'w', dataType: 1, dims: [2, 3], floatData: [1, 2, 3, 4, 5, 6] };
    const ok = model([{ opType: 'Add', name: 'a', input: ['x', 'w'], output: ['y'] }], { initializer: [t] });
    expect(() => importOnnx(ok)).not.toThrow(); // protobufjs writes packed dims
    expect(codeOf(Uint8Array.from([...ok, 0x0b])).message).toMatch(/wire type group start/);
    expect(codeOf(Uint8Array.from([...ok, 0x32, 0x05, 1])).message).toMatch(/past/);
    // A TypeProto nested 200 deep through sequence_type (field 4 of TypeProto, field 1 of Sequence).
    let tp = new Uint8Array(0);
    for (let i = 0; i < 100; i++) { const seq = Uint8Array.from([0x0a, ...varint(tp.length), ...tp]); tp = Uint8Array.from([0x22, ...varint(seq.length), ...seq]); }
    const valueInfo = Uint8Array.from([0x0a, 1, 0x7a, 0x12, ...varint(tp.length), ...tp]);
    const graph = Uint8Array.from([0x62, ...varint(valueInfo.length), ...valueInfo]);
    expect(codeOf(Uint8Array.from([0x08, 8, 0x3a, ...varint(graph.length), ...graph])).message).toMatch(/nest deeper than 100/);
  });

  it('differential over 120 seeded mutations: nothing onnxruntime refuses when loading runs silently in layerc', async () => {
    const plans = fc.sample(onnxPlan, { numRuns: 120, seed: 16 });
    const table: Record<string, number> = {};
    const silent: string[] = [];
    for (const p of plans) {
      const bytes = applyOnnxPlan(p);
      const { verdict: l, feeds } = layercVerdict(bytes);
      const o = await ortVerdict(bytes, feeds);
      table[`ort ${o.stage} / layerc ${l.stage}`] = (table[`ort ${o.stage} / layerc ${l.stage}`] ?? 0) + 1;
      if (o.stage === 'load' && l.stage === 'ok') silent.push(`${JSON.stringify(p)}: ${o.message}`);
    }
    console.log('strict differential (120 mutations, seed 16):', table);
    expect(silent).toEqual([]);
    expect(table['ort load / layerc import']).toBeGreaterThan(50); // the corpus does reach the refusals
  }, 120_000);
});

function varint(n: number): number[] {
  const o: number[] = [];
  while (n > 127) { o.push((n & 127) | 128); n = Math.floor(n / 128); }
  o.push(n);
  return o;
}
