// The crafted classes of issue #16, drawn by fast-check like the mutations: each plan builds one hostile input
// a mutation campaign would rarely reach. 'runtime': outputs sized by tensor VALUES (Range, Expand, Tile,
// ConstantOfShape, Pad) and absurd pooling windows, run on the reference interpreter (whose evaluation the js
// and wgsl fallbacks share); 'wire': what the pre-decode scan must refuse (node floods, deep nesting, huge
// declared dims, one tag byte's wire type changed); 'dslnum': numbers outside their parameter's range,
// a BOM, long identifiers.
import fc from 'fast-check';
import onnx from 'onnx-proto';
import { Tensor } from '../../src/ir/tensor.ts';
import { model, vi } from '../onnx/build.ts';
import { onnxSources } from './mutate-onnx.ts';
import { dslSources } from './mutate-dsl.ts';

const HUGE = [0, 1, 2, 7, -1, -5, 1e5, 40000, 2 ** 20, 2 ** 28, 2 ** 31, 1e12, 2 ** 53, -(2 ** 31)];
const pick = <T>(xs: readonly T[], k: number): T => xs[k % xs.length];

export interface RuntimePlan { op: number; v: number[] }
export const runtimePlan: fc.Arbitrary<RuntimePlan> = fc.record({ op: fc.nat(), v: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }) });

export function applyRuntimePlan(p: RuntimePlan): { onnx: Uint8Array; feeds: Record<string, Tensor> } {
  const n = p.v.map((k) => pick(HUGE, k));
  const i64 = (xs: number[]) => Tensor.fromArray('int64', [xs.length], xs);
  const x = Tensor.fromArray('float32', [1, 1, 2, 2], [1, 2, 3, 4]);
  const out = [vi('y', ['?'])];
  const node = (opType: string, input: string[], attribute: onnx.onnx.IAttributeProto[] = []) => [{ opType, name: 'n', input, output: ['y'], attribute }];
  switch (p.op % 6) {
    case 0: return { onnx: model(node('Range', ['s', 'l', 'd']), { inputs: [vi('s', []), vi('l', []), vi('d', [])], outputs: out }),
      feeds: { s: Tensor.scalar('float32', n[0]), l: Tensor.scalar('float32', n[1]), d: Tensor.scalar('float32', n[2] || 1) } };
    case 1: return { onnx: model(node('Expand', ['x', 's']), { inputs: [vi('x', [1, 1, 2, 2]), vi('s', [4], 7)], outputs: out }), feeds: { x, s: i64([1, n[1], n[2], n[3]]) } };
    case 2: return { onnx: model(node('Tile', ['x', 's']), { inputs: [vi('x', [1, 1, 2, 2]), vi('s', [4], 7)], outputs: out }), feeds: { x, s: i64(n) } };
    case 3: return { onnx: model(node('ConstantOfShape', ['s']), { inputs: [vi('s', [3], 7)], outputs: out }), feeds: { s: i64(n.slice(0, 3)) } };
    case 4: return { onnx: model(node('Pad', ['x', 's']), { inputs: [vi('x', [1, 1, 2, 2]), vi('s', [8], 7)], outputs: out }), feeds: { x, s: i64([0, 0, n[0], n[1], 0, 0, n[2], n[3]]) } };
    default: {
      const k = [Math.max(1, Math.abs(n[0]) % 2 ** 31), Math.max(1, Math.abs(n[1]) % 2 ** 31)];
      const pads = k.map((kk) => Math.max(0, Math.min(kk - 1, Math.floor(kk / 2))));
      return { onnx: model(node(p.v[3] % 2 ? 'MaxPool' : 'AveragePool', ['x'], [{ name: 'kernel_shape', type: 7, ints: k }, { name: 'pads', type: 7, ints: [...pads, ...pads] }]),
        { inputs: [vi('x', [1, 1, 2, 2])], outputs: out }), feeds: { x } };
    }
  }
}

