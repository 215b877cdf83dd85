// Memories of disposed js programs, kept for the next program the process compiles. A program's one
// WebAssembly.Memory holds its weights (packed, Winograd-transformed: ~100 MB for ResNet-18) and its arena, and the
// first write to each fresh page is a page fault (~13 µs per 4 KiB on the VM the benches run on: most of getting a
// large model ready). A memory that `dispose()` returns here is zeroed and handed to the next program that fits,
// so compiling again in a long-lived process (a server reloading a model, a test suite, a notebook) writes into
// pages it has touched already. This is what onnxruntime's arena and malloc do for its sessions and TensorFlow.js's
// backends for disposed tensors: automatic, with a bound (POOL_MAX_BYTES; the oldest go first) and
// `releasePooledMemory()` to hand everything back at once (after the last model, before a fork, ...).
// A taken memory may be larger than asked (the smallest that fits) or, unshared, grown to the size asked;
// modules declare MAX_PAGES as their memory's maximum so that either imports.

/** The maximum every program's module declares (4 GiB: the wasm32 limit), so a larger pooled memory fits. */
export const MAX_PAGES = 65536;
/** Bytes kept in the pool at most; the oldest memory is dropped first. */
export const POOL_MAX_BYTES = 1 << 30;

const pooled: { memory: WebAssembly.Memory; shared: boolean }[] = [];

const bytesOf = (m: WebAssembly.Memory) => m.buffer.byteLength;

/**
 * A memory of at least `pages` pages, all zero except in `overwritten` (sorted, disjoint [start, end) byte ranges the
 * caller fills completely before anything reads them: zeroing them first would write those pages twice): a pooled
 * one when one fits (the smallest; an unshared one smaller than asked is grown), else a new one.
 */
export function takeMemory(pages: number, shared: boolean, overwritten: readonly (readonly [number, number])[] = []): WebAssembly.Memory {
  const need = pages * 65536;
  let best = -1;
  for (let i = 0; i < pooled.length; i++) {
    const p = pooled[i]!;
    if (p.shared !== shared || bytesOf(p.memory) < need) continue;
    if (best < 0 || bytesOf(p.memory) < bytesOf(pooled[best]!.memory)) best = i;
  }
  if (best < 0 && !shared) best = pooled.findIndex((p) => !p.shared); // grow an unshared one: its pages are warm
  if (best < 0) return new WebAssembly.Memory({ initial: pages, maximum: shared ? pages : MAX_PAGES, shared } as WebAssembly.MemoryDescriptor);
  const { memory } = pooled.splice(best, 1)[0]!;
  const had = bytesOf(memory);
  if (had < need) {
    try { memory.grow(pages - had / 65536); } catch { // its own maximum is lower (not one of ours): keep it, make a new one
      pooled.push({ memory, shared });
      return new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES });
    }
  } // the grown pages are zero already
  const bytes = new Uint8Array(memory.buffer), end = Math.min(had, need);
  let at = 0;
  for (const [a, b] of overwritten) { if (a > at) bytes.fill(0, at, Math.min(a, end)); at = Math.max(at, b); }
  if (at < end) bytes.fill(0, at, end);
  return memory;
}

/** Keeps a disposed program's memory for the next program (the caller never touches it again). */
export function returnMemory(memory: WebAssembly.Memory, shared: boolean): void {
  pooled.push({ memory, shared });
  let total = pooled.reduce((s, p) => s + bytesOf(p.memory), 0);
  while (total > POOL_MAX_BYTES && pooled.length) total -= bytesOf(pooled.shift()!.memory);
}

/** Drops every pooled memory (the garbage collector frees them); returns the bytes dropped. */
export function releasePooledMemory(): number {
  const total = pooled.reduce((s, p) => s + bytesOf(p.memory), 0);
  pooled.length = 0;
  return total;
}

/** Bytes held by the pool now. */
export function pooledMemoryBytes(): number { return pooled.reduce((s, p) => s + bytesOf(p.memory), 0); }
