// Mutations of tensor files (`layerc run --input`): TensorProto .pb inputs of the ONNX node tests and .npy
// encodings of them. On the decoded TensorProto: dims (huge, negative, extra), data type, data fields; on the
// .npy header text: shape, descr, fortran_order; on the bytes of both: flips, truncation, span copies.
import onnx from 'onnx-proto';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_TESTS } from '../fixtures.ts';
import { decodeTensorProto } from '../../src/io/tensorproto.ts';
import { encodeNpy } from '../../src/io/npy.ts';

const P = onnx.onnx;
const CASES = ['test_conv_with_strides_padding', 'test_add_uint8', 'test_reshape_negative_dim', 'test_batchnorm_example', 'test_gemm_all_attributes', 'test_clip_default_int8_min'];

let cached: { pb: Uint8Array[]; npy: Uint8Array[] } | undefined;
export function tensorSources(): { pb: Uint8Array[]; npy: Uint8Array[] } {
  if (cached) return cached;
  const pb: Uint8Array[] = [];
  for (const c of CASES) for (const f of ['input_0.pb', 'input_1.pb']) { try { pb.push(readFileSync(join(NODE_TESTS, c, 'test_data_set_0', f))); } catch { /* one input */ } }
  const out = { pb, npy: pb.map((b) => encodeNpy(decodeTensorProto(b, 'src.pb'))) };
  cached = out;
  return out;
}

const OPS = ['dims', 'dtype', 'data', 'header', 'flip', 'truncate', 'dupSpan'] as const;
export type TensorOp = { kind: (typeof OPS)[number]; a: number; b: number; c: number };
export interface TensorPlan { npy: boolean; src: number; ops: TensorOp[] }

export const tensorPlan: fc.Arbitrary<TensorPlan> = fc.record({
  npy: fc.boolean(),
  src: fc.nat(),
  ops: fc.array(fc.record({ kind: fc.constantFrom(...OPS), a: fc.nat(), b: fc.nat(), c: fc.nat() }), { minLength: 1, maxLength: 3 }),
});

const WEIRD = [-1, 0, 1, 3, 2 ** 31, 2 ** 40, 2 ** 53, 1e15, 65536];
const pick = <T>(xs: readonly T[], k: number): T => xs[k % xs.length];

export function applyTensorPlan(plan: TensorPlan): Uint8Array {
  const srcs = plan.npy ? tensorSources().npy : tensorSources().pb;
  let bytes: Uint8Array = srcs[plan.src % srcs.length];
  for (const o of plan.ops) bytes = plan.npy ? mutateNpy(bytes, o) : mutatePb(bytes, o);
  return bytes;
}

function mutatePb(bytes: Uint8Array, o: TensorOp): Uint8Array {
  if (o.kind === 'flip' || o.kind === 'truncate' || o.kind === 'dupSpan') return mutateBytes(bytes, o);
  let t: onnx.onnx.TensorProto;
  try { t = P.TensorProto.decode(bytes); } catch { return bytes; }
  if (o.kind === 'dims') { if (!t.dims.length || o.c % 3 === 0) t.dims.push(pick(WEIRD, o.b)); else t.dims[o.c % t.dims.length] = pick(WEIRD, o.b); }
  else if (o.kind === 'dtype') t.dataType = o.b % 18;
  else if (o.kind === 'data') {
    if (o.b % 2) t.rawData = t.rawData.subarray(0, o.c % (t.rawData.length + 1));
    else { t.rawData = new Uint8Array(0); t.floatData = Array.from({ length: o.c % 9 }, (_, i) => i); }
  } else t.dataLocation = 1;
  return P.TensorProto.encode(t).finish();
}

function mutateNpy(bytes: Uint8Array, o: TensorOp): Uint8Array {
  if (o.kind !== 'header' && o.kind !== 'dims' && o.kind !== 'dtype') return mutateBytes(bytes, o);
  const text = new TextDecoder('latin1').decode(bytes);
  const swap = o.kind === 'dims' ? [/'shape': \([^)]*\)/, `'shape': (${pick(WEIRD, o.b)}, ${pick(WEIRD, o.c)})`]
    : o.kind === 'dtype' ? [/'descr': '[^']*'/, `'descr': '${pick(['<f4', '>f4', '<f2', '|b1', '<i8', '<c8', 'O', ''], o.b)}'`]
      : [/'fortran_order': \w+/, `'fortran_order': ${pick(['True', 'Maybe', ''], o.b)}`];
  return Uint8Array.from(text.replace(swap[0] as RegExp, swap[1] as string), (ch) => ch.charCodeAt(0) & 255);
}

function mutateBytes(src: Uint8Array, { kind, a, b, c }: TensorOp): Uint8Array {
  if (!src.length) return src;
  const at = a % src.length;
  if (kind === 'flip') { const out = new Uint8Array(src); out[at] ^= 1 << (b % 8); return out; }
  if (kind === 'truncate') return src.subarray(0, at);
  const span = src.subarray(at, at + 1 + (b % 32)), to = c % src.length;
  const out = new Uint8Array(src.length + span.length);
  out.set(src.subarray(0, to)); out.set(span, to); out.set(src.subarray(to), to + span.length);
  return out;
}
