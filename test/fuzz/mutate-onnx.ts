// Mutations of valid ONNX models for the fuzz suite. A mutation plan is small data (which source, a list of
// operations with random numbers), drawn by fast-check and applied here, so a failing case prints as a
// readable plan and shrinks. Operations work on two levels: on the decoded ModelProto (delete/duplicate
// nodes, inputs, attributes, initializers; huge or negative dims; wrong dtypes; dangling and duplicate value
// names; cycles; other ops and opsets) and on the encoded bytes (bit flips, truncation, span copies).
import onnx from 'onnx-proto';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODELS, NODE_TESTS } from '../fixtures.ts';
import { model, vi } from '../onnx/build.ts';

const P = onnx.onnx;

const NODE_CASES = ['test_basic_conv_with_padding', 'test_conv_with_strides_and_asymmetric_padding', 'test_convtranspose_pads',
  'test_convtranspose_output_shape', 'test_batchnorm_example_training_mode', 'test_maxpool_2d_ceil', 'test_averagepool_2d_pads_count_include_pad',
  'test_gemm_all_attributes', 'test_reshape_negative_dim', 'test_reflect_pad', 'test_softmax_axis_1_expanded', 'test_concat_3d_axis_negative_2',
  'test_clip_splitbounds', 'test_transpose_all_permutations_3', 'test_flatten_negative_axis2', 'test_matmul_4d', 'test_globalaveragepool',
  'test_maxpool_with_argmax_2d_precomputed_pads', 'test_add_uint8', 'test_leakyrelu'];
const FIXTURE_MODELS = ['mlp_bn', 'bn_train_step_mlp_bn', 'mlp_train_sgd', 'lenet_bn'];

/** Small hand-built models covering forms the fixtures lack (Constant nodes, typed int64 data, opset 7). */
function builtModels(): Uint8Array[] {
  const shape = { name: 'shape', dataType: 7, dims: [2], int64Data: [3, 2] };
  return [
    model([
      { opType: 'Constant', name: 'c', output: ['k'], attribute: [{ name: 'value', type: 4, t: { dataType: 1, dims: [1], floatData: [2] } }] },
      { opType: 'Mul', name: 'm', input: ['x', 'k'], output: ['t'] },
      { opType: 'Reshape', name: 'r', input: ['t', 'shape'], output: ['y'] },
    ], { initializer: [shape], outputs: [vi('y', [3, 2])] }),
    model([
      { opType: 'Conv', name: 'conv', input: ['x', 'w'], output: ['c'], attribute: [{ name: 'pads', type: 7, ints: [1, 1, 1, 1] }, { name: 'group', type: 2, i: 1 }] },
      { opType: 'Relu', name: 'relu', input: ['c'], output: ['y'] },
    ], { inputs: [vi('x', ['N', 2, 5, 5])], outputs: [vi('y', ['N', 3, 5, 5])], initializer: [{ name: 'w', dataType: 1, dims: [3, 2, 3, 3], rawData: new Uint8Array(3 * 2 * 9 * 4) }] }),
    model([
      { opType: 'Dropout', name: 'd', input: ['x'], output: ['t'], attribute: [{ name: 'ratio', type: 1, f: 0.5 }] },
      { opType: 'Clip', name: 'cl', input: ['t'], output: ['y'], attribute: [{ name: 'min', type: 1, f: 0 }, { name: 'max', type: 1, f: 6 }] },
    ], { opset: 7 }),
  ];
}

let cached: Uint8Array[] | undefined;
export function onnxSources(): Uint8Array[] {
  cached ??= [
    ...FIXTURE_MODELS.map((m) => readFileSync(join(MODELS, m, 'model.onnx'))),
    ...NODE_CASES.map((c) => readFileSync(join(NODE_TESTS, c, 'model.onnx'))),
    ...builtModels(),
  ];
  return cached;
}

const PROTO_OPS = ['delNode', 'dupNode', 'delInput', 'addInput', 'danglingInput', 'dupOutputName', 'cycle', 'delInit', 'dupInit',
  'initDims', 'initDtype', 'initData', 'delAttr', 'dupAttr', 'attrType', 'attrValue', 'opType', 'opset', 'delGraphInput',
  'valueDims', 'valueDtype', 'delGraphOutput', 'renameOutput', 'domain', 'constantNode', 'externalData'] as const;
const BYTE_OPS = ['flip', 'setByte', 'truncate', 'dupSpan', 'delSpan'] as const;
export type OnnxOp = { kind: (typeof PROTO_OPS)[number] | (typeof BYTE_OPS)[number]; a: number; b: number; c: number };
export interface OnnxPlan { src: number; ops: OnnxOp[] }

