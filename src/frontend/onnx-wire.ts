// A wire-level pre-scan of an ONNX file, run before protobufjs materializes anything. It walks tags and
// lengths only (no objects are built), so a 100 MB file of 50M empty NodeProtos is refused after reading the
// first maxNodes of them, in milliseconds and without memory, instead of after protobufjs has built them all.
// On the way it enforces what protobufjs does not:
// - counts: NodeProtos (graphs and subgraphs), initializers, message nesting depth, declared tensor sizes;
// - wire types of known fields: protobufjs reads a known field by its declared type whatever the wire type
//   says (so one changed tag byte silently re-reads the bytes that follow as something else); a mismatch,
//   a group (wire types 3/4, which ONNX never uses), an unterminated varint or a length past its message
//   is LC010 here. Repeated scalars may be packed (wire type 2) or not, as protobuf allows.
// Duplicate singular fields are accepted (last one wins), as protobuf specifies and onnxruntime does.
import { lcError } from '../diagnostics.ts';
import { checkShape, exceed, type Limits } from '../limits.ts';

type Kind = 'varint' | 'i64' | 'i32' | 'bytes' | Msg;
/** field number -> [name, kind, repeated] */
type Msg = { name: string; fields: Record<number, [string, Kind, boolean?]> };

const msg = (name: string): Msg => ({ name, fields: {} });
const Model = msg('ModelProto'), Graph = msg('GraphProto'), NodeP = msg('NodeProto'), Attr = msg('AttributeProto');
const TensorP = msg('TensorProto'), Sparse = msg('SparseTensorProto'), ValueInfo = msg('ValueInfoProto'), TypeP = msg('TypeProto');
const TypeTensor = msg('TypeProto.Tensor'), TypeSeq = msg('TypeProto.Sequence'), TypeMap = msg('TypeProto.Map'), TypeOpt = msg('TypeProto.Optional');
const Shape = msg('TensorShapeProto'), Dim = msg('TensorShapeProto.Dimension'), Opset = msg('OperatorSetIdProto');
const Entry = msg('StringStringEntryProto'), Segment = msg('TensorProto.Segment'), Annotation = msg('TensorAnnotation');
const Training = msg('TrainingInfoProto'), Func = msg('FunctionProto');

// Field numbers from onnx.proto (ONNX 1.16).
Object.assign(Model.fields, { 1: ['ir_version', 'varint'], 8: ['opset_import', Opset, true], 2: ['producer_name', 'bytes'], 3: ['producer_version', 'bytes'],
  4: ['domain', 'bytes'], 5: ['model_version', 'varint'], 6: ['doc_string', 'bytes'], 7: ['graph', Graph], 14: ['metadata_props', Entry, true],
  20: ['training_info', Training, true], 25: ['functions', Func, true] });
Object.assign(Opset.fields, { 1: ['domain', 'bytes'], 2: ['version', 'varint'] });
Object.assign(Graph.fields, { 1: ['node', NodeP, true], 2: ['name', 'bytes'], 5: ['initializer', TensorP, true], 15: ['sparse_initializer', Sparse, true],
  10: ['doc_string', 'bytes'], 11: ['input', ValueInfo, true], 12: ['output', ValueInfo, true], 13: ['value_info', ValueInfo, true],
  14: ['quantization_annotation', Annotation, true], 16: ['metadata_props', Entry, true] });
Object.assign(NodeP.fields, { 1: ['input', 'bytes', true], 2: ['output', 'bytes', true], 3: ['name', 'bytes'], 4: ['op_type', 'bytes'], 7: ['domain', 'bytes'],
  8: ['overload', 'bytes'], 5: ['attribute', Attr, true], 6: ['doc_string', 'bytes'], 9: ['metadata_props', Entry, true] });
