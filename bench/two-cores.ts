// Whether the machine gives two threads two cores for coarse work: one worker runs a fixed arithmetic loop alone,
// then two workers run it at once; the ratio of the two wall times is ~1.0 when both cores are there (2.0 when the
// second thread has to share the first core). Beside bench/threads.ts it tells a noisy host from a runtime that
// fails to scale: the runtime's phases hand over in sub-millisecond steps, this loop in ~100 ms ones.
//   npx tsx bench/two-cores.ts [--pairs 30]
import { Worker } from 'node:worker_threads';
import { arg, median } from './round-robin.ts';

const PAIRS = Number(arg('pairs', '30'));
const LOOP = `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (n) => { let x = 0; for (let i = 0; i < n; i++) x = (x * 1.0000001 + i) % 1e9; parentPort.postMessage(x); });`;
const workers = [new Worker(LOOP, { eval: true }), new Worker(LOOP, { eval: true })];
const run = (ws: Worker[], n: number) => Promise.all(ws.map((w) => new Promise((done) => { w.once('message', done); w.postMessage(n); })));

await run(workers, 1e6);
const ratios: number[] = [];
for (let p = 0; p < PAIRS; p++) {
  let t = performance.now(); await run([workers[0]!], 2e7); const one = performance.now() - t;
  t = performance.now(); await run(workers, 2e7); const two = performance.now() - t;
  ratios.push(two / one);
}
ratios.sort((a, b) => a - b);
console.log(`two loops at once / one alone, ${PAIRS} pairs: median ${median(ratios).toFixed(2)}, min ${ratios[0]!.toFixed(2)}, max ${ratios.at(-1)!.toFixed(2)} (1.00: two cores; 2.00: one)`);
await Promise.all(workers.map((w) => w.terminate()));
