// Runs a Program: one WebAssembly.Memory (shared when threads > 1) holding weights and the arena, the
// wasm kernels instantiated on it, and the phase functions built from the program's JS source. With
// threads > 1, workers (./worker-source.ts, borrowed from a ./worker-pool.ts pool: the caller's, or a private
// one) run the same phases on their share of the work; the main thread is thread 0 and runs the reference
// fallbacks. A barrier separates phases.
import { Tensor } from '../../src/ir/tensor.ts';
import { evaluateNode } from '../../src/ir/budget.ts';
import { dropoutStream } from '../../src/random.ts';
import { allocArray, type DType, type TypedArray } from '../../src/ir/dtype.ts';
import { lcError } from '../../src/diagnostics.ts';
import type { CompiledModel } from '../backend.ts';
import type { Program } from './program.ts';
import { writeConst, writesAll, type WriteContext } from './kernel.ts';
import { barrierJs } from './worker-source.ts';
import { WorkerPool } from './worker-pool.ts';
import { returnMemory, takeMemory } from './memory-pool.ts';

type PhaseFn = (F: Float32Array, W: Record<string, Function>, tid: number, nt: number) => void;

// Control words (Int32 indices) at the start of memory.
export const CTL = { go: 0, arrive: 1, gen: 2, error: 4, exit: 5 } as const;

function view(buf: ArrayBufferLike, dtype: DType | string, offset: number, n: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(buf, offset, n);
    case 'float64': case 'int64': return new Float64Array(buf, offset, n);
    case 'int32': return new Int32Array(buf, offset, n);
    case 'int8': return new Int8Array(buf, offset, n);
    default: return new Uint8Array(buf, offset, n);
  }
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export interface ExecOptions {
  training?: boolean;
  seed?: number;
  /** Accumulates milliseconds per phase index (main thread's view, barrier included). */
  profile?: Float64Array;
  /** Borrow the worker threads from this pool (default: a private pool, closed by dispose). */
  workers?: WorkerPool;
}

export async function runProgram(p: Program, opts: ExecOptions = {}): Promise<CompiledModel> {
  const threads = p.threads;
  // A disposed program's memory when one fits (./memory-pool.ts: its pages are warm), zeroed; else a new one.
  const memory = takeMemory(p.memoryBytes / 65536, threads > 1, p.weights.filter((w) => writesAll(w.data)).map((w) => [w.offset, w.offset + w.data.length * 4] as const));
  const buf = memory.buffer;
  const F = new Float32Array(buf);
  // The arena is free until the first run: writers may stage in it (then it is zeroed again, as a fresh memory's).
  const ctx: WriteContext = { memory, shared: threads > 1, at: 0, scratch: p.arena, scratchBytes: p.plan.peakBytes, dirty: false };
  for (const w of p.weights) { ctx.at = w.offset; writeConst(w.data, F.subarray(w.offset / 4, w.offset / 4 + w.data.length), ctx); }
  if (ctx.dirty) F.fill(0, p.arena / 4, (p.arena + p.plan.peakBytes) / 4);
  const module = await WebAssembly.compile(p.wasm as BufferSource);
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const W = instance.exports as Record<string, Function>;
  const phases = new Function(p.source)() as (PhaseFn | number)[];
  const I32 = new Int32Array(buf, 0, 16);
  const random = dropoutStream(opts.seed);

  // The per-node fallback: inputs read from memory (or the graph's constants), outputs written back.
  const runRef = (i: number) => {
    const node = p.refs[i]!;
    const inputs = node.inputs.map((v) => {
      if (!v) return null;
      if (v.const) return v.const;
      const s = p.plan.slots.get(v.name)!;
      const shape = v.type.shape as number[];
      const src = view(buf, v.type.dtype, p.arena + s.offset, size(shape));
      const data = allocArray(v.type.dtype, src.length);
      data.set(src as never);
      return new Tensor(v.type.dtype, shape, data);
    });
    const outs = evaluateNode(node, inputs, { training: opts.training, random });
    node.outputs.forEach((o, k) => {
      const s = p.plan.slots.get(o.name);
      const t = outs[k];
      if (!s || !t) return;
      view(buf, o.type.dtype, p.arena + s.offset, t.size).set(t.data as never);
    });
  };

  const pool = threads > 1 ? opts.workers ?? new WorkerPool() : undefined;
  const workers = pool ? await pool.acquire(threads - 1, { memory, module, source: p.source, nt: threads }) : [];
  const barrier = threads > 1 ? (new Function('I32', 'nt', `${barrierJs}\nreturn barrier;`)(I32, threads) as () => void) : () => {};
  let disposed = false; // the memory belongs to the pool then (another program may be using it)

  return {
    info: { kernels: p.kernels.filter((k) => k.kind !== 'reference' && k.kind !== 'view' && k.kind !== 'concat in place').length, fallbacks: p.refs.length,
      ...(p.refs.length ? { fallbackOps: [...new Set(p.refs.map((n) => n.op))].join(', ') } : {}), arenaBytes: p.plan.peakBytes,
      lowerBoundBytes: p.plan.lowerBound, memoryBytes: p.memoryBytes, threads },
    async run(feeds) {
      if (disposed) throw lcError('LC075', ['js', 'this model', 'it was disposed (its memory is reused; compile it again)']);
      for (const io of p.inputs) {
        const t = feeds[io.name];
        if (!t) throw lcError('LC036', [io.name, 'no value was given for this graph input']);
        if (t.size !== size(io.shape)) throw lcError('LC032', [`input '${io.name}' expects shape [${io.shape.join(', ')}], got [${t.shape.join(', ')}]`]);
        view(buf, io.dtype, io.offset, t.size).set(t.data as never);
      }
      if (threads > 1) { Atomics.store(I32, CTL.error, 0); Atomics.add(I32, CTL.go, 1); Atomics.notify(I32, CTL.go); }
      let failure: unknown = null;
      const prof = opts.profile;
      for (let i = 0; i < phases.length; i++) {
        const ph = phases[i]!;
        const t0 = prof ? performance.now() : 0;
        if (failure === null) {
          try {
            if (typeof ph === 'number') runRef(ph);
            else ph(F, W, 0, threads);
          } catch (e) { failure = e; }
        }
        barrier();
        if (prof) prof[i] += performance.now() - t0;
      }
      if (failure !== null) throw failure;
      if (threads > 1 && Atomics.load(I32, CTL.error)) throw lcError('LC077', ['a worker thread threw while running a kernel (see stderr)']);
      const out: Record<string, Tensor> = {};
      for (const io of p.outputs) {
        const data = allocArray(io.dtype as DType, size(io.shape));
        data.set(view(buf, io.dtype, io.offset, data.length) as never);
        out[io.name] = new Tensor(io.dtype as DType, io.shape, data);
      }
      for (const [name, v] of p.constOutputs) out[name] = v.const!;
      return out;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      if (workers.length) {
        Atomics.store(I32, CTL.exit, 1);
        Atomics.add(I32, CTL.go, 1);
        Atomics.notify(I32, CTL.go);
        await pool!.release(workers.splice(0));
        if (pool !== opts.workers) await pool!.close();
      }
      returnMemory(memory, threads > 1); // after the workers left it
    },
  };
}
