// The Winograd filter transform U = G g G^T of every r x r filter of a conv (3x3; 2x2 and 4x4 for the phases of
// stride-2 convs), written straight into the packed
// layout the GEMMs read (one panel set per element ξ of the alpha x alpha tile, each [ceil(M/R)][C][R], zero
// rows pad; R = MR = 4 when U is the GEMM's A, R = NR = 8 when it is its B: ./winograd-small.ts) when the
// program is instantiated (kernel.ts ConstWriter): no intermediate array. Computed in float64
// and rounded once when stored, as the error bound assumes (test/helpers/winograd-bound.ts); the sums are
// generated per transform with the matrices' zeros and ±1s folded, in the order of the dense sums (adding an
// exact zero or multiplying by one changes no bit), so the result is the dense float64 transform's, bit for bit.
// The values of a chunk of MR filters x CH channels are staged in a small array and copied out one ξ at a time:
// writing the alpha^2 streams directly (panel sets a power of two apart) thrashed the caches (~4x slower).
import { MR } from './conv.ts';
import { weightRows, type ConstWriter, type WriteContext } from '../kernel.ts';
import { Tensor } from '../../../src/ir/tensor.ts';
import { encodeModule, type WasmFunction } from '../wasm/encode.ts';
import { emitScaleRows } from '../wasm/scale-rows.ts';
import { emitFilterTransform, FILTER_CH, stagingBytes } from '../wasm/winograd-filter.ts';
import { MAX_PAGES } from '../memory-pool.ts';
import type { WinogradTransform } from '../wasm/winograd-matrices.ts';

type Transformer = (w: Float32Array, M: number, C: number, out: Float32Array) => void;


/** Channels per staged chunk: alpha^2 * CH * MR floats of staging (36 KiB for F(4x4)), kept in L1/L2. */
const CH = FILTER_CH;

/** JS source of sum_k coef[k] * x(k): zero terms skipped, ±1 without a multiply, in k order. */
function sum(coef: readonly number[], x: (k: number) => string): string {
  const terms = coef.flatMap((c, k) => (c === 0 ? [] : [c === 1 ? x(k) : c === -1 ? `-${x(k)}` : `${c} * ${x(k)}`]));
  return terms.length ? terms.join(' + ') : '0';
}

function generate(t: WinogradTransform, R: number): Transformer {
  const a = t.alpha, xis = a * a, r = t.r, taps = r * r, S = CH * R + 16; // S: staged chunks a cache line apart (../wasm/winograd-filter.ts)
  const load = Array.from({ length: taps }, (_, k) => `const w${k} = w[s + ${k}];`);
  const cols = Array.from({ length: r }, (_, c) => c);
  const T = t.G.flatMap((row, i) => cols.map((c) => `const t${i}_${c} = ${sum(row, (k) => `w${k * r + c}`)};`));
  const U = Array.from({ length: xis }, (_, e) => `sc[d + ${e * S}] = ${sum(t.G[e % a]!, (k) => `t${Math.floor(e / a)}_${k}`)};`);
  return new Function('w', 'M', 'C', 'out', `
  const mbs = Math.ceil(M / ${R}), panel = mbs * C * ${R}, sc = new Float32Array(${xis * S});
  for (let mb = 0; mb < mbs; mb++) {
    const rows = Math.min(${R}, M - mb * ${R});
    if (rows < ${R}) sc.fill(0);
    for (let c0 = 0; c0 < C; c0 += ${CH}) {
      const c1 = Math.min(C, c0 + ${CH});
      for (let ch = c0; ch < c1; ch++) for (let r = 0; r < rows; r++) {
        const s = ((mb * ${R} + r) * C + ch) * ${taps}, d = (ch - c0) * ${R} + r;
        ${[...load, ...T, ...U].join('\n        ')}
      }
      const n = (c1 - c0) * ${R}, at = (mb * C + c0) * ${R};
      for (let e = 0; e < ${xis}; e++) out.set(sc.subarray(e * ${S}, e * ${S} + n), at + e * panel);
    }
  }`) as Transformer;
}

const transformers = new Map<string, Transformer>();

/** The wasm functions (../wasm/winograd-filter.ts transforms, ../wasm/scale-rows.ts) per key and shared flag, compiled
 *  once; instantiated once per memory. */
