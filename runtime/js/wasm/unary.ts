// A standalone activation over a float range in WebAssembly SIMD: four elements per step with the
// activation's SIMD form (./simd-act.ts). Parameters: x, y (byte addresses), n4 (count of 4-float vectors);
// the caller handles the last n % 4 elements in JS. Reads each vector before writing it, so y may equal x.
import { Code, I32, V128 } from './encode.ts';
import { simdActivation } from './simd-act.ts';
import type { ActivationParams } from '../../../src/ops/activations.ts';

export function emitUnary(step: { name: string; params: ActivationParams }): Code {
  const code = new Code([I32, I32, I32]);
  const [X, Y, N4] = [0, 1, 2];
  const v = code.local(V128), tmp = code.local(V128), zero = code.local(V128);
  code.v128zero().set(zero);
  code.block().loop();
  code.get(N4).op('i32.eqz').brIf(1);
  code.get(X).mem('v128.load').set(v);
  simdActivation(code, step, v, tmp, zero);
  code.get(Y).get(v).mem('v128.store');
  code.addTo(X, 16).addTo(Y, 16).addTo(N4, -1).br(0);
  code.op('end').op('end');
  return code;
}
