// What a JS-backend kernel is. A kernel is built in two steps because memory layout depends on it:
//   1. build(node) says how much per-thread scratch and which extra constants (packed weights, folded
//      scales) it needs; the planner and the weights layout take those into account;
//   2. emit(ctx) gets every address (bytes in the one WebAssembly.Memory) and returns phases: JS source
//      bodies run by every thread as `(F, W, tid, nt)` (F: Float32Array over the memory, W: the wasm
//      exports), separated by barriers, plus the wasm functions the phases call.
// A phase with `ref` runs the node's reference implementation on thread 0 (the per-node fallback).
import type { Node, Value } from '../../src/ir/graph.ts';
import { byteSourceOf, rowScaledOf, Tensor, type ByteSource } from '../../src/ir/tensor.ts';
import type { Code, WasmFunction } from './wasm/encode.ts';
import { lcError } from '../../src/diagnostics.ts';

export interface Phase { js?: string; ref?: Node }

export interface Emitted { phases: Phase[]; wasm?: WasmFunction[] }

export interface EmitContext {
  /** Byte address of a value (activation in the arena, or float32 constant in the weights region). */
  at(v: Value | null | undefined): number;
  /** Byte address of thread 0's scratch; thread t's starts `scratchBytes` later per thread. */
  scratch: number;
  /** Byte address of the shared scratch region (sharedScratchBytes). */
  sharedScratch: number;
  /** Byte addresses of the kernel's extra constants, in the order build() listed them. */
  consts: number[];
  threads: number;
  /** A module-unique export name for a wasm function. */
  wasmName(base: string): string;
  /**
   * emit(params), generated once per program for equal params (compared as JSON, with -0 and non-finite numbers
   * told apart): layers of one shape share the body (the program emits identical bodies once anyway).
   */
  code<P>(emit: (params: P) => Code, params: P): Code;
}

/**
 * A constant computed straight into its place in the program's memory when the program is instantiated (packed
 * or transformed weights): the only copy is the one the kernels read, so there is no intermediate array to fill,
 * copy and collect (fresh pages are most of the cost of getting a large model ready). `write` gets a zeroed
 * view of exactly `length` floats (not zeroed when it declares `writesAll`: a reused memory, ./memory-pool.ts).
 */
export interface ConstWriter {
  length: number; write(into: Float32Array, ctx?: WriteContext): void;
  /** write() stores every one of the `length` floats (padding included), so a reused memory need not be zeroed there first. */
  writesAll?: boolean;
}

/** Whether writing `data` sets every float of its place (a reused memory is zeroed elsewhere only: ./memory-pool.ts). */
export const writesAll = (data: KernelConst) => data instanceof Float32Array || !!data.writesAll;

export type KernelConst = Float32Array | ConstWriter;

/**
 * A float32 weight as its packer reads it, one row per output channel: a rowScaled tensor not computed yet
 * (fold-batchnorm's folded conv weights) as its source and per-row scale, so the packer multiplies while it copies
 * (source[i] * scale[row] rounded once: the folded tensor's values, bit for bit) and the folded array is never
 * written; anything else as its data. Call it when writing, not when building: the recipe is gone once read.
 */
export function weightRows(w: Tensor | Float32Array): { data: Float32Array; scale?: ArrayLike<number>; bytes?: ByteSource } {
  if (!(w instanceof Tensor)) return { data: w };
  const r = rowScaledOf(w), src = r ? r.source : w;
  if (!(src instanceof Tensor)) return { data: src, scale: r?.scale };
  // bytes: the source still in its file (src/ir/tensor.ts float32From), for a packer that reads it straight into memory
  return { get data() { return src.data as Float32Array; }, scale: r?.scale, bytes: byteSourceOf(src) };
}

/**
 * Where `into` lies when a program is instantiated (absent when the weights go to a file): a writer may run wasm on
 * the memory and use `scratch` (the arena, free before the first run; it sets `dirty` and the caller zeroes it after).
 */
export interface WriteContext { memory: WebAssembly.Memory; shared: boolean; at: number; scratch: number; scratchBytes: number; dirty: boolean }

/** Writes a kernel constant into `into` (a view of its place in memory, `length` floats). */
export function writeConst(data: KernelConst, into: Float32Array, ctx?: WriteContext): void {
  if (data instanceof Float32Array) into.set(data);
  else data.write(into, ctx);
}

export interface KernelBuild {
  /** Short description for `--verbose` logs and compile output comments. */
  kind: string;
  /** Scratch bytes per thread (or in all, with scratchShared). */
  scratchBytes?: number;
  /** The threads fill and read one scratch together (split work on one buffer). */
  scratchShared?: boolean;
  /** Bytes of one more scratch region shared by all threads (e.g. weights packed per run). */
  sharedScratchBytes?: number;
  consts?: KernelConst[];
  emit(ctx: EmitContext): Emitted;
}

export interface BuildOptions {
  threads: number; training: boolean; simd: boolean;
  /** false: every fused epilogue step runs in the JS tail pass (runtime/js/epilogue.ts), the path an
   *  activation without a SIMD form takes; tests use it to check that path (default true). */
  simdEpilogue?: boolean;
  /** false: 3x3 stride-1 convs take the direct kernel, never Winograd (./kernels/winograd.ts; default true). */
  winograd?: boolean;
  /** Force tile size 2 or 4 wherever Winograd applies (F(m x m, r x r)), instead of the cost model's choice (tests). */
  winogradTile?: 2 | 4;
  /** Force the small-map Winograd kernel (tiles as GEMM rows, ./kernels/winograd-small.ts) on or off (tests). */
  winogradSmall?: boolean;
  /** false: stride-2 convs never take Winograd by phase split (./kernels/winograd-phase.ts; default true). */
  winogradPhase?: boolean;
  /** 'nchw': every activation stays NCHW; 'auto' (default): the layout pass (./layout.ts) picks NCHWc4 regions. */
  layout?: 'auto' | 'nchw';
  /** false: every Concat copies its inputs (runtime/plan.ts places a batch-1 channel Concat's inputs in its output; default true). */
  concatInPlace?: boolean;
}

/** Returns null when the node is not one this kernel handles (the caller tries the next or falls back). */
export type KernelFactory = (node: Node, opts: BuildOptions) => KernelBuild | null;

export function staticShape(v: Value | null | undefined): number[] {
  const s = v?.type.shape;
  if (!s || s.some((d) => typeof d !== 'number')) {
    throw lcError('LC075', ['js', `value ${v?.name ?? '?'}`, 'shapes must be static (give the inputs fixed sizes)'], { node: v?.producer?.name, op: v?.producer?.op });
  }
  return s as number[];
}

export const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export { lit } from '../../src/ops/js-expr.ts';

/** Generated-code helper: this thread's share [lo, hi) of n items. */
export function split(n: number | string, lo = 'lo', hi = 'hi'): string {
  return `const ${lo} = Math.floor(${n} * tid / nt), ${hi} = Math.floor(${n} * (tid + 1) / nt);`;
}
