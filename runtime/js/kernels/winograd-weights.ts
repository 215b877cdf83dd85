// The Winograd filter transform U = G g G^T of every 3x3 filter of a conv, written straight into the packed
// layout the GEMMs read (one panel set per element ξ of the alpha x alpha tile, each [ceil(M/R)][C][R], zero
// rows pad; R = MR = 4 when U is the GEMM's A, R = NR = 8 when it is its B: ./winograd-small.ts) when the
// program is instantiated (kernel.ts ConstWriter): no intermediate array. Computed in float64
// and rounded once when stored, as the error bound assumes (test/helpers/winograd-bound.ts); the sums are
// generated per transform with the matrices' zeros and ±1s folded, in the order of the dense sums (adding an
// exact zero or multiplying by one changes no bit), so the result is the dense float64 transform's, bit for bit.
// The values of a chunk of MR filters x CH channels are staged in a small array and copied out one ξ at a time:
// writing the alpha^2 streams directly (panel sets a power of two apart) thrashed the caches (~4x slower).
import { MR } from './conv.ts';
import type { ConstWriter } from '../kernel.ts';
import type { WinogradTransform } from '../wasm/winograd-matrices.ts';

type Transformer = (w: Float32Array, M: number, C: number, out: Float32Array) => void;


/** Channels per staged chunk: alpha^2 * CH * MR floats of staging (36 KiB for F(4x4)), kept in L1/L2. */
const CH = 64;

/** JS source of sum_k coef[k] * x(k): zero terms skipped, ±1 without a multiply, in k order. */
function sum(coef: readonly number[], x: (k: number) => string): string {
  const terms = coef.flatMap((c, k) => (c === 0 ? [] : [c === 1 ? x(k) : c === -1 ? `-${x(k)}` : `${c} * ${x(k)}`]));
  return terms.length ? terms.join(' + ') : '0';
}

function generate(t: WinogradTransform, R: number): Transformer {
  const a = t.alpha, xis = a * a;
  const load = Array.from({ length: 9 }, (_, k) => `const w${k} = w[s + ${k}];`);
  const T = t.G.flatMap((row, i) => [0, 1, 2].map((c) => `const t${i}_${c} = ${sum(row, (k) => `w${k * 3 + c}`)};`));
  const U = Array.from({ length: xis }, (_, e) => `sc[d + ${(e) * CH * R}] = ${sum(t.G[e % a]!, (k) => `t${Math.floor(e / a)}_${k}`)};`);
  return new Function('w', 'M', 'C', 'out', `
  const mbs = Math.ceil(M / ${R}), panel = mbs * C * ${R}, sc = new Float32Array(${xis * CH * R});
  for (let mb = 0; mb < mbs; mb++) {
    const rows = Math.min(${R}, M - mb * ${R});
    if (rows < ${R}) sc.fill(0);
    for (let c0 = 0; c0 < C; c0 += ${CH}) {
      const c1 = Math.min(C, c0 + ${CH});
      for (let ch = c0; ch < c1; ch++) for (let r = 0; r < rows; r++) {
        const s = ((mb * ${R} + r) * C + ch) * 9, d = (ch - c0) * ${R} + r;
        ${[...load, ...T, ...U].join('\n        ')}
      }
      const n = (c1 - c0) * ${R}, at = (mb * C + c0) * ${R};
      for (let e = 0; e < ${xis}; e++) out.set(sc.subarray(e * ${CH * R}, e * ${CH * R} + n), at + e * panel);
    }
  }`) as Transformer;
}

const transformers = new Map<string, Transformer>();

/** The transformed weights of an [M, C, 3, 3] float32 filter bank in panels of R filters, as a constant written at instantiation. */
export function winogradWeights(t: WinogradTransform, w: Float32Array, M: number, C: number, R = MR): ConstWriter {
  const key = `${t.m}/${R}`;
  let f = transformers.get(key);
  if (!f) transformers.set(key, (f = generate(t, R)));
  const fn = f;
  return { length: t.alpha ** 2 * Math.ceil(M / R) * C * R, write: (into) => fn(w, M, C, into), writesAll: true }; // pad rows from the zeroed staging
}