export interface WirePlan { kind: number; src: number; a: number; b: number }
export const wirePlan: fc.Arbitrary<WirePlan> = fc.record({ kind: fc.nat(), src: fc.nat(), a: fc.nat(), b: fc.nat() });

const varint = (n: number): number[] => { const o: number[] = []; while (n > 127) { o.push((n & 127) | 128); n = Math.floor(n / 128); } o.push(n); return o; };

export function applyWirePlan(p: WirePlan): Uint8Array {
  const head = onnx.onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 18 }] }).finish();
  const withGraph = (graph: number[] | Uint8Array) => {
    const len = [0x3a, ...varint(graph.length)];
    const out = new Uint8Array(head.length + len.length + graph.length);
    out.set(head);
    out.set(len, head.length);
    out.set(graph, head.length + len.length);
    return out;
  };
  switch (p.kind % 4) {
    case 0: { // a flood of empty (or one-byte-named) NodeProtos, up to 4M (20 MB), against the node limit
      const count = 1000 + (p.a % 4_000_000);
      const node = p.b % 2 ? [0x0a, 0] : [0x0a, 3, 0x1a, 1, 0x61];
      const g = new Uint8Array(count * node.length);
      g.set(node);
      for (let filled = node.length; filled < g.length; filled *= 2) g.copyWithin(filled, 0, Math.min(filled, g.length - filled));
      return withGraph(g);
    }
    case 1: { // TypeProto nested through sequence_type, 10..400 levels
      let tp: number[] = [];
      for (let i = 0; i < 10 + (p.a % 390); i++) { const seq = [0x0a, ...varint(tp.length), ...tp]; tp = [0x22, ...varint(seq.length), ...seq]; }
      const valueInfo = [0x0a, 1, 0x7a, 0x12, ...varint(tp.length), ...tp];
      return withGraph([0x62, ...varint(valueInfo.length), ...valueInfo]);
    }
    case 2: { // an initializer declaring huge dims with no data
      const dims = [pick(HUGE, p.a), pick(HUGE, p.b), pick(HUGE, p.a + p.b)].map((d) => (d < 0 ? 2 ** 64 + d : d));
      const t = [0x42, 1, 0x77, 0x10, 1, ...dims.flatMap((d) => [0x08, ...varint(d)])];
      return withGraph([0x2a, ...varint(t.length), ...t]);
    }
    default: { // one tag byte of a real model: its wire type changed (the field number kept)
      const src = onnxSources()[p.src % onnxSources().length];
      const out = new Uint8Array(src);
      const at = p.a % out.length;
      out[at] = (out[at] & ~7) | (p.b % 8);
      return out;
    }
  }
}

export interface DslNumPlan { src: number; param: number; value: number; bom: boolean; ident: number }
export const dslNumPlan: fc.Arbitrary<DslNumPlan> = fc.record({ src: fc.nat(), param: fc.nat(), value: fc.nat(), bom: fc.boolean(), ident: fc.nat() });

const PARAMS = ['stride', 'pad', 'kernel', 'dilation', 'groups', 'alpha', 'eps', 'momentum', 'axis', 'p', 'output_pad'];
const VALUES = ['1e308', '1e20', '1e999', '-1e308', '2.5', '0.0', '4294967297', '2147483648', '9007199254740993', '1e-320', '-0', '123456789012'];

export function applyDslNumPlan(p: DslNumPlan): string {
  const srcs = dslSources();
  let s = srcs[p.src % srcs.length];
  // Put `param=value` into the first call that takes arguments.
  const at = s.search(/\b(conv2d|maxpool|avgpool|dense|leaky_relu|batchnorm|softmax|dropout|concat|conv_transpose2d)\(/);
  if (at >= 0) {
    const open = s.indexOf('(', at);
    s = `${s.slice(0, open + 1)}${pick(PARAMS, p.param)}=${pick(VALUES, p.value)}, ${s.slice(open + 1)}`.replace(/, \)/, ')');
  }
  if (p.ident % 5 === 0) s = s.replace(/\by\b/g, 'y'.repeat(500 + (p.ident % 5000)));
  return p.bom ? `\uFEFF${s}` : s;
}