const op = (kinds: readonly OnnxOp['kind'][]) => fc.record({ kind: fc.constantFrom(...kinds), a: fc.nat(), b: fc.nat(), c: fc.nat() });
export const onnxPlan: fc.Arbitrary<OnnxPlan> = fc.record({
  src: fc.nat(),
  ops: fc.oneof(
    { weight: 5, arbitrary: fc.array(op(PROTO_OPS), { minLength: 1, maxLength: 4 }) },
    { weight: 2, arbitrary: fc.array(op(BYTE_OPS), { minLength: 1, maxLength: 3 }) },
    { weight: 1, arbitrary: fc.array(op([...PROTO_OPS, ...BYTE_OPS]), { minLength: 1, maxLength: 5 }) },
  ),
});

const WEIRD_DIMS = [-1, -7, 0, 1, 3, 2 ** 31, 2 ** 40, 2 ** 53, 1e15, 65536, 2 ** 28 + 1];
const OPS = ['Relu', 'Conv', 'Gemm', 'Reshape', 'Concat', 'Pad', 'MaxPool', 'BatchNormalization', 'Softmax', 'Transpose', 'Slice',
  'Gather', 'Shape', 'ConstantOfShape', 'Squeeze', 'Unsqueeze', 'Cast', 'ReduceMean', 'Flatten', 'ConvTranspose', 'Clip', 'Identity',
  'MatMul', 'Add', 'Constant', 'Dropout', 'AveragePool', 'GlobalAveragePool', 'Frobnicate'];
const pick = <T>(xs: readonly T[], k: number): T => xs[k % xs.length];

export function applyOnnxPlan(plan: OnnxPlan): Uint8Array {
  const sources = onnxSources();
  let bytes: Uint8Array = sources[plan.src % sources.length];
  const protoOps = plan.ops.filter((o) => (PROTO_OPS as readonly string[]).includes(o.kind));
  if (protoOps.length) {
    const m = P.ModelProto.decode(bytes);
    for (const o of protoOps) mutateProto(m, o);
    bytes = P.ModelProto.encode(m).finish();
  }
  for (const o of plan.ops) if ((BYTE_OPS as readonly string[]).includes(o.kind)) bytes = mutateBytes(bytes, o);
  return bytes;
}

function mutateBytes(src: Uint8Array, { kind, a, b, c }: OnnxOp): Uint8Array {
  if (src.length === 0) return src;
  const at = a % src.length;
  switch (kind) {
    case 'flip': { const out = new Uint8Array(src); out[at] ^= 1 << (b % 8); return out; }
    case 'setByte': { const out = new Uint8Array(src); out[at] = b % 256; return out; }
    case 'truncate': return src.subarray(0, at);
    case 'dupSpan': { const len = 1 + (b % 64); const span = src.subarray(at, at + len); const to = c % src.length; return concat(src.subarray(0, to), span, src.subarray(to)); }
    case 'delSpan': return concat(src.subarray(0, at), src.subarray(at + 1 + (b % 64)));
    default: return src;
  }
}
const concat = (...parts: Uint8Array[]) => { const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0)); let o = 0; for (const p of parts) { out.set(p, o); o += p.length; } return out; };