const modules = new Map<string, WebAssembly.Module>();
const instances = new WeakMap<WebAssembly.Memory, Map<string, Function>>();
function wasmFunction(what: string, emit: () => WasmFunction, memory: WebAssembly.Memory, shared: boolean): Function {
  const key = `${what}/${shared}`;
  let byKey = instances.get(memory);
  if (!byKey) instances.set(memory, (byKey = new Map()));
  let fn = byKey.get(key);
  if (!fn) {
    let mod = modules.get(key);
    if (!mod) modules.set(key, (mod = new WebAssembly.Module(encodeModule([emit()], { initial: 1, maximum: MAX_PAGES, shared }) as BufferSource)));
    fn = new WebAssembly.Instance(mod, { env: { memory } }).exports.f as Function;
    byKey.set(key, fn);
  }
  return fn;
}

/**
 * The transform by wasm into the program's memory: as many output blocks' filters as the scratch holds are staged
 * there ([rows][C][9], then the alpha^2 staging panels); false when the scratch is too small for one block.
 */
function writeByWasm(t: WinogradTransform, R: number, weight: Tensor | Float32Array, M: number, C: number, ctx: WriteContext): boolean {
  // scale: a folded BatchNorm's, applied to the staged filters; bytes: the filters still in the model file, read
  // straight into the staging area (../kernel.ts)
  const rows = weightRows(weight), { scale, bytes } = rows, w = bytes ? null : rows.data;
  const scBytes = stagingBytes(t, R), blockBytes = R * C * 36, mbs = Math.ceil(M / R);
  const scaleBytes = scale ? Math.ceil(M / 2) * 16 : 0; // the scales as float64, after the staging panels
  const scratch = Math.ceil(ctx.scratch / 16) * 16, room = ctx.scratch + ctx.scratchBytes - scratch - scBytes - scaleBytes;
  const per = Math.min(mbs, Math.floor(room / blockBytes));
  if (per < 1) return false;
  const fn = wasmFunction(`u${t.m}/${R}`, () => emitFilterTransform('f', t, R), ctx.memory, ctx.shared);
  const F = new Float32Array(ctx.memory.buffer), scales = scratch + scBytes, stage = scales + scaleBytes;
  const scaleRows = scale && wasmFunction('scale', () => emitScaleRows('f'), ctx.memory, ctx.shared);
  if (scale) new Float64Array(ctx.memory.buffer, scales, M).set(scale);
  ctx.dirty = true;
  for (let mb0 = 0; mb0 < mbs; mb0 += per) {
    const mb1 = Math.min(mbs, mb0 + per), m1 = Math.min(M, mb1 * R);
    if (bytes) bytes.read(new Uint8Array(ctx.memory.buffer, stage, (m1 - mb0 * R) * C * 36), mb0 * R * C * 36);
    else F.set(w!.subarray(mb0 * R * C * 9, m1 * C * 9), stage / 4);
    if (scaleRows) scaleRows(stage, m1 - mb0 * R, C * 9, scales + mb0 * R * 8);
    for (let mb = mb0; mb < mb1; mb++) {
      const rows = Math.min(R, M - mb * R);
      if (rows < R) F.fill(0, scratch / 4, (scratch + scBytes) / 4); // the pad rows are copied out as zeros
      fn(stage + (mb - mb0) * blockBytes, ctx.at + mb * C * R * 4, C, rows, mbs * C * R * 4, scratch);
    }
  }
  return true;
}

/**
 * The transformed weights of an [M, C, r, r] float32 filter bank in panels of R filters, as a constant written at
 * instantiation. `w` is read then (a rowScaled tensor is scaled while staged, never computed whole).
 */
export function winogradWeights(t: WinogradTransform, w: Tensor | Float32Array, M: number, C: number, R = MR): ConstWriter {
  const key = `${t.m}/${t.r}/${R}`;
  let f = transformers.get(key);
  if (!f) transformers.set(key, (f = generate(t, R)));
  const fn = f;
  // pad rows come from a zeroed staging area in both paths
  // The wasm transform is written for 3x3 filters; other widths (the phases of stride-2 convs, small) take the JS one.
  const write = (into: Float32Array, ctx?: WriteContext) => {
    if (!(ctx && t.r === 3 && writeByWasm(t, R, w, M, C, ctx))) fn(w instanceof Tensor ? w.data as Float32Array : w, M, C, into);
  };
  return { length: t.alpha ** 2 * Math.ceil(M / R) * C * R, write, writesAll: true };
}
