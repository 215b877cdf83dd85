// Resource limits are checked before allocating: hostile sizes in ONNX files and DSL programs get LC085 (or
// LC017/LC010 for sizes that contradict the data), and every limit can be changed by option or LAYERC_* env var.
import { afterEach, describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/frontend/onnx.ts';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { LayercError } from '../../src/diagnostics.ts';
import { DEFAULT_LIMITS, currentLimits, type Limits } from '../../src/limits.ts';
import { model, vi } from '../onnx/build.ts';
import onnx from 'onnx-proto';
import { decodeTensorProto } from '../../src/io/tensorproto.ts';
import { decodeNpy } from '../../src/io/npy.ts';

function code(f: () => unknown): string {
  try { f(); } catch (e) {
    expect(e).toBeInstanceOf(LayercError);
    return (e as LayercError).code;
  }
  return 'ok';
}
function errorOf(f: () => unknown): LayercError {
  try { f(); } catch (e) { expect(e).toBeInstanceOf(LayercError); return e as LayercError; }
  throw new Error('no error');
}

const relu = (init: object[] = [], inputs = [vi('x', [2, 3])], limits?: Partial<Limits>) =>
  () => importOnnx(model([{ opType: 'Relu', name: 'r', input: ['x'], output: ['y'] }], { initializer: init as never, inputs }), { limits });

const saved = { ...process.env };
afterEach(() => { for (const k of Object.keys(process.env)) if (k.startsWith('LAYERC_') && !(k in saved)) delete process.env[k]; });

describe('limits: ONNX importer', () => {
  it('an initializer declaring 2^40 elements is refused by the element limit', () => {
    const e = errorOf(relu([{ name: 'w', dataType: 1, dims: [1 << 20, 1 << 20], rawData: new Uint8Array(4) }]));
    expect(e.code).toBe('LC085');
    expect(e.message).toContain('LAYERC_MAX_TENSOR_ELEMENTS');
  });
  it('declared size within the limits but not matching raw_data -> LC017 (checked before allocating)', () => {
    const e = errorOf(relu([{ name: 'w', dataType: 1, dims: [1 << 27], rawData: new Uint8Array(8) }]));
    expect(e.code).toBe('LC017');
    expect(e.message).toMatch(/raw_data has 8 bytes.*need 536870912/);
  });
  it('typed data with fewer values than dims declare -> LC017', () => {
    expect(code(relu([{ name: 'w', dataType: 1, dims: [1 << 26], floatData: [1, 2, 3] }]))).toBe('LC017');
  });
  it('negative tensor dim -> LC017; rank above the limit -> LC085', () => {
    expect(code(relu([{ name: 'w', dataType: 1, dims: [2, -3], floatData: [] }]))).toBe('LC017');
    expect(code(relu([{ name: 'w', dataType: 1, dims: [1, 1, 1, 1, 1, 1, 1, 1, 1], floatData: [1] }]))).toBe('LC085');
  });
  it('graph input dims: negative -> LC010, absurd -> LC085, rank -> LC085', () => {
    expect(code(relu([], [vi('x', [2, -1])]))).toBe('LC010');
    expect(code(relu([], [vi('x', [2, 2 ** 40])]))).toBe('LC085');
    expect(code(relu([], [vi('x', Array(9).fill(1))]))).toBe('LC085');
  });
  it('node count limit, set by option and by LAYERC_MAX_NODES', () => {
    const chain = (k: number) => model(Array.from({ length: k }, (_, i) => ({ opType: 'Relu', name: `r${i}`, input: [i ? `t${i - 1}` : 'x'], output: [i === k - 1 ? 'y' : `t${i}`] })));
    expect(() => importOnnx(chain(5), { limits: { maxNodes: 5 } })).not.toThrow();
    expect(code(() => importOnnx(chain(6), { limits: { maxNodes: 5 } }))).toBe('LC085');
    process.env.LAYERC_MAX_NODES = '5';
    const e = errorOf(() => importOnnx(chain(6)));
    expect(e.message).toMatch(/the file declares more than 5 nodes \(limit 5; raise it with LAYERC_MAX_NODES\)/); // the wire pre-scan
  });
  it('env overrides: LAYERC_MAX_RANK and LAYERC_MAX_TENSOR_ELEMENTS apply to initializers', () => {
    const w = { name: 'w', dataType: 1, dims: [2, 2, 2], floatData: Array(8).fill(0) };
    expect(code(relu([w]))).toBe('ok');
    process.env.LAYERC_MAX_RANK = '2';
    expect(code(relu([w]))).toBe('LC085');
    delete process.env.LAYERC_MAX_RANK;
    process.env.LAYERC_MAX_TENSOR_ELEMENTS = '7';
    expect(code(relu([w]))).toBe('LC085');
  });
  it('file size limit', () => {
    expect(code(relu([], undefined, { maxFileBytes: 10 }))).toBe('LC085');
  });
  it('currentLimits: defaults, env, options (options win), non-numeric env ignored', () => {
    expect(currentLimits()).toEqual(DEFAULT_LIMITS);
    process.env.LAYERC_MAX_DIM = '100';
    process.env.LAYERC_MAX_RANK = 'lots';
    expect(currentLimits().maxDim).toBe(100);
    expect(currentLimits().maxRank).toBe(DEFAULT_LIMITS.maxRank);
    expect(currentLimits({ maxDim: 7 }).maxDim).toBe(7);
  });
});

describe('limits: tensor files (layerc run --input)', () => {
  it('a TensorProto .pb declaring 2^52 elements -> LC085 before allocating (was a RangeError)', () => {
    const bytes = onnx.onnx.TensorProto.encode({ name: 'x', dataType: 1, dims: [2 ** 40, 2 ** 12], rawData: new Uint8Array(4) }).finish();
    expect(code(() => decodeTensorProto(bytes, 'x.pb'))).toBe('LC085');
  });
  it('a .npy whose header declares more data than the file has -> LC017', () => {
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 4096), }";
    const pad = header + ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
    const bytes = new Uint8Array([0x93, ...Buffer.from('NUMPY'), 1, 0, pad.length & 255, pad.length >> 8, ...Buffer.from(pad), 0, 0, 0, 0]);
    expect(code(() => decodeNpy(bytes, 'x.npy'))).toBe('LC017');
  });
});

