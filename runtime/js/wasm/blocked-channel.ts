// Per-channel kernels over one channel block of the blocked layout NCHWc4 (../layout.ts), in WebAssembly SIMD: a
// pixel's 4 channels are one f32x4, so a block's GlobalAveragePool is a sum of P vectors and a squeeze-excitation
// scale multiplies every pixel by one vector (the block's 4 scales).
import { Code, I32, V128 } from './encode.ts';

/** Mean over the block's P pixels. Parameters: x (the block), y (its 4 outputs). */
export function emitBlockedMean(P: number): Code {
  const code = new Code([I32, I32]);
  const [X, Y] = [0, 1];
  const end = code.local(I32), acc = code.local(V128);
  code.v128zero().set(acc);
  code.get(X).i32(P * 16).op('i32.add').set(end);
  code.loop();
  code.get(acc).get(X).mem('v128.load', 0).op('f32x4.add').set(acc);
  code.addTo(X, 16);
  code.get(X).get(end).op('i32.ne').brIf(0);
  code.op('end');
  code.get(Y).get(acc).f32(P).op('f32x4.splat').op('f32x4.div').mem('v128.store', 0);
  return code;
}

/** y = x op s over the block's P pixels, s its 4 per-channel values. Parameters: x, s, y. */
export function emitBlockedScale(P: number, op: 'Mul' | 'Add'): Code {
  const code = new Code([I32, I32, I32]);
  const [X, S, Y] = [0, 1, 2];
  const end = code.local(I32), sv = code.local(V128);
  code.get(S).mem('v128.load', 0).set(sv);
  code.get(X).i32(P * 16).op('i32.add').set(end);
  code.loop();
  code.get(Y).get(X).mem('v128.load', 0).get(sv).op(op === 'Mul' ? 'f32x4.mul' : 'f32x4.add').mem('v128.store', 0);
  code.addTo(X, 16).addTo(Y, 16);
  code.get(X).get(end).op('i32.ne').brIf(0);
  code.op('end');
  return code;
}