Object.assign(Attr.fields, { 1: ['name', 'bytes'], 21: ['ref_attr_name', 'bytes'], 13: ['doc_string', 'bytes'], 20: ['type', 'varint'], 2: ['f', 'i32'],
  3: ['i', 'varint'], 4: ['s', 'bytes'], 5: ['t', TensorP], 6: ['g', Graph], 22: ['sparse_tensor', Sparse], 14: ['tp', TypeP],
  7: ['floats', 'i32', true], 8: ['ints', 'varint', true], 9: ['strings', 'bytes', true], 10: ['tensors', TensorP, true], 11: ['graphs', Graph, true],
  23: ['sparse_tensors', Sparse, true], 15: ['type_protos', TypeP, true] });
Object.assign(ValueInfo.fields, { 1: ['name', 'bytes'], 2: ['type', TypeP], 3: ['doc_string', 'bytes'], 4: ['metadata_props', Entry, true] });
Object.assign(TypeP.fields, { 1: ['tensor_type', TypeTensor], 4: ['sequence_type', TypeSeq], 5: ['map_type', TypeMap], 9: ['optional_type', TypeOpt],
  8: ['sparse_tensor_type', TypeTensor], 6: ['denotation', 'bytes'] });
Object.assign(TypeTensor.fields, { 1: ['elem_type', 'varint'], 2: ['shape', Shape] });
Object.assign(TypeSeq.fields, { 1: ['elem_type', TypeP] });
Object.assign(TypeOpt.fields, { 1: ['elem_type', TypeP] });
Object.assign(TypeMap.fields, { 1: ['key_type', 'varint'], 2: ['value_type', TypeP] });
Object.assign(Shape.fields, { 1: ['dim', Dim, true] });
Object.assign(Dim.fields, { 1: ['dim_value', 'varint'], 2: ['dim_param', 'bytes'], 3: ['denotation', 'bytes'] });
Object.assign(TensorP.fields, { 1: ['dims', 'varint', true], 2: ['data_type', 'varint'], 3: ['segment', Segment], 4: ['float_data', 'i32', true],
  5: ['int32_data', 'varint', true], 6: ['string_data', 'bytes', true], 7: ['int64_data', 'varint', true], 8: ['name', 'bytes'], 12: ['doc_string', 'bytes'],
  9: ['raw_data', 'bytes'], 13: ['external_data', Entry, true], 14: ['data_location', 'varint'], 10: ['double_data', 'i64', true],
  11: ['uint64_data', 'varint', true], 16: ['metadata_props', Entry, true] });
Object.assign(Segment.fields, { 1: ['begin', 'varint'], 2: ['end', 'varint'] });
Object.assign(Sparse.fields, { 1: ['values', TensorP], 2: ['indices', TensorP], 3: ['dims', 'varint', true] });
Object.assign(Entry.fields, { 1: ['key', 'bytes'], 2: ['value', 'bytes'] });
Object.assign(Annotation.fields, { 1: ['tensor_name', 'bytes'], 2: ['quant_parameter_tensor_names', Entry, true] });
Object.assign(Training.fields, { 1: ['initialization', Graph], 2: ['algorithm', Graph], 3: ['initialization_binding', Entry, true], 4: ['update_binding', Entry, true] });
Object.assign(Func.fields, { 1: ['name', 'bytes'], 4: ['input', 'bytes', true], 5: ['output', 'bytes', true], 6: ['attribute', 'bytes', true],
  11: ['attribute_proto', Attr, true], 7: ['node', NodeP, true], 8: ['doc_string', 'bytes'], 9: ['opset_import', Opset, true], 10: ['domain', 'bytes'],
  13: ['overload', 'bytes'], 12: ['value_info', ValueInfo, true], 14: ['metadata_props', Entry, true] });

const WIRE: Record<string, number> = { varint: 0, i64: 1, bytes: 2, i32: 5 };
const WIRE_NAME = ['varint', '64-bit', 'length-delimited', 'group start', 'group end', '32-bit', '6', '7'];

/** What the scan found (tests and the fuzz report read it). */
export interface WireCounts { nodes: number; initializers: number; depth: number; messages: number }

/** Maximum message nesting (a subgraph costs 3 levels: Node -> Attribute -> Graph). */
export const MAX_PROTO_DEPTH = 100;

