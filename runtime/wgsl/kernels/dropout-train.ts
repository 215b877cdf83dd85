// DropoutTrain (src/ops/dropout-train.ts) as one fully parallel WGSL kernel with the reference's exact mask
// bits. The reference draws mulberry32 (src/random.ts) in element order from seed0 = (seed * 2654435761 +
// step * 40503) >>> 0; mulberry32's state only advances by 0x6d2b79f5 per draw, so element i's state is
// seed0 + (i + 1) * 0x6d2b79f5 (mod 2^32) in closed form and every thread computes its own draw. The output
// mixing uses Math.imul / >>> / ^ / +, all of which are u32 wrap arithmetic, so WGSL u32 gives the same
// bits. The keep test `u / 2^32 >= ratio` is exact as `u >= ceil(ratio * 2^32)` on the integer draw u, and
// the kept value 1/(1-ratio) is baked as the f32 bit pattern the reference stores.
import { declareBindings, dispatchSize, mainStart, type Binding } from '../shader.ts';

const r = (name: string): Binding => ({ name, access: 'read' });
const w = (name: string): Binding => ({ name, access: 'read_write' });

const TWO32 = 2 ** 32;
const hex = (u: number) => `0x${(u >>> 0).toString(16)}u`;

/** The f32 bit pattern of a number (rounded to f32, as a Float32Array store rounds it). */
function f32Bits(v: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, v);
  return b.getUint32(0);
}

/** Whether (seed * 2654435761 + step * 40503) stays an exact double for every step an i32 holds, so the
 *  reference's `>>> 0` equals u32 wrap arithmetic on the seed term. */
export const seedIsExact = (seed: number) => Number.isInteger(seed) && Math.abs(seed) * 2654435761 + 2 ** 31 * 40503 < 2 ** 53;

/** Bindings: x, step (one f32 holding an integer), y, mask; `total` elements. */
export function emitDropoutTrain(total: number, ratio: number, seed: number): { code: string; wg: [number, number] } {
  const seedTerm = ((seed * 2654435761) % TWO32 + TWO32) % TWO32;
  const threshold = Math.ceil(Math.max(ratio, 0) * TWO32);
  // ratio <= 0 keeps everything (threshold 0); past 1 - 2^-32 (or NaN) nothing is kept, as `rnd() >= ratio` is
  // never true.
  const kept = threshold >= TWO32 || Number.isNaN(ratio) ? 'false' : `t >= ${hex(threshold)}`;
  const keep = ratio >= 1 ? 0 : 1 / (1 - ratio);
  // A mask the compiler can prove is 0.0 lets it fold x * 0.0 to +0.0, where the reference stores -0 for a
  // negative x: such a mask is built from rt0, the zero it cannot see through.
  const keepValue = f32Bits(keep) === 0 || kept === 'false' ? 'bitcast<f32>(rt0)' : `bitcast<f32>(${hex(f32Bits(keep))})`;
  const code = `${declareBindings([r('x'), r('step'), w('y'), w('mask')])}
${mainStart(total)}  let seed0 = ${hex(seedTerm)} + bitcast<u32>(i32(step[0])) * 40503u;
  var t = seed0 + (gid + 1u) * 0x6d2b79f5u;
  t = (t ^ (t >> 15u)) * (t | 1u);
  t = t ^ (t + (t ^ (t >> 7u)) * (t | 61u));
  t = t ^ (t >> 14u);
  let m = ${kept === 'false' ? keepValue : `select(0.0, ${keepValue}, ${kept})`};
  mask[gid] = m;
  y[gid] = x[gid] * m;
}
`;
  return { code, wg: dispatchSize(total) };
}
