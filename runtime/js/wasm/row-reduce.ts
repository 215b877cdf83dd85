// GlobalAveragePool / GlobalMaxPool over NCHW planes in WebAssembly SIMD: each plane (a row of S floats) is reduced
// four columns at a time into one f32x4, its lanes combined at the end, the last S mod 4 columns one by one. The
// generated JS loop it replaces summed one float at a time (SqueezeNet's 1000 planes of 13x13: ~5x the time).
// The mean sums in float32 in a different order than the reference: within the reference's derived bound for
// GlobalAveragePool ((S + 1) u avg|x|, test/helpers/error-bound.ts). Max is exact; f32x4.max and f32.max return NaN
// when either operand is NaN, like the reference (a NaN anywhere in the plane gives NaN).
import { Code, I32, V128 } from './encode.ts';

/** Parameters: x (first plane), y (its output), rows (planes). Plane r is at x + r*S*4, its result at y + r*4. */
export function emitRowReduce(S: number, kind: 'mean' | 'max'): Code {
  const code = new Code([I32, I32, I32]);
  const [X, Y, R] = [0, 1, 2];
  const end = code.local(I32), acc = code.local(V128), yEnd = code.local(I32);
  const vecOp = kind === 'max' ? 'f32x4.max' : 'f32x4.add', scalarOp = kind === 'max' ? 'f32.max' : 'f32.add';
  const vectors = Math.floor(S / 4), tail = S % 4;
  code.get(Y).get(R).i32(4).op('i32.mul').op('i32.add').set(yEnd);
  code.block().loop();
  code.get(Y).get(yEnd).op('i32.ge_s').brIf(1);
  code.get(Y); // the store's address, below the result
  if (vectors > 0) {
    code.get(X).mem('v128.load', 0).set(acc);
    code.get(X).i32(vectors * 16).op('i32.add').set(end);
    code.addTo(X, 16);
    code.block().loop();
    code.get(X).get(end).op('i32.ge_s').brIf(1);
    code.get(acc).get(X).mem('v128.load', 0).op(vecOp).set(acc);
    code.addTo(X, 16).br(0);
    code.op('end').op('end');
    // The four lanes, then the tail columns, onto the stack as one f32.
    code.get(acc).extract(0).get(acc).extract(1).op(scalarOp).get(acc).extract(2).op(scalarOp).get(acc).extract(3).op(scalarOp);
  } else {
    code.get(X).mem('f32.load', 0);
  }
  for (let t = vectors > 0 ? 0 : 1; t < tail; t++) code.get(X).mem('f32.load', t * 4).op(scalarOp);
  if (kind === 'mean') code.f32(S).op('f32.div');
  code.mem('f32.store', 0);
  code.addTo(X, tail * 4).addTo(Y, 4).br(0);
  code.op('end').op('end');
  return code;
}