describe('limits: DSL', () => {
  const prog = (input: string, body = 'y = x |> relu') => `model m(x: f32[${input}]) {\n  ${body}\n  return y\n}\n`;
  it('a zero or absurd input dim, or too high a rank, is refused with the span', () => {
    const z = errorOf(() => compileDsl(prog('N, 0'), 'z.layers'));
    expect(z.code).toBe('LC050');
    expect(z.context.span?.line).toBe(1);
    expect(code(() => compileDsl(prog('N, 99999999999'), 'h.layers'))).toBe('LC085');
    expect(code(() => compileDsl(prog('1, 1, 1, 1, 1, 1, 1, 1, 1'), 'r.layers'))).toBe('LC085');
  });
  it('a layer whose weights would exceed the element limit is refused before allocating', () => {
    const e = errorOf(() => compileDsl(prog('N, 100000', 'y = x |> dense(100000000)'), 'd.layers'));
    expect(e.code).toBe('LC085');
    expect(e.context.span?.line).toBe(2);
  });
  it('a layer whose static output shape exceeds the element limit is refused at that layer', () => {
    const e = errorOf(() => compileDsl(prog('1, 3, 60000, 60000'), 'o.layers'));
    expect(e.code).toBe('LC085');
    expect(e.context.span?.line).toBe(2);
  });
  it('block nesting depth (LAYERC_MAX_BLOCK_DEPTH)', () => {
    const blocks = Array.from({ length: 5 }, (_, i) => `block b${i}(x) {\n  return x |> ${i === 4 ? 'relu' : `b${i + 1}`}\n}\n`).join('');
    const src = `${blocks}model m(x: f32[N, 4]) {\n  y = x |> b0\n  return y\n}\n`;
    expect(code(() => compileDsl(src, 'b.layers'))).toBe('ok');
    process.env.LAYERC_MAX_BLOCK_DEPTH = '4';
    const e = errorOf(() => compileDsl(src, 'b.layers'));
    expect(e.code).toBe('LC085');
    expect(e.message).toContain('LAYERC_MAX_BLOCK_DEPTH');
    expect(e.context.span).toBeDefined();
  });
  it('graph size (LAYERC_MAX_NODES)', () => {
    const src = prog('N, 4', 'y = x |> relu |> relu |> relu |> relu');
    expect(code(() => compileDsl(src, 'n.layers'))).toBe('ok');
    process.env.LAYERC_MAX_NODES = '3';
    expect(code(() => compileDsl(src, 'n.layers'))).toBe('LC085');
  });
});
