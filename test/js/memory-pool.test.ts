// The js backend's memory pool (runtime/js/memory-pool.ts): a program compiled into the memory a disposed
// program left behind (dirty: the old weights and activations, or bytes that read as NaN) computes bit for bit
// what the same program computes in a fresh memory; a taken memory is all zero; a disposed model refuses to run
// (its memory is someone else's now); the pool is bounded and can be emptied.
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildCase, compileJsLowered, graphCase } from './graphs.ts';
import { MAX_PAGES, pooledMemoryBytes, releasePooledMemory, returnMemory, takeMemory } from '../../runtime/js/memory-pool.ts';
import type { Tensor } from '../../src/ir/tensor.ts';
import { WorkerPool } from '../../runtime/js/worker-pool.ts';

afterEach(() => { releasePooledMemory(); });

/** A memory of `pages` pages whose every byte is 0xff (a float32 NaN everywhere). */
function poisoned(pages: number, shared: boolean, maximum = pages): WebAssembly.Memory {
  const m = new WebAssembly.Memory({ initial: pages, maximum, shared } as WebAssembly.MemoryDescriptor);
  new Uint8Array(m.buffer).fill(0xff);
  return m;
}

const outputsOf = async (graph: Parameters<typeof compileJsLowered>[0], feeds: Record<string, Tensor>, threads: number, winogradTile?: 2 | 4) => {
  const m = await compileJsLowered(graph, { threads, winogradTile });
  try { return Object.fromEntries(Object.entries(await m.run(feeds)).map(([k, t]) => [k, Array.from(t.data)])); } finally { await m.dispose(); }
};

describe('memory pool', () => {
  it('takeMemory zeroes a reused memory and grows an unshared one that is too small', () => {
    returnMemory(poisoned(3, false), false);
    const m = takeMemory(2, false);
    expect(m.buffer.byteLength).toBe(3 * 65536);
    expect(new Uint8Array(m.buffer, 0, 2 * 65536).every((b) => b === 0)).toBe(true);
    expect(pooledMemoryBytes()).toBe(0);
    returnMemory(poisoned(1, false, MAX_PAGES), false);
    const g = takeMemory(4, false);
    expect(g.buffer.byteLength).toBe(4 * 65536);
    expect(new Uint8Array(g.buffer).every((b) => b === 0)).toBe(true);
    returnMemory(poisoned(1, false), false); // cannot grow (its maximum is 1 page): stays pooled, a new one is made
    expect(takeMemory(2, false).buffer.byteLength).toBe(2 * 65536);
    expect(pooledMemoryBytes()).toBe(65536);
    releasePooledMemory();
    returnMemory(poisoned(2, true), true); // a shared memory is never handed to an unshared program, nor grown
    expect(takeMemory(1, false).buffer.byteLength).toBe(65536);
    expect(takeMemory(3, true).buffer.byteLength).toBe(3 * 65536);
    const s = takeMemory(1, true);
    expect(s.buffer.byteLength).toBe(2 * 65536);
    expect(new Uint8Array(s.buffer, 0, 65536).every((b) => b === 0)).toBe(true);
  });

  it('a program in a reused (poisoned or dirty) memory equals the same program in a fresh memory, bit for bit', async () => {
    // tile: Winograd forced on every 3x3 stride-1 conv (its transformed weights are written, not zeroed, first).
    await fc.assert(fc.asyncProperty(graphCase, graphCase, fc.constantFrom(1, 2), fc.constantFrom(undefined, 2, 4), async (a, b, threads, tile) => {
      const A = buildCase(a), B = buildCase(b);
      releasePooledMemory();
      const fresh = await outputsOf(B.graph, B.feeds, threads, tile);
      // Dirty: A's weights and activations are left in the memory B gets (when B fits in it).
      releasePooledMemory();
      await outputsOf(A.graph, A.feeds, threads, tile);
      expect(await outputsOf(B.graph, B.feeds, threads, tile)).toEqual(fresh);
      // Poisoned: every byte 0xff, larger than B needs.
      releasePooledMemory();
      returnMemory(poisoned(64, threads > 1), threads > 1);
      expect(await outputsOf(B.graph, B.feeds, threads, tile)).toEqual(fresh);
      expect(pooledMemoryBytes()).toBe(64 * 65536); // B took the poisoned memory and gave it back on dispose
    }), { numRuns: 12, seed: 1807 });
  }, 60_000);

  it('takeMemory leaves the ranges the caller overwrites as they were and zeroes the rest', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.nat(3 * 65536), { minLength: 0, maxLength: 8 }), (cuts) => {
      const sorted = [...cuts].sort((x, y) => x - y), ranges: [number, number][] = [];
      for (let i = 0; i + 1 < sorted.length; i += 2) ranges.push([sorted[i]!, sorted[i + 1]!]);
      returnMemory(poisoned(3, false), false);
      const bytes = new Uint8Array(takeMemory(3, false, ranges).buffer);
      const inRange = (i: number) => ranges.some(([s, e]) => i >= s && i < e);
      for (let i = 0; i < bytes.length; i += 997) expect(bytes[i]).toBe(inRange(i) ? 0xff : 0);
      for (const [s, e] of ranges) { if (s > 0) expect(bytes[s - 1]).toBe(inRange(s - 1) ? 0xff : 0); if (e > s) expect(bytes[e - 1]).toBe(0xff); if (e < bytes.length) expect(bytes[e]).toBe(inRange(e) ? 0xff : 0); }
      releasePooledMemory();
    }), { numRuns: 20, seed: 1810 });
  });

  it('with a shared WorkerPool, a 2-thread program reusing the memory of one just disposed computes what it computes fresh', async () => {
    // WorkerPool.release waits until every worker has left the old program's loop (8343087): a worker that had
    // not yet read the exit word would read the next program's zeroed one and run the old phases on the new memory.
    const [A, B] = fc.sample(graphCase, { seed: 1812, numRuns: 2 }).map(buildCase);
    const pool = new WorkerPool();
    try {
      const once = async (c: typeof A) => {
        const m = await compileJsLowered(c!.graph, { threads: 2, workers: pool });
        try { return Object.fromEntries(Object.entries(await m.run(c!.feeds)).map(([k, t]) => [k, Array.from(t.data)])); } finally { await m.dispose(); }
      };
      const fresh = await once(B);
      for (let i = 0; i < 20; i++) { await once(A); expect(await once(B)).toEqual(fresh); }
      expect(pool.started).toBe(1);
    } finally { await pool.close(); }
  }, 60_000);

  it('a disposed model refuses to run (LC075) and dispose twice is harmless', async () => {
    const { graph, feeds } = buildCase(fc.sample(graphCase, { seed: 3, numRuns: 1 })[0]!);
    const m = await compileJsLowered(graph, { threads: 1 });
    await m.run(feeds);
    await m.dispose();
    await m.dispose();
    await expect(m.run(feeds)).rejects.toMatchObject({ code: 'LC075' });
  });

  it('keeps at most POOL_MAX_BYTES, dropping the oldest; releasePooledMemory empties it', () => {
    const big = () => new WebAssembly.Memory({ initial: 4096, maximum: 4096 }); // 256 MiB, never touched
    for (let i = 0; i < 5; i++) returnMemory(big(), false);
    expect(pooledMemoryBytes()).toBe(4 * 4096 * 65536); // 1 GiB: the fifth pushed the first out
    expect(releasePooledMemory()).toBe(4 * 4096 * 65536);
    expect(pooledMemoryBytes()).toBe(0);
  });
});
