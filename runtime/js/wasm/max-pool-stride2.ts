// Max pooling of one plane with horizontal stride 2 and a 2- or 3-wide window (SqueezeNet's 3x3/2, ResNet's and
// many CNNs' 3x3/2 and 2x2/2), in WebAssembly SIMD, rows first: the general row kernel (./depthwise.ts) builds every
// tap of the window from two loads and a shuffle (KH*KW of them per four outputs); here the KH input rows are first
// reduced column-wise (max over rows is stride 1: plain vector loads), and only that one row of column maxima is
// split into even and odd columns by two shuffles, the third tap being the even columns moved by one. Four outputs
// at ox read input columns 2ox..2ox+8: two vectors A, B per row, for a 3-wide window one more column, which is the
// next four outputs' A (carried over: two vector loads per row and four outputs).
// f32x4.max takes a NaN from either operand, so a NaN anywhere in the window gives NaN, like the reference and the
// row kernel; max is exact, so the result is the same bit for bit. A row's last partial vector stores lane by lane
// and reads no further than the row kernel does (column 2ox+9).
import { Code, I32, V128 } from './encode.ts';

export interface MaxPoolStride2Shape {
  OH: number; OW: number; KH: number; KW: 2 | 3; SH: number; DH: number;
  /** Row pitch of the input plane, in floats (the plane's width when read in place, else the padded copy's). */
  PW: number;
}

/** Parameters: x (plane, padded or in place), y (output plane), unused (the row kernel's weights slot). */
export function emitMaxPoolStride2(s: MaxPoolStride2Shape): Code {
  const code = new Code([I32, I32, I32]);
  const [X, Y] = [0, 1];
  const oy = code.local(I32), ox = code.local(I32), xr = code.local(I32), yr = code.local(I32), xp = code.local(I32);
  const A = code.local(V128), B = code.local(V128), C = code.local(V128), ev = code.local(V128);
  const full = Math.floor(s.OW / 4), tail = s.OW % 4;
  const rowBytes = s.DH * s.PW * 4;

  // The column maxima over the KH rows of `offset` (bytes from xp): a vector, or one column splat.
  const columnMax = (into: number, offset: number, splat: boolean) => {
    const load = (r: number) => code.get(xp).mem(splat ? 'v128.load32_splat' : 'v128.load', offset + r * rowBytes);
    load(0);
    for (let r = 1; r < s.KH; r++) { load(r); code.op('f32x4.max'); }
    code.set(into);
  };
  // Four outputs at ox from A (column maxima of input columns 2ox..2ox+3, already in its local), B (2ox+4..2ox+7) and,
  // for a 3-wide window, C (lane 0: column 2ox+8): the next vector's A when `carry` (computed here, kept in A for it),
  // else one column splat (the row's last vectors, so no load reaches past what the row kernel reads).
  const vector = (lanes: number, carry: boolean, last = false) => {
    code.get(xr).get(ox).i32(2).op('i32.mul').op('i32.add').set(xp);
    columnMax(B, 16, false);
    if (s.KW === 3) columnMax(C, 32, !carry);
    code.get(A).get(B).shuffle32([0, 2, 4, 6]).set(ev);
    code.get(ev).get(A).get(B).shuffle32([1, 3, 5, 7]).op('f32x4.max');
    if (s.KW === 3) code.get(ev).get(C).shuffle32([1, 2, 3, 4]).op('f32x4.max');
    code.set(ev);
    if (lanes === 4) code.get(yr).get(ox).op('i32.add').get(ev).mem('v128.store');
    else for (let l = 0; l < lanes; l++) code.get(yr).get(ox).op('i32.add').get(ev).lane('v128.store32_lane', l * 4, l);
    // The next vector's A: carried from C, or loaded (none after the row's last vector).
    if (carry && s.KW === 3) code.get(C).set(A);
    else if (!last) { code.get(xp).i32(32).op('i32.add').set(xp); columnMax(A, 0, false); }
  };

  code.i32(0).set(oy);
  code.block().loop();
  code.get(oy).i32(s.OH).op('i32.ge_s').brIf(1);
  code.get(X).get(oy).i32(s.SH * s.PW * 4).op('i32.mul').op('i32.add').set(xr);
  code.get(Y).get(oy).i32(s.OW * 4).op('i32.mul').op('i32.add').set(yr);
  code.i32(0).set(ox);
  code.get(xr).set(xp);
  columnMax(A, 0, false);
  if (full > 1) {
    code.block().loop();
    code.get(ox).i32((full - 1) * 16).op('i32.ge_s').brIf(1);
    vector(4, true);
    code.addTo(ox, 16).br(0);
    code.op('end').op('end');
  }
  if (full > 0) { vector(4, false, !tail); code.addTo(ox, 16); }
  if (tail) vector(tail, false, true);
  code.addTo(oy, 1).br(0);
  code.op('end').op('end');
  return code;
}
