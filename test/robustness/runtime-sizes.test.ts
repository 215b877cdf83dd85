// Sizes known only at run time (issue #16): outputs whose size comes from tensor VALUES fed at run time
// (Range, Expand, Tile, ConstantOfShape, Pad) or from an absurd pooling window are refused before anything
// is allocated, with LC085 (limit) or LC032 (negative size), on the reference interpreter, js and wgsl:
// one check (src/ir/budget.ts) that every backend's evaluation goes through.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { craftedRuntimeSizes } from './helpers/crafted.ts';
import { importOnnx } from '../../src/frontend/onnx.ts';
import { getBackend } from '../../runtime/backend.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { LayercError } from '../../src/diagnostics.ts';
import { DEFAULT_LIMITS, machineTotalBytes } from '../../src/limits.ts';
import { model, vi } from '../onnx/build.ts';
import { hasAdapter } from '../wgsl/gpu.ts';

const BACKENDS = ['reference', 'js', ...(hasAdapter ? ['wgsl'] : [])];

async function outcome(bytes: Uint8Array, feeds: Record<string, Tensor>, backend: string): Promise<LayercError | Record<string, Tensor>> {
  try {
    const m = await (await getBackend(backend)).compile(importOnnx(bytes), { threads: 2 });
    try { return await m.run(feeds); } finally { await m.dispose(); }
  } catch (e) {
    if (e instanceof LayercError) return e;
    throw e;
  }
}

const saved = { ...process.env };
afterEach(() => { for (const k of Object.keys(process.env)) if (k.startsWith('LAYERC_') && !(k in saved)) delete process.env[k]; });

describe('run-time sizes are checked before each kernel', () => {
  for (const c of craftedRuntimeSizes()) {
    it(`${c.name}: ${c.code} on ${BACKENDS.join(', ')}`, async () => {
      for (const b of BACKENDS) {
        const r = await outcome(c.onnx, c.feeds, b);
        expect(r, `${c.name} on ${b}`).toBeInstanceOf(LayercError);
        expect((r as LayercError).code, `${c.name} on ${b}: ${(r as LayercError).message}`).toBe(c.code);
        // Refused by the budget's pre-check (it names the output or the work), not only by the allocation backstop.
        if (c.code === 'LC085') expect((r as LayercError).message).toMatch(/output '\w+' of |units of work|needs \d+ bytes/);
      }
    });
  }

  it('the same ops with sane values still run, and js/wgsl agree with the reference', async () => {
    const bytes = model([{ opType: 'Expand', name: 'e', input: ['x', 'shape'], output: ['y'] }], { inputs: [vi('x', [1, 3]), vi('shape', [2], 7)], outputs: [vi('y', ['?', 3])] });
    const feeds = { x: Tensor.fromArray('float32', [1, 3], [1, 2, 3]), shape: Tensor.fromArray('int64', [2], [2, 3]) };
    const want = (await outcome(bytes, feeds, 'reference')) as Record<string, Tensor>;
    expect(Array.from(want.y.data)).toEqual([1, 2, 3, 1, 2, 3]);
    for (const b of BACKENDS) expect(Array.from(((await outcome(bytes, feeds, b)) as Record<string, Tensor>).y.data)).toEqual([1, 2, 3, 1, 2, 3]);
  });

  it('the node cost limit is LAYERC_MAX_NODE_COST: output elements x taps', async () => {
    // 1x1x6x6 input, 3x3 window, stride 1: 16 outputs x 9 taps = 144.
    const bytes = model([{ opType: 'MaxPool', name: 'p', input: ['x'], output: ['y'], attribute: [{ name: 'kernel_shape', type: 7, ints: [3, 3] }] }],
      { inputs: [vi('x', [1, 1, 6, 6])], outputs: [vi('y', [1, 1, 4, 4])] });
    const feeds = { x: Tensor.fromArray('float32', [1, 1, 6, 6], Array.from({ length: 36 }, (_, i) => i)) };
    process.env.LAYERC_MAX_NODE_COST = '143';
    for (const b of BACKENDS) expect(((await outcome(bytes, feeds, b)) as LayercError).code).toBe('LC085');
    process.env.LAYERC_MAX_NODE_COST = '144';
    for (const b of BACKENDS) expect(Array.from(((await outcome(bytes, feeds, b)) as Record<string, Tensor>).y.data)).toEqual([14, 15, 16, 17, 20, 21, 22, 23, 26, 27, 28, 29, 32, 33, 34, 35]);
  });

  it('the total budget counts what a run holds: values dead after their last use are freed', () => {
    // x -> Tile x4 -> Relu -> Relu -> Relu -> y: each intermediate is 4 x 64 KiB; at most two are live at once.
    const chain = model([
      { opType: 'Tile', name: 't', input: ['x', 'r'], output: ['a'] },
      { opType: 'Relu', name: 'r1', input: ['a'], output: ['b'] },
      { opType: 'Relu', name: 'r2', input: ['b'], output: ['c'] },
      { opType: 'Relu', name: 'r3', input: ['c'], output: ['y'] },
    ], { inputs: [vi('x', [16384]), vi('r', [1], 7)], outputs: [vi('y', ['?'])] });
    const g = importOnnx(chain);
    const feeds = { x: Tensor.fromArray('float32', [16384], new Array(16384).fill(-1)), r: Tensor.fromArray('int64', [1], [4]) };
    const tensor = 4 * 16384 * 4;
    expect(() => runGraph(g, feeds, { limits: { ...DEFAULT_LIMITS, maxTotalBytes: 2 * tensor } })).not.toThrow();
    let e: unknown;
    try { runGraph(g, feeds, { limits: { ...DEFAULT_LIMITS, maxTotalBytes: 2 * tensor - 1 } }); } catch (x) { e = x; }
    expect((e as LayercError).code).toBe('LC085');
    expect((e as LayercError).message).toMatch(/node 'r1' \(Relu\) needs 262144 bytes while the run already holds 262144/);
    expect((e as LayercError).message).toContain('LAYERC_MAX_TOTAL_BYTES');
  });

  it('the default total is a sixteenth of the machine, clamped to [512 MiB, 16 GiB]', () => {
    expect(machineTotalBytes(2 ** 34)).toBe(2 ** 30);
    expect(machineTotalBytes(2 ** 30)).toBe(2 ** 29);
    expect(machineTotalBytes(2 ** 40)).toBe(2 ** 34);
  });

  it('in a fresh process with the default limits: every reproducer ends in its code within seconds, peak RSS well under 2 GB', () => {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/robustness/helpers/measure-crafted.ts', 'reference', 'js'], { encoding: 'utf8', timeout: 60_000 });
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const rss = lines.pop().maxRssMb;
    expect(lines.length).toBe(2 * craftedRuntimeSizes().length);
    for (const l of lines) {
      expect(l.code, `${l.name} [${l.backend}]`).toBe(l.expected);
      expect(l.ms, `${l.name} [${l.backend}]`).toBeLessThan(5000);
    }
    expect(rss).toBeLessThan(700);
    expect(Date.now() - t0).toBeLessThan(30_000);
  }, 60_000);
});
