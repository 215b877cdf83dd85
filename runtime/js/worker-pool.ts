// Worker threads for the js backend's programs, kept between programs. Starting a Node worker (a new V8
// isolate) costs tens of milliseconds, more than compiling and running most small programs, so a caller that
// compiles many programs (the backend differential campaign, a test suite) creates one pool and passes it to
// every compile (`compileJs(g, { threads: 2, workers: pool })`): the workers start once.
// A program borrows threads - 1 idle workers for its lifetime (the pool starts more when programs alive at the
// same time need more). Each borrowed worker is sent the program's own shared memory (sized and filled by that
// program), wasm module and phase source, and instantiates them afresh, so nothing of one program survives into
// the next; the program's dispose sets its exit word, which ends the worker's run loop, and hands the workers
// back. A worker that dies is dropped. Without a pool, a program uses a private one closed by its dispose.
import type { Worker } from 'node:worker_threads';
import { lcError } from '../../src/diagnostics.ts';
import { nodeBuiltin } from '../../src/node-builtin.ts';
import { WORKER_SOURCE } from './worker-source.ts';

/** What a borrowed worker runs: the program's memory, module and phases, as thread `tid` of `nt`. */
export interface WorkerJob { memory: WebAssembly.Memory; module: WebAssembly.Module; source: string; nt: number }

export class WorkerPool {
  private idle: Worker[] = [];
  private closed = false;
  private count = 0;

  /** Workers started so far (tests and benches check the reuse with it). */
  get started(): number { return this.count; }

  /** `n` workers running `job` as threads 1..n, once each has instantiated it. */
  async acquire(n: number, job: WorkerJob): Promise<Worker[]> {
    if (this.closed) throw lcError('LC077', ['the worker pool was closed']);
    const workers = Array.from({ length: n }, () => this.idle.pop() ?? this.start(job.nt));
    try {
      await Promise.all(workers.map((w, i) => new Promise<void>((res, rej) => {
        const done = (e?: unknown) => { w.off('message', ok); w.off('error', done); w.off('exit', done); if (e === undefined) res(); else rej(lcError('LC077', [String(e)])); };
        const ok = () => done();
        w.once('message', ok);
        w.once('error', done);
        w.once('exit', done);
        w.postMessage({ ...job, tid: i + 1 });
      })));
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return workers;
  }

  /**
   * Takes back workers whose program has set its exit word, once each has left that program's run loop (its
   * 'left' message): until then a worker that has not woken yet still reads the program's memory, which the caller
   * hands on (runtime/js/memory-pool.ts zeroes it for the next program: a stale worker would then miss its exit
   * word and run the old phases against the new program's barriers — the campaign hung on that).
   */
  release(workers: Worker[]): Promise<unknown> {
    if (this.closed) return Promise.all(workers.map((w) => w.terminate()));
    return Promise.all(workers.map((w) => new Promise<void>((res) => {
      const done = (left: boolean) => {
        w.off('message', onLeft); w.off('exit', onGone); w.off('error', onGone);
        if (!left) return res();
        if (this.closed) void w.terminate(); else this.idle.push(w);
        res();
      };
      const onLeft = () => done(true), onGone = () => done(false);
      w.once('message', onLeft);
      w.once('exit', onGone);
      w.once('error', onGone);
    })));
  }

  /** Ends the idle workers; workers still borrowed end when their program is disposed. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.idle.splice(0).map((w) => w.terminate()));
  }

  private start(nt: number): Worker {
    const Worker = nodeBuiltin?.('node:worker_threads').Worker;
    if (!Worker) throw lcError('LC075', ['js', `${nt} threads`, 'in-process worker threads need Node.js (in a browser use threads: 1, or a module from `layerc compile --target js --threads N`)']);
    // execArgv: []: the worker is plain CommonJS-style JS and needs none of the parent's loaders or flags.
    const w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
    this.count++;
    w.unref();
    w.on('exit', () => { const i = this.idle.indexOf(w); if (i >= 0) this.idle.splice(i, 1); });
    return w;
  }
}
