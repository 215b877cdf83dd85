// Register-blocked direct convolution: each thread computes a 4 (output channels) x 4 (consecutive output
// positions along the last spatial axis) block. Per (input channel, tap) it loads one vec4 of weights (the 4
// channels) and up to 4 input values, and does 16 multiply-adds: 4x the arithmetic per load of the
// one-output-per-thread kernel. Used when a group has a multiple of 4 output channels (not ConvTranspose).
// The epilogue then runs per output element on the scalar `value`, as the Fused contract says.
import { coords, declareBindings, dispatchSize, mainStart, type Binding } from '../shader.ts';
import { emitEpilogue } from '../epilogue.ts';
import type { ConvSpec } from './conv.ts';

export const BLOCK = 4;

export function emitConvBlocked(s: ConvSpec, binds: Binding[], Cg: number, Mg: number): { code: string; wg: [number, number] } {
  const r = s.x.length - 2, C = s.x[1]!, M = s.y[1]!, N = s.y[0]!;
  const inSp = s.x.slice(2), kSp = s.w.slice(2), outSp = s.y.slice(2);
  const last = r - 1, OW = outSp[last]!, S = outSp.reduce((a, b) => a * b, 1);
  const grid = [N, M / 4, ...outSp.slice(0, last), Math.ceil(OW / BLOCK)];
  const threads = grid.reduce((a, b) => a * b, 1);
  const wStride = Cg * kSp.reduce((a, b) => a * b, 1);
  let body = '', xIdx = `(n * ${C}u + c0 + c)`, wIdx = `(m * ${Cg}u + c)`;
  for (let a = 0; a < r; a++) {
    const pad = s.pads[a]!, st = s.strides[a]!, dl = s.dilations[a]!, ind = '    ' + '  '.repeat(a);
    // Tap loops are not unrolled here (rt0, see shader.ts): the 4 columns already are, and unrolling both
    // made lavapipe spend ~1 s compiling each such kernel.
    body += `${ind}for (var k${a} = 0u; k${a} < ${kSp[a]}u + rt0; k${a}++) {\n`;
    wIdx = `(${wIdx} * ${kSp[a]}u + k${a})`;
    if (a < last) {
      body += `${ind}  let t${a} = i32(o${a + 2} * ${st}u + k${a} * ${dl}u) - ${pad};\n` +
        `${ind}  if (t${a} < 0 || t${a} >= ${inSp[a]}) { continue; }\n`;
      xIdx = `(${xIdx} * ${inSp[a]}u + u32(t${a}))`;
      continue;
    }
    body += `${ind}  let wi = ${wIdx};\n${ind}  let wv = vec4<f32>(w[wi], w[wi + ${wStride}u], w[wi + ${2 * wStride}u], w[wi + ${3 * wStride}u]);\n` +
      `${ind}  let row = ${xIdx} * ${inSp[a]}u;\n`;
    for (let j = 0; j < BLOCK; j++) {
      body += `${ind}  { let t = i32((ox0 + ${j}u) * ${st}u + k${a} * ${dl}u) - ${pad};\n` +
        `${ind}    if (ox0 + ${j}u < ${OW}u && t >= 0 && t < ${inSp[a]}) { acc${j} += x[row + u32(t)] * wv; } }\n`;
    }
  }
  for (let a = r - 1; a >= 0; a--) body += `${'    ' + '  '.repeat(a)}}\n`;
  const spBase = outSp.slice(0, last).reduce((e, d, a) => `(${e} * ${d}u + o${a + 2})`, '0u');
  const store = `  let accs = array<vec4<f32>, ${BLOCK}>(acc0, acc1, acc2, acc3);
  for (var j = 0u; j < ${BLOCK}u + rt0; j++) {
    if (ox0 + j >= ${OW}u) { break; }
    let sp = ${spBase} * ${OW}u + ox0 + j;
    for (var l = 0u; l < 4u + rt0; l++) {
      let mj = m + l;
      let flat = (n * ${M}u + mj) * ${S}u + sp;
      var value = accs[j][l];
${emitEpilogue(s.epilogue, s.operands, 'flat', 'mj', s.y, '      ')}
      y[flat] = value;
    }
  }
`;
  const code = `${declareBindings(binds)}
${mainStart(threads)}${coords('gid', grid, 'o')}
  let n = o0; let m = o1 * 4u; let ox0 = o${r + 1} * ${BLOCK}u;
  let c0 = (m / ${Mg}u) * ${Cg}u;
  var acc0 = vec4<f32>(0.0); var acc1 = vec4<f32>(0.0); var acc2 = vec4<f32>(0.0); var acc3 = vec4<f32>(0.0);
  for (var c = 0u; c < ${Cg}u + rt0; c++) {
${body}  }
${store}}
`;
  return { code, wg: dispatchSize(threads) };
}