export function prescanModel(bytes: Uint8Array, limits: Limits): WireCounts {
  const counts: WireCounts = { nodes: 0, initializers: 0, depth: 0, messages: 0 };
  // Every message costs protobufjs an object: at most a few per node, plus the tensors and value infos.
  const maxMessages = 8 * limits.maxNodes;
  let pos = 0;
  const bad = (what: string): never => { throw lcError('LC010', [`protobuf wire format: ${what} at byte ${pos}`]); };
  const varint = (end: number): number => {
    let v = 0, mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) bad('a varint runs past the end of its message');
      const b = bytes[pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    return bad('a varint longer than 10 bytes');
  };
  const skip = (wt: number, end: number, where: string): void => {
    if (wt === 0) varint(end);
    else if (wt === 1) pos += 8;
    else if (wt === 5) pos += 4;
    else if (wt === 2) { const n = varint(end); pos += n; }
    else bad(`wire type ${WIRE_NAME[wt]} (${where}), which ONNX never uses`);
    if (pos > end) bad(`a field of ${where} runs past the end of its message`);
  };
  // Product of the dims of the TensorProto being scanned (packed or not), checked when it ends.
  const walk = (m: Msg, end: number, depth: number): void => {
    if (depth > MAX_PROTO_DEPTH) bad(`messages nest deeper than ${MAX_PROTO_DEPTH} levels`);
    if (++counts.messages > maxMessages) exceed(`the file holds more than ${maxMessages} protobuf messages`, 'maxNodes', limits);
    counts.depth = Math.max(counts.depth, depth);
    const dims: number[] = [];
    while (pos < end) {
      const tag = varint(end);
      const field = Math.floor(tag / 8), wt = tag % 8;
      if (field === 0) bad(`field number 0 in ${m.name}`);
      const spec = m.fields[field];
      if (!spec) { skip(wt, end, m.name); continue; } // unknown field: skipped, as protobuf does
      const [name, kind, repeated] = spec;
      const want = typeof kind === 'string' ? WIRE[kind] : 2;
      const packed = repeated && typeof kind === 'string' && kind !== 'bytes' && wt === 2;
      if (wt !== want && !packed) bad(`field ${m.name}.${name} (#${field}) has wire type ${WIRE_NAME[wt]}, expected ${WIRE_NAME[want]}`);
      if (typeof kind !== 'string') {
        const n = varint(end);
        const sub = pos + n;
        if (sub > end) bad(`${m.name}.${name} declares ${n} bytes, past the end of its message`);
        if (kind === NodeP && ++counts.nodes > limits.maxNodes) exceed(`the file declares more than ${limits.maxNodes} nodes`, 'maxNodes', limits);
        if (m === Graph && field === 5 && ++counts.initializers > limits.maxNodes) exceed(`the file declares more than ${limits.maxNodes} initializers`, 'maxNodes', limits);
        walk(kind, sub, depth + 1);
        pos = sub;
        continue;
      }
      if (m === TensorP && field === 1) {
        if (packed) { const n = varint(end), sub = pos + n; if (sub > end) bad('packed dims past the end of their tensor'); while (pos < sub) dims.push(signed(varint(sub))); }
        else dims.push(signed(varint(end)));
        if (dims.length > limits.maxRank) exceed(`a tensor declares rank ${dims.length}`, 'maxRank', limits);
        continue;
      }
      skip(wt, end, m.name);
    }
    if (pos !== end) bad(`the last field of ${m.name} runs past its end`);
    // Declared sizes, before protobufjs allocates anything for them (negative dims are LC017 later, with the name).
    if (m === TensorP && dims.length && dims.every((d) => d >= 0)) checkShape(dims, 'a tensor declared in the file', limits);
  };
  walk(Model, bytes.length, 0);
  return counts;
}

/** int64 varints of negative numbers arrive as 2^64 - |x|; as doubles they are >= 2^63. */
const signed = (v: number) => (v >= 2 ** 63 ? v - 2 ** 64 : v);
