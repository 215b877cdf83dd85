// Checkpoints survive kill -9 mid-write (the previous one stays loadable and consistent), corruption is
// refused by the SHA-256 in the metadata (LC065), and a training run killed and resumed with --resume ends
// byte-identical to the uninterrupted run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint } from '../../src/io/safetensors.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { LayercError } from '../../src/diagnostics.ts';
import { encodeNpy } from '../../src/io/npy.ts';
import { REPO_ROOT } from '../fixtures.ts';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'layerc-ckpt-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));

function consistent(path: string): number {
  const ck = loadCheckpoint(path);
  const g = Number(ck.metadata.step);
  const w = ck.tensors.get('layer.weight')!.data, b = ck.tensors.get('layer.bias')!.data;
  expect(w.every((x) => x === g) && b.every((x) => x === -g), `generation ${g} is internally consistent`).toBe(true);
  return g;
}

describe('checkpoint durability', () => {
  it('kill -9 in the middle of rewriting a 32 MB checkpoint leaves the previous one loadable', async () => {
    const path = join(dir, 'big.safetensors');
    const n = 8 << 20; // 32 MB of float32
    saveCheckpoint(path, { tensors: new Map([['layer.weight', new Tensor('float32', [n], new Float32Array(n))], ['layer.bias', new Tensor('float32', [1024], new Float32Array(1024))]]), metadata: { step: '0' } });
    const delays = fc.sample(fc.integer({ min: 0, max: 3 }), { numRuns: 3, seed: 8 }); // ms after the temp file appears: inside the write even on tmpfs
    let interrupted = 0;
    for (const delay of delays) {
      const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test/robustness/helpers/checkpoint-writer.ts'), path, String(n)], { stdio: 'ignore', cwd: REPO_ROOT });
      // Wait until a temporary file shows a write in progress, then kill at a random moment inside it.
      const t0 = Date.now();
      while (!readdirSync(dir).some((f) => f.endsWith('.tmp') && f.includes(String(child.pid))) && Date.now() - t0 < 60_000) await sleep(1);
      await sleep(delay);
      child.kill('SIGKILL');
      await exited(child);
      if (readdirSync(dir).some((f) => f.includes(`.${child.pid}.`))) interrupted++;
      consistent(path);
    }
    expect(interrupted, 'at least one kill landed inside a write').toBeGreaterThan(0);
  }, 120_000);

  const small = () => encodeCheckpoint({
    tensors: new Map([['dense1.weight', new Tensor('float32', [2, 3], new Float32Array([1, -2, 3.5, 4, 5, 6]))], ['step', new Tensor('int64', [], new Float64Array([7]))]]),
    metadata: { step: '7' },
  });

  it('every single-bit flip in the data section is refused by the checksum (LC065)', () => {
    const bytes = small();
    const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    for (let i = headerEnd; i < bytes.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const b = new Uint8Array(bytes);
        b[i] ^= bit;
        let err: unknown;
        try { decodeCheckpoint(b, 'ck.safetensors'); } catch (e) { err = e; }
        expect(err).toBeInstanceOf(LayercError);
        expect((err as LayercError).code).toBe('LC065');
        expect((err as LayercError).message).toMatch(/SHA-256/);
      }
    }
  });

  it('a truncated or empty checkpoint file is refused (LC065)', () => {
    const bytes = small();
    for (const len of [0, 5, 8, 40, bytes.length - 1]) {
      const p = join(dir, `trunc${len}.safetensors`);
      writeFileSync(p, bytes.subarray(0, len));
      expect(() => loadCheckpoint(p)).toThrow(LayercError);
      try { loadCheckpoint(p); } catch (e) { expect((e as LayercError).code).toBe('LC065'); }
    }
  });

  // The SHA-256 covers the canonical header as well as the data, and every entry is validated, so no header
  // bit flip loads a different checkpoint (e.g. a renamed tensor) or escapes as a plain TypeError/RangeError.
  it('every single-bit flip in the header is refused or harmless', () => {
    const bytes = small();
    const ref = decodeCheckpoint(bytes);
    const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    for (let i = 0; i < headerEnd; i++) {
      const b = new Uint8Array(bytes);
      b[i] ^= 0x01;
      try {
        const d = decodeCheckpoint(b);
        expect([...d.tensors.keys()]).toEqual([...ref.tensors.keys()]);
        for (const [k, t] of ref.tensors) expect(Array.from(d.tensors.get(k)!.data)).toEqual(Array.from(t.data));
      } catch (e) { expect(e).toBeInstanceOf(LayercError); }
    }
  });

  it('train killed with -9 and resumed with --resume ends byte-identical to the uninterrupted run', async () => {
    // Data: y = x0 - 2 x1 + noise-free, 256 rows (8 batches of 32 per epoch).
    const rows = 256;
    const x = new Float32Array(rows * 2), y = new Float32Array(rows);
    for (let r = 0; r < rows; r++) { x[2 * r] = Math.sin(r); x[2 * r + 1] = Math.cos(3 * r); y[r] = x[2 * r] - 2 * x[2 * r + 1]; }
    writeFileSync(join(dir, 'X.npy'), encodeNpy(new Tensor('float32', [rows, 2], x)));
    writeFileSync(join(dir, 'y.npy'), encodeNpy(new Tensor('float32', [rows, 1], y)));
    copyFileSync(join(REPO_ROOT, 'examples/mlp_bn.layers'), join(dir, 'mlp.layers'));
    const epochs = 16;
    const args = (ck: string, ...extra: string[]) => ['train', join(dir, 'mlp.layers'), '--data', `${join(dir, 'X.npy')},${join(dir, 'y.npy')}`, '--loss', 'mse',
      '--optimizer', 'adam', '--lr', '0.01', '--batch', '32', '--epochs', String(epochs), '--seed', '5', '--checkpoint', ck, ...extra];
    const bin = join(REPO_ROOT, 'bin/layerc.js');
    const straight = join(dir, 'straight.safetensors'), killed = join(dir, 'killed.safetensors');
    execFileSync(process.execPath, [bin, ...args(straight)], { stdio: 'pipe', timeout: 120_000 });

    const child = spawn(process.execPath, [bin, ...args(killed)], { stdio: 'ignore' });
    let stepAtKill = -1;
    const t0 = Date.now();
    while (Date.now() - t0 < 120_000) {
      if (existsSync(killed)) { child.kill('SIGKILL'); break; }
      await sleep(2);
    }
    await exited(child);
    stepAtKill = Number(loadCheckpoint(killed).metadata.step);
    const total = epochs * 8;
    expect(stepAtKill, 'the kill interrupted training').toBeLessThan(total);
    expect(stepAtKill).toBeGreaterThan(0);

    execFileSync(process.execPath, [bin, ...args(killed, '--resume', killed)], { stdio: 'pipe', timeout: 120_000 });
    const a = loadCheckpoint(straight), b = loadCheckpoint(killed);
    expect(b.metadata.step).toBe(String(total));
    expect(a.metadata.step).toBe(String(total));
    expect([...b.tensors.keys()].sort()).toEqual([...a.tensors.keys()].sort());
    for (const [name, t] of a.tensors) {
      const u = b.tensors.get(name)!;
      expect(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), name).toBe(true);
    }
    expect(readFileSync(killed).length).toBe(readFileSync(straight).length);
  }, 240_000);
});
