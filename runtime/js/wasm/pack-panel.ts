// One im2col panel of a conv, interior case, in WebAssembly: for every tap (channel ci, ky, kx) the NR
// output columns of the panel lie in one output row and read NR input values SW apart, all inside the
// input; they are written as NR consecutive floats (panel layout [K][NR]). Everything is baked in: the loops
// run over channels and kernel rows, the kernel columns and the NR values are unrolled. Parameters: src (byte
// address of the first tap's first value: channel 0, row iy0, column ix0), dst (byte address of the panel).
import { Code, I32 } from './encode.ts';

export interface PanelShape { Cg: number; KH: number; KW: number; NR: number; H: number; W: number; SW: number; DH: number; DW: number }

export function emitPackPanel(s: PanelShape): Code {
  const code = new Code([I32, I32]);
  const [SRC, DST] = [0, 1];
  const ci = code.local(I32), ky = code.local(I32), row = code.local(I32);
  code.i32(s.Cg).set(ci);
  code.block().loop();
  code.get(ci).op('i32.eqz').brIf(1);
  code.get(SRC).set(row);
  code.i32(s.KH).set(ky);
  code.block().loop();
  code.get(ky).op('i32.eqz').brIf(1);
  for (let kx = 0; kx < s.KW; kx++) {
    for (let j = 0; j < s.NR; j++) code.get(DST).get(row).mem('f32.load', (kx * s.DW + j * s.SW) * 4).mem('f32.store', (kx * s.NR + j) * 4);
  }
  code.addTo(DST, s.KW * s.NR * 4).addTo(row, s.DH * s.W * 4).addTo(ky, -1).br(0);
  code.op('end').op('end');
  code.addTo(SRC, s.H * s.W * 4).addTo(ci, -1).br(0);
  code.op('end').op('end');
  return code;
}
