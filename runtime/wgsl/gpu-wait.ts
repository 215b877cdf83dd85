// Waiting for the GPU without spinning a CPU core. Dawn in Node (npm `webgpu`) settles mapAsync and the other
// GPU promises by polling: while one is pending it re-queues a setImmediate that processes Dawn's events, so
// the event loop never sleeps and the main thread burns a core for as long as the GPU works. On a CPU adapter
// (lavapipe) that work runs on other threads of the same CPU — mostly LLVM building each new pipeline at its
// first dispatch — and the spin doubled the CPU cost of a model's first run (test/props/profile-fuzz.ts).
// `settle` lets the event loop nap between Dawn's polls while any wait is pending: one Atomics.wait per loop
// iteration, a quarter of the time waited so far and at most 1 ms, so a short wait still polls at once and a
// wait ends at most ~1/4 (and 1 ms) later than it would have. Browsers (no setImmediate; their main thread must
// not block) just await.
const NAP_MAX_MS = 1;

let pending = 0, since = 0, napping = false;
const cell = typeof SharedArrayBuffer === 'function' ? new Int32Array(new SharedArrayBuffer(4)) : null;
const canNap = cell !== null && typeof setImmediate === 'function' && typeof (globalThis as { process?: unknown }).process === 'object';

function nap(): void {
  if (pending === 0) { napping = false; return; }
  Atomics.wait(cell!, 0, 0, Math.min(NAP_MAX_MS, (performance.now() - since) / 4));
  setImmediate(nap);
}

/** Awaits a GPU promise (mapAsync, onSubmittedWorkDone, ...), napping between Dawn's polls in Node. */
export async function settle<T>(gpuPromise: Promise<T>): Promise<T> {
  if (!canNap) return gpuPromise;
  if (pending++ === 0) since = performance.now();
  if (!napping) { napping = true; setImmediate(nap); }
  try { return await gpuPromise; } finally { pending--; }
}