// The decoded message is mutated freely (fields of any shape), so it is handled untyped here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
function mutateProto(m: Loose, { kind, a, b, c }: OnnxOp): void {
  const g: Loose = m.graph;
  if (!g) return;
  const nodes = g.node;
  const node = nodes.length ? nodes[a % nodes.length] : undefined;
  const inits = g.initializer;
  const init = inits.length ? inits[a % inits.length] : undefined;
  const names: string[] = [...nodes.flatMap((n: Loose) => n.output), ...inits.map((t: Loose) => t.name), ...g.input.map((v: Loose) => v.name)];
  switch (kind) {
    case 'delNode': if (node) nodes.splice(a % nodes.length, 1); break;
    case 'dupNode': if (node) nodes.splice(b % (nodes.length + 1), 0, P.NodeProto.fromObject(P.NodeProto.toObject(node))); break;
    case 'delInput': if (node?.input.length) node.input.splice(b % node.input.length, 1); break;
    case 'addInput': if (node && names.length) node.input.push(pick(names, b)); break;
    case 'danglingInput': if (node?.input.length) node.input[b % node.input.length] = `ghost_${c % 5}`; break;
    case 'dupOutputName': if (node && names.length) node.output[b % Math.max(1, node.output.length)] = pick(names, c); break;
    case 'cycle': { // feed a node from itself or from a node after it
      if (!node || !node.input.length) break;
      const later = nodes[a % nodes.length + (b % Math.max(1, nodes.length - (a % nodes.length)))];
      if (later?.output.length) node.input[c % node.input.length] = later.output[0];
      break;
    }
    case 'delInit': if (init) inits.splice(a % inits.length, 1); break;
    case 'dupInit': if (init) inits.push(P.TensorProto.fromObject(P.TensorProto.toObject(init))); break;
    case 'initDims': {
      const t = init ?? node?.attribute.find((x: Loose) => x.t)?.t;
      if (!t) break;
      if (t.dims.length === 0 || c % 4 === 0) t.dims.push(pick(WEIRD_DIMS, b));
      else t.dims[c % t.dims.length] = pick(WEIRD_DIMS, b);
      break;
    }
    case 'initDtype': if (init) init.dataType = b % 18; break;
    case 'initData': {
      if (!init) break;
      if (b % 3 === 0) init.rawData = init.rawData.subarray(0, c % (init.rawData.length + 1));
      else if (b % 3 === 1) { init.floatData = Array.from({ length: c % 7 }, (_, i) => i); init.rawData = new Uint8Array(0); }
      else init.int64Data = [pick(WEIRD_DIMS, c)];
      break;
    }
    case 'delAttr': if (node?.attribute.length) node.attribute.splice(b % node.attribute.length, 1); break;
    case 'dupAttr': if (node?.attribute.length) node.attribute.push(P.AttributeProto.fromObject(P.AttributeProto.toObject(node.attribute[b % node.attribute.length]))); break;
    case 'attrType': if (node?.attribute.length) node.attribute[b % node.attribute.length].type = c % 15; break;
    case 'attrValue': {
      if (!node) break;
      const names = ['axis', 'axes', 'pads', 'kernel_shape', 'strides', 'dilations', 'group', 'perm', 'shape', 'transA', 'epsilon', 'auto_pad', 'to', 'output_shape', 'output_padding', 'allowzero', 'ceil_mode', 'keepdims'];
      const name = b % 3 === 0 || !node.attribute.length ? pick(names, c) : node.attribute[c % node.attribute.length].name;
      node.attribute = node.attribute.filter((x: Loose) => x.name !== name);
      const ints = Array.from({ length: c % 6 }, (_, i) => pick(WEIRD_DIMS, b + i * 3));
      node.attribute.push(P.AttributeProto.fromObject(
        b % 4 === 0 ? { name, type: 2, i: pick(WEIRD_DIMS, c) } : b % 4 === 1 ? { name, type: 7, ints }
          : b % 4 === 2 ? { name, type: 3, s: Buffer.from(pick(['SAME_UPPER', 'VALID', 'NOTSET', 'bogus', ''], c)) }
            : { name, type: 1, f: pick([NaN, -1, 1e30, 0], c) }));
      break;
    }
    case 'opType': if (node) node.opType = pick(OPS, b); break;
    case 'opset': if (m.opsetImport.length) m.opsetImport[0].version = pick([1, 6, 7, 9, 11, 13, 15, 18, 21, 22, 1000, -1], b); break;
    case 'delGraphInput': if (g.input.length) g.input.splice(a % g.input.length, 1); break;
    case 'valueDims': {
      const v = pick([...g.input, ...g.output, ...g.valueInfo], a);
      const dims = v?.type?.tensorType?.shape?.dim;
      if (!dims) break;
      if (c % 5 === 0) dims.push(P.TensorShapeProto.Dimension.fromObject({ dimValue: pick(WEIRD_DIMS, b) }));
      else if (dims.length) dims[c % dims.length] = P.TensorShapeProto.Dimension.fromObject(b % 4 === 0 ? { dimParam: 'Q' } : { dimValue: pick(WEIRD_DIMS, b) });
      break;
    }
    case 'valueDtype': { const v = pick([...g.input, ...g.output], a); if (v?.type?.tensorType) v.type.tensorType.elemType = b % 18; break; }
    case 'delGraphOutput': if (g.output.length) g.output.splice(a % g.output.length, 1); break;
    case 'renameOutput': if (g.output.length) g.output[a % g.output.length].name = b % 2 ? 'nowhere' : pick(names, c); break;
    case 'domain': if (node) node.domain = pick(['', 'ai.onnx', 'com.microsoft', 'ai.layerc', 'ai.onnx.ml'], b); break;
    case 'constantNode': nodes.splice(b % (nodes.length + 1), 0, P.NodeProto.fromObject({ opType: 'Constant', name: `k${c}`, output: [pick(names, c) ?? 'k'],
      attribute: [{ name: pick(['value', 'value_float', 'value_ints', 'sparse_value'], b), type: 4, t: { dataType: 1 + (c % 12), dims: [pick(WEIRD_DIMS, a)], floatData: [1, 2] } }] })); break;
    case 'externalData': if (init) { init.dataLocation = 1; init.externalData = [P.StringStringEntryProto.fromObject({ key: 'location', value: pick(['../../etc/passwd', '/etc/passwd', 'w.bin', ''], b) })]; } break;
  }
}
