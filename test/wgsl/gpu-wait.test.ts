// settle (runtime/wgsl/gpu-wait.ts): a GPU wait in Node naps between Dawn's polls instead of spinning the main
// thread. It must hand back exactly what the GPU promise gives (value or error), and while a long kernel runs the
// event loop must mostly sleep: with Dawn's own polling alone it turns without pause for the whole wait (an
// iteration every few microseconds), with naps about once a millisecond. Counting the event loop's turns
// (a setImmediate probe) measures that on a loaded machine too, where the CPU time of a spinning thread is
// whatever share of a core it gets.
import { describe, expect, it } from 'vitest';
import { settle } from '../../runtime/wgsl/gpu-wait.ts';
import { runKernel } from '../../runtime/wgsl/run-kernel.ts';
import { hasAdapter, useDevice } from './gpu.ts';

/** Counts the event loop's turns until stopped. */
function loopTurns(): () => number {
  let turns = 0, on = true;
  const tick = () => { if (on) { turns++; setImmediate(tick); } };
  setImmediate(tick);
  return () => { on = false; return turns; };
}

describe('settle', () => {
  it('resolves with the promise value and rejects with its error', async () => {
    await expect(settle(Promise.resolve(42))).resolves.toBe(42);
    await expect(settle(Promise.reject(new Error('lost device')))).rejects.toThrow('lost device');
    const slow = await Promise.all([settle(new Promise((r) => setTimeout(() => r('a'), 30))), settle(Promise.resolve('b'))]);
    expect(slow).toEqual(['a', 'b']);
  });
});

const K = 3_000_000;
// Every invocation runs the same u32 LCG for K steps (nothing to fold away) and writes its top 24 bits.
const LCG = `
@group(0) @binding(0) var<storage, read> seed: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  var x = u32(seed[0]);
  for (var i = 0u; i < ${K}u; i++) { x = x * 1664525u + 1013904223u; }
  out[id.x] = f32(x >> 8u);
}`;

describe.skipIf(!hasAdapter)('settle on a long GPU wait', () => {
  const device = useDevice();
  it('returns the kernel result while the event loop mostly sleeps', async () => {
    let x = 7;
    for (let i = 0; i < K; i++) x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const t0 = performance.now(), stop = loopTurns();
    const got = await runKernel(device(), LCG, [4], [Float32Array.of(7)], 256);
    const wall = performance.now() - t0, turns = stop();
    expect([...got]).toEqual(new Array(256).fill(x >>> 8));
    expect(wall).toBeGreaterThan(100); // long enough for the CPU figure to mean something
    // Naps of a quarter of the time waited, at most 1 ms: ~30 turns to reach 1 ms, then about one a millisecond.
    expect(turns).toBeLessThan(wall + 100);
  });
});
