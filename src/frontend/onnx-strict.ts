// The checks that make the ONNX reader as strict as onnxruntime's loader (checked against onnxruntime-node
// 1.30 by test/onnx/strict-ort.test.ts): the IR version, and per AttributeProto its type tag against the
// data it holds and against the type the op declares, and boolean attributes holding 0 or 1. Counts and
// wire types are checked earlier, on the bytes (onnx-wire.ts); duplicate attributes by the caller.
import onnx from 'onnx-proto';
import { lcError } from '../diagnostics.ts';
import type { AttrType, OpDef } from '../ir/registry.ts';
import { toNumber } from '../io/tensorproto.ts';

const A = onnx.onnx.AttributeProto.AttributeType;

/** The newest IR version onnxruntime 1.30 loads ("Unsupported model IR version: 14, max supported IR version: 13"). */
export const MAX_IR_VERSION = 13;

export function checkIrVersion(ir: number): void {
  if (!Number.isSafeInteger(ir) || ir < 0 || ir > MAX_IR_VERSION) throw lcError('LC020', [ir, `0 to ${MAX_IR_VERSION}`]);
}

/** The AttributeProto type tag each layerc attribute type is written with. */
const TAG: Partial<Record<AttrType, number>> = {
  int: A.INT, float: A.FLOAT, string: A.STRING, ints: A.INTS, floats: A.FLOATS, strings: A.STRINGS, tensor: A.TENSOR, graph: A.GRAPH,
};

/** Which data field each type tag reads; any other field holding data is a mismatch (onnx checker). */
const FIELD: Record<number, string> = {
  [A.FLOAT]: 'f', [A.INT]: 'i', [A.STRING]: 's', [A.TENSOR]: 't', [A.GRAPH]: 'g', [A.SPARSE_TENSOR]: 'sparseTensor', [A.TYPE_PROTO]: 'tp',
  [A.FLOATS]: 'floats', [A.INTS]: 'ints', [A.STRINGS]: 'strings', [A.TENSORS]: 'tensors', [A.GRAPHS]: 'graphs',
  [A.SPARSE_TENSORS]: 'sparseTensors', [A.TYPE_PROTOS]: 'typeProtos',
};

/** Attributes that are flags in every op layerc reads: 0 or 1 (a `training_mode=255` is not a mode). */
const BOOLEAN = new Set(['training_mode', 'keepdims', 'ceil_mode', 'count_include_pad', 'transA', 'transB', 'noop_with_empty_axes',
  'select_last_index', 'allowzero', 'storage_order', 'exclusive', 'reverse']);

const has = (a: onnx.onnx.IAttributeProto, f: string): boolean => {
  const v = (a as Record<string, unknown>)[f];
  if (Array.isArray(v)) return v.length > 0;
  return Object.hasOwn(a, f) && v !== null && v !== undefined;
};

/** Attributes an op gained after opset 7: an older model that sets one is invalid (onnxruntime: "Unrecognized attribute"). */
const ATTR_SINCE: Record<string, Record<string, number>> = {
  MaxPool: { storage_order: 8, ceil_mode: 10, dilations: 10 },
  AveragePool: { ceil_mode: 10, dilations: 19 },
  BatchNormalization: { training_mode: 14 },
  Reshape: { allowzero: 14 },
  ReduceMean: { noop_with_empty_axes: 18 },
  ReduceSum: { noop_with_empty_axes: 13 },
  ReduceMax: { noop_with_empty_axes: 18 },
  ReduceMin: { noop_with_empty_axes: 18 },
  Split: { num_outputs: 18 },
};

export function checkAttributeProto(a: onnx.onnx.IAttributeProto, def: OpDef, ctx: { node: string; op: string }, opset = Infinity): void {
  const name = a.name ?? '';
  const fail = (why: string): never => { throw lcError('LC030', [name, why], ctx); };
  if (!name) fail('an attribute has no name');
  const type = a.type ?? 0;
  if (!type) fail('its type is UNDEFINED (onnxruntime: "Field \'type\' of \'attr\' is required but missing")');
  const field = FIELD[type];
  if (!field) fail(`unknown attribute type ${type}`);
  const others = Object.values(FIELD).filter((f) => f !== field && has(a, f));
  if (others.length) fail(`its type is ${A[type]} but it also holds ${others.join(', ')}`);
  const since = def.domain ? undefined : ATTR_SINCE[def.name]?.[name];
  if (since !== undefined && opset < since) fail(`${def.name} has it from opset ${since}; the model is opset ${opset}`);
  const spec = def.attrs[name];
  const want = spec && TAG[spec.type];
  if (want !== undefined && want !== type) fail(`${def.name} declares it ${A[want]}, the file gives ${A[type]}`);
  if (BOOLEAN.has(name) && type === A.INT) {
    const v = toNumber(a.i ?? 0);
    if (v !== 0 && v !== 1) fail(`a flag must be 0 or 1, got ${v}`);
  }
}
