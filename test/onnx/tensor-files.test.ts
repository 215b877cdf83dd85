// .npy and TensorProto files: numpy writes, we read (and the reverse); fixture .npy equals fixture .pb.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeNpy, encodeNpy } from '../../src/io/npy.ts';
import { readTensorFile, writeTensorFile } from '../../src/io/tensor-file.ts';
import { decodeTensorProto, encodeTensorProto } from '../../src/io/tensorproto.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { DTYPES } from '../../src/ir/dtype.ts';
import { LayercError } from '../../src/diagnostics.ts';
import { MODELS } from '../fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'layerc-npy-'));
const py = (code: string) => execFileSync('python3', ['-c', code], { encoding: 'utf8' });

describe('npy', () => {
  it('reads what numpy writes, for every dtype', () => {
    const map: Record<string, string> = { float32: 'f4', float64: 'f8', int64: 'i8', int32: 'i4', int8: 'i1', uint8: 'u1', bool: '?' };
    for (const d of DTYPES) {
      const f = join(dir, `${d}.npy`);
      py(`import numpy as np; np.save('${f}', (np.arange(-3, 9).reshape(3, 4) * 1.5).astype('${map[d]}'))`);
      const t = readTensorFile(f);
      const expected = JSON.parse(py(`import numpy as np, json; print(json.dumps(np.load('${f}').astype('f8').ravel().tolist()))`));
      expect(t.dtype).toBe(d);
      expect(t.shape).toEqual([3, 4]);
      expect(t.toNumbers()).toEqual(expected);
    }
  });
  it('numpy reads what we write', () => {
    const f = join(dir, 'ours.npy');
    writeTensorFile(f, Tensor.fromArray('int64', [2, 2], [1, -2, 2 ** 40, 4]));
    expect(py(`import numpy as np; a = np.load('${f}'); print(a.dtype, a.shape, a.ravel().tolist())`).trim()).toBe('int64 (2, 2) [1, -2, 1099511627776, 4]');
  });
  it('refuses Fortran order and big-endian with LC017', () => {
    const f = join(dir, 'f.npy'), b = join(dir, 'b.npy');
    py(`import numpy as np; np.save('${f}', np.asfortranarray(np.ones((2, 3), 'f4'))); np.save('${b}', np.ones(3, '>f4'))`);
    expect(() => readTensorFile(f)).toThrow(/Fortran/);
    expect(() => readTensorFile(b)).toThrow(/big-endian/);
    try { readTensorFile(b); } catch (e) { expect((e as LayercError).code).toBe('LC017'); }
  });
  it('truncated data is LC017, not a crash', () => {
    const bytes = encodeNpy(Tensor.fromArray('float32', [4], [1, 2, 3, 4]));
    expect(() => decodeNpy(bytes.subarray(0, bytes.length - 2), 'x.npy')).toThrow(LayercError);
  });
});

describe('TensorProto', () => {
  it('round-trips every dtype through raw_data', () => {
    for (const d of DTYPES) {
      const t = Tensor.fromArray(d, [2, 3], d === 'bool' ? [0, 1, 1, 1, 1, 0] : [0, 1, -2, 3, 100, 0].map((x) => (d === 'uint8' ? Math.abs(x) : x)));
      const back = decodeTensorProto(encodeTensorProto(t, 'x'), 'x.pb');
      expect([back.dtype, back.shape, back.toNumbers()]).toEqual([d, [2, 3], t.toNumbers()]);
    }
  });
  it('fixture input .npy (numpy) equals fixture input .pb (onnx)', () => {
    const npy = readTensorFile(join(MODELS, 'bn_train_step_mlp_bn', 'reference', 'input.npy'));
    const pb = readTensorFile(join(MODELS, 'bn_train_step_mlp_bn', 'test_data_set_0', 'input_0.pb'));
    expect(npy.shape).toEqual(pb.shape);
    expect(npy.toNumbers()).toEqual(pb.toNumbers());
  });
  it('garbage .pb is LC010', () => {
    const f = join(dir, 'bad.pb');
    writeFileSync(f, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]));
    try { readTensorFile(f); expect.unreachable(); } catch (e) { expect((e as LayercError).code).toBe('LC010'); }
  });
});
