// Direct NCHW convolution (grouped; depthwise is group == C) with the fused epilogue: one thread per
// output element, weights read in the [M, C/group, kH, kW] ONNX layout. Shapes and attributes are baked
// into the source so loops have constant bounds the WGSL compiler can unroll.
import { declareBindings, dispatchSize, mainStart } from '../shader.ts';
import { emitEpilogue } from '../epilogue.ts';
import type { EpilogueStep } from '../../../src/ops/fused.ts';

export interface ConvSpec {
  x: [number, number, number, number];
  w: [number, number, number, number];
  y: [number, number, number, number];
  strides: [number, number]; dilations: [number, number];
  /** ONNX order: [top, left, bottom, right]. */
  pads: [number, number, number, number];
  group: number;
  /** Epilogue operands in binding order after x and w: per output channel or the full output. */
  operands: { per: 'chan' | 'full' }[];
  epilogue: EpilogueStep[];
}

export function emitConv(s: ConvSpec): { code: string; wg: [number, number] } {
  const [, C, H, W] = s.x; const [M, Cg, KH, KW] = s.w; const [N, , OH, OW] = s.y;
  const total = N * M * OH * OW;
  const binds = [{ name: 'x', access: 'read' as const }, { name: 'w', access: 'read' as const },
    ...s.operands.map((_, i) => ({ name: `e${i}`, access: 'read' as const })), { name: 'y', access: 'read_write' as const }];
  const operand = (k: number) => `e${k - 2}[${s.operands[k - 2]!.per === 'chan' ? 'm' : 'gid'}]`;
  const code = `${declareBindings(binds)}
${mainStart(total)}  let ox = gid % ${OW}u; let oy = (gid / ${OW}u) % ${OH}u;
  let m = (gid / ${OW * OH}u) % ${M}u; let n = gid / ${OW * OH * M}u;
  let c0 = (m / ${M / s.group}u) * ${Cg}u;
  var acc = 0.0;
  for (var c = 0u; c < ${Cg}u; c++) {
    for (var ky = 0u; ky < ${KH}u; ky++) {
      let iy = i32(oy * ${s.strides[0]}u + ky * ${s.dilations[0]}u) - ${s.pads[0]};
      if (iy < 0 || iy >= ${H}) { continue; }
      for (var kx = 0u; kx < ${KW}u; kx++) {
        let ix = i32(ox * ${s.strides[1]}u + kx * ${s.dilations[1]}u) - ${s.pads[1]};
        if (ix < 0 || ix >= ${W}) { continue; }
        acc += x[((n * ${C}u + c0 + c) * ${H}u + u32(iy)) * ${W}u + u32(ix)] * w[((m * ${Cg}u + c) * ${KH}u + ky) * ${KW}u + kx];
      }
    }
  }
  var value = acc;
${emitEpilogue(s.epilogue, operand, '  ')}
  y[gid] = value;
}
`;
  return { code, wg: dispatchSize(total) };
}
