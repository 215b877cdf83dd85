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

/**
 * The random source of ONNX Dropout in training mode: mulberry32 from the backend's `seed` option (default 1),
 * one draw per element (kept when draw >= ratio), Dropout nodes in graph order, continuing across the runs of one
 * compiled model. The reference backend and the JS and WGSL host paths all draw from it, so masks agree bit for
 * bit (test/wgsl/onnx-dropout-rng.test.ts). The training graph's DropoutTrain uses its own counter-based masks.
 */
export function dropoutStream(seed = 1): () => number {
  return mulberry32(seed);
}
