// A strided float copy in WebAssembly: dst[i * dstStride] = src[i * srcStride] for i < n, strides baked in
// (in floats). Generated JS pays ~4 ns per element for the scattered stores of panel packing (a column of an
// im2col panel is written with the panel's column stride); this loop pays about one. Parameters: src, dst
// (byte addresses), n.
import { Code, I32 } from './encode.ts';

export function emitStridedCopy(srcStride: number, dstStride: number): Code {
  const code = new Code([I32, I32, I32]);
  const [S, D, N] = [0, 1, 2];
  code.block().loop();
  code.get(N).op('i32.eqz').brIf(1);
  code.get(D).get(S).mem('f32.load').mem('f32.store');
  code.addTo(S, srcStride * 4).addTo(D, dstStride * 4).addTo(N, -1).br(0);
  code.op('end').op('end');
  return code;
}
