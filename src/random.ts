// The one seeded generator of layerc (mulberry32): weight init, data shuffling, dropout masks and test data
// all draw from it, so a seed means the same bits everywhere. Self-contained on purpose: the JS backend
// inlines its source (`mulberry32.toString()`) into generated kernels to reproduce the reference's masks.

/** A generator of uniform floats in [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
