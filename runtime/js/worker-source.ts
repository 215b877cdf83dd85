// The worker thread's program, kept as plain JS source (eval'd by worker_threads) so it runs the same
// under tsx, vitest and a compiled module, with no TypeScript loader in the worker. Per job message
// ({ memory, module, source, tid, nt }) a worker instantiates the shared wasm module on the shared memory,
// builds the phase functions from the program source, answers 'ready' and waits for the main thread to bump
// the `go` word; it then runs every phase for its thread id, meeting the others at a barrier after each one.
// Fallback phases (numbers) run on thread 0 only. The exit word ends the job; a Node worker then waits for
// the next job (./worker-pool.ts keeps workers between programs).
// In a browser (BROWSER_WORKER_SOURCE, Web Workers) the page's main thread may not block in Atomics.wait, so
// it does not take part: workers 0..nt-1 run every phase and worker 0 posts 'done' after the last barrier.

/**
 * A sense-counting barrier over Int32 control words 1 (arrivals) and 2 (generation): spin, then sleep. The
 * spin budget adapts (as adaptive mutexes do): it doubles when spinning was enough and halves when the thread
 * had to sleep anyway, so on an idle machine phases hand over in microseconds (~0.5 ms of spin at most) while
 * on an oversubscribed one a waiting thread soon stops burning the time slice the late thread needs.
 */
export const barrierJs = `let spinBudget = 200000;
function barrier() {
  const g = Atomics.load(I32, 2);
  if (Atomics.add(I32, 1, 1) === nt - 1) {
    Atomics.store(I32, 1, 0);
    Atomics.add(I32, 2, 1);
    Atomics.notify(I32, 2);
    return;
  }
  let spin = 0;
  while (Atomics.load(I32, 2) === g && spin < spinBudget) spin++;
  if (Atomics.load(I32, 2) === g) {
    spinBudget = Math.max(500, spinBudget >> 1);
    while (Atomics.load(I32, 2) === g) Atomics.wait(I32, 2, g, 1);
  } else if (spin < spinBudget >> 1) spinBudget = Math.min(200000, spinBudget * 2);
}`;

/** The worker's loop, given memory, module, source, tid, nt and post(message); `onRun` runs after each run. */
const workerLoop = (onRun: string) => `
const instance = new WebAssembly.Instance(module, { env: { memory } });
const W = instance.exports;
const F = new Float32Array(memory.buffer);
const I32 = new Int32Array(memory.buffer, 0, 16);
const phases = new Function(source)();
${barrierJs}
let go = Atomics.load(I32, 0);
post('ready');
for (;;) {
  Atomics.wait(I32, 0, go);
  go = Atomics.load(I32, 0);
  if (Atomics.load(I32, 5)) break;
  for (const ph of phases) {
    if (typeof ph === 'function') {
      try { ph(F, W, tid, nt); } catch (e) { Atomics.store(I32, 4, 1); console.error('layerc js worker', tid, e); }
    }
    barrier();
  }
  ${onRun}
}`;

export const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const post = (m) => parentPort.postMessage(m);
parentPort.on('message', ({ memory, module, source, tid, nt }) => {
  ${workerLoop('').replace(/\n/g, '\n  ')}
  post('left');
});
`;

export const BROWSER_WORKER_SOURCE = `
self.onmessage = (e) => {
  const { memory, module, source, tid, nt } = e.data;
  const post = (m) => self.postMessage(m);
  ${workerLoop("if (tid === 0) post('done');").replace(/\n/g, '\n  ')}
  self.close();
};
`;
