// The padded copy of one plane for the pool kernels, in WebAssembly SIMD: fill the scratch with the padding value,
// then copy the H input rows into it at (PT, PL). Generated JS did this with F.fill and F.copyWithin, which V8 runs
// about 5x slower on a SharedArrayBuffer (the 2-thread programs' memory: relaxed per-element copies) than on a
// plain one: ResNet-18's MaxPool 3x3/2 took as long per thread at 2 threads as the whole layer at 1. Vector loads and
// stores cost the same on either memory. A copy is exact, so the pool's results are unchanged bit for bit. The
// depthwise and direct convs' padded copies and Concat's chunk copies (a one-row plane, nothing to fill) use it too.
import { Code, I32, V128 } from './encode.ts';

export interface PadPlaneShape {
  /** Input plane: H rows of W floats, rows srcPitch floats apart (default W). */
  H: number; W: number; srcPitch?: number;
  /** Where row 0, column 0 of the input lands in the copy, and the copy's row pitch, in floats. */
  PT: number; PL: number; PW: number;
  /** Floats of the copy to fill with `fill` first (the whole scratch). */
  floats: number; fill: number;
}

/** Parameters: src (input plane), dst (scratch), byte addresses. */
export function emitPadPlane(s: PadPlaneShape): Code {
  const code = new Code([I32, I32]);
  const [S, D] = [0, 1];
  const p = code.local(I32), end = code.local(I32), v = code.local(V128), iy = code.local(I32), q = code.local(I32);
  const sp = code.local(I32), dp = code.local(I32);
  // 1. Fill: whole vectors, then the last floats one by one.
  const fillVecs = Math.floor(s.floats / 4);
  code.f32(s.fill).op('f32x4.splat').set(v);
  code.get(D).set(p);
  code.get(D).i32(fillVecs * 16).op('i32.add').set(end);
  code.block().loop();
  code.get(p).get(end).op('i32.eq').brIf(1); // p steps by 16 from dst to end: equality ends it
  code.get(p).get(v).mem('v128.store');
  code.addTo(p, 16).br(0);
  code.op('end').op('end');
  for (let k = fillVecs * 4; k < s.floats; k++) code.get(D).f32(s.fill).mem('f32.store', k * 4);
  // 2. Rows: W / 4 vectors per row, then the row's last floats.
  const rowVecs = Math.floor(s.W / 4);
  code.get(S).set(sp);
  code.get(D).i32((s.PT * s.PW + s.PL) * 4).op('i32.add').set(dp);
  code.i32(0).set(iy);
  code.block().loop();
  code.get(iy).i32(s.H).op('i32.ge_s').brIf(1);
  if (rowVecs > 0) {
    code.i32(0).set(q);
    code.block().loop();
    code.get(q).i32(rowVecs * 16).op('i32.ge_s').brIf(1);
    code.get(dp).get(q).op('i32.add');
    code.get(sp).get(q).op('i32.add').mem('v128.load');
    code.mem('v128.store');
    code.addTo(q, 16).br(0);
    code.op('end').op('end');
  }
  for (let k = rowVecs * 4; k < s.W; k++) code.get(dp).get(sp).mem('f32.load', k * 4).mem('f32.store', k * 4);
  code.addTo(sp, (s.srcPitch ?? s.W) * 4).addTo(dp, s.PW * 4).addTo(iy, 1).br(0);
  code.op('end').op('end');
  return code;
}
