// Direct N-D convolution (grouped; depthwise is group == C) and transposed convolution with the fused
// epilogue: one thread per output element, weights in the ONNX layouts ([M, C/group, k...] for Conv,
// [C, M/group, k...] for ConvTranspose). Shapes and attributes are baked into the source so loops have
// constant bounds the WGSL compiler can unroll. Conv gathers: tap k of output o reads input
// o*stride - padBegin + k*dilation. ConvTranspose inverts that map: output o receives input i from tap k
// when o + padBegin - k*dilation = i*stride, so each output thread gathers instead of scattering.
// When a group has a multiple of 4 output channels, conv-blocked.ts computes 4 channels x 4 positions per thread.
import { coords, declareBindings, dispatchSize, mainStart } from '../shader.ts';
import { emitEpilogue, operandBindings, type Operand } from '../epilogue.ts';
import type { EpilogueStep } from '../../../src/ops/fused.ts';
import { emitConvBlocked } from './conv-blocked.ts';

export interface ConvSpec {
  x: number[]; w: number[]; y: number[];
  strides: number[]; dilations: number[];
  /** ONNX order: [begin per spatial axis..., end per spatial axis...]. */
  pads: number[];
  group: number;
  transpose?: boolean;
  /** Epilogue operands, bound after x and w (a bias is an operand with index 'chan' and an 'add' step). */
  operands: Operand[];
  epilogue: EpilogueStep[];
}

export function emitConv(s: ConvSpec): { code: string; wg: [number, number] } {
  const r = s.x.length - 2;
  const C = s.x[1]!, M = s.y[1]!, total = s.y.reduce((a, b) => a * b, 1);
  const inSp = s.x.slice(2), kSp = s.w.slice(2);
  const Cg = s.transpose ? C / s.group : s.w[1]!;
  const Mg = M / s.group;
  if (!s.transpose && Mg % 4 === 0) return emitConvBlocked(s, [{ name: 'x', access: 'read' }, { name: 'w', access: 'read' }, ...operandBindings(s.operands), { name: 'y', access: 'read_write' }], Cg, Mg);
  const binds = [{ name: 'x', access: 'read' as const }, { name: 'w', access: 'read' as const }, ...operandBindings(s.operands), { name: 'y', access: 'read_write' as const }];
  let body = '';
  let xIdx = `(n * ${C}u + c0 + c)`, wIdx = s.transpose ? `((c0 + c) * ${Mg}u + m % ${Mg}u)` : `(m * ${Cg}u + c)`;
  for (let a = 0; a < r; a++) {
    const pad = s.pads[a]!, st = s.strides[a]!, dl = s.dilations[a]!;
    const ind = '    ' + '  '.repeat(a);
    body += `${ind}for (var k${a} = 0u; k${a} < ${kSp[a]}u; k${a}++) {\n`; // taps: unrolled (few, and hot)
    if (s.transpose) {
      body += `${ind}  let t${a} = i32(o${a + 2}) + ${pad} - i32(k${a} * ${dl}u);\n` +
        `${ind}  if (t${a} < 0 || t${a} % ${st} != 0 || t${a} / ${st} >= ${inSp[a]}) { continue; }\n` +
        `${ind}  let i${a} = u32(t${a} / ${st});\n`;
    } else {
      body += `${ind}  let t${a} = i32(o${a + 2} * ${st}u + k${a} * ${dl}u) - ${pad};\n` +
        `${ind}  if (t${a} < 0 || t${a} >= ${inSp[a]}) { continue; }\n` +
        `${ind}  let i${a} = u32(t${a});\n`;
    }
    xIdx = `(${xIdx} * ${inSp[a]}u + i${a})`;
    wIdx = `(${wIdx} * ${kSp[a]}u + k${a})`;
  }
  body += `${'    ' + '  '.repeat(r)}acc += x[${xIdx}] * w[${wIdx}];\n`;
  for (let a = r - 1; a >= 0; a--) body += `${'    ' + '  '.repeat(a)}}\n`;
  const code = `${declareBindings(binds)}
${mainStart(total)}${coords('gid', s.y, 'o')}
  let n = o0; let m = o1;
  let c0 = (m / ${Mg}u) * ${Cg}u;
  var acc = 0.0;
  for (var c = 0u; c < ${Cg}u + rt0; c++) {
${body}  }
  var value = acc;
${emitEpilogue(s.epilogue, s.operands, 'gid', 'm', s.y, '  ')}
  y[gid] = value;
}
`;
  return { code, wg: dispatchSize(total) };
}

