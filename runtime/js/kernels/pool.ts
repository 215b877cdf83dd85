// MaxPool / AveragePool (2-D, also 1-D as H = 1; 3-D and up by poolNd) and the global pools (wasm SIMD rows,
// ../wasm/row-reduce.ts, or generated JS without SIMD): one plane
// (image, channel) per work item, split across threads; the window loops skip padding taps by bounds
// instead of materializing a padded input (the SIMD kernels copy a padded plane, in wasm: ../wasm/pad-plane.ts).
// AveragePool divides by the taps inside the input, or by the taps inside the padded input with count_include_pad (the ONNX rule, ceil-mode overhang excluded).
import type { Node } from '../../../src/ir/graph.ts';
import { axisGeometry, readWindowAttrs } from '../../../src/ops/window.ts';
import { RAISE } from '../../../src/ops/dims.ts';
import { prod, split, staticShape, type KernelBuild, type KernelFactory } from '../kernel.ts';
import { emitDepthwise } from '../wasm/depthwise.ts';
import { emitMaxPoolStride2 } from '../wasm/max-pool-stride2.ts';
import { emitRowReduce } from '../wasm/row-reduce.ts';
import { emitPadPlane } from '../wasm/pad-plane.ts';

export const poolKernel: KernelFactory = (node, opts) => {
  if (node.domain || node.outputs.length !== 1 || node.inputs[0]?.type.dtype !== 'float32') return null;
  const x = staticShape(node.inputs[0]), y = staticShape(node.outputs[0]);
  if (node.op === 'GlobalAveragePool' || node.op === 'GlobalMaxPool') {
    const rows = x[0]! * x[1]!, S = prod(x.slice(2));
    const max = node.op === 'GlobalMaxPool';
    if (opts.simd) {
      return {
        kind: `${node.op} ${rows}x${S} simd`,
        emit: (ctx) => {
          const fn = ctx.wasmName('gpool'), X = ctx.at(node.inputs[0]), Y = ctx.at(node.outputs[0]);
          return { wasm: [{ name: fn, code: emitRowReduce(S, max ? 'max' : 'mean') }], phases: [{ js: `${split(rows)}
    if (hi > lo) W.${fn}(${X} + lo * ${S * 4}, ${Y} + lo * 4, hi - lo);` }] };
        },
      };
    }
    return {
      kind: `${node.op} ${rows}x${S}`,
      emit: (ctx) => {
        const X = ctx.at(node.inputs[0]) / 4, Y = ctx.at(node.outputs[0]) / 4;
        return { phases: [{ js: `${split(rows)}
    for (let r = lo; r < hi; r++) {
      let s = ${max ? '-Infinity' : '0'};
      for (let i = ${X} + r * ${S}, e = i + ${S}; i < e; i++) s = ${max ? 'Math.max(s, F[i])' : 's + F[i]'};
      F[${Y} + r] = ${max ? 's' : `s / ${S}`};
    }` }] };
      },
    };
  }
  if ((node.op !== 'MaxPool' && node.op !== 'AveragePool') || x.length < 3) return null;
  const kernel = node.attrs.kernel_shape as number[];
  const win = readWindowAttrs(RAISE, node.op, node.attrs as Record<string, unknown>, kernel);
  const geo = x.slice(2).map((d, i) => axisGeometry(win, i, d));
  if (x.length > 4) return poolNd(node, x, y, kernel, win, geo);
  const two = x.length === 4;
  const [H, W] = two ? [x[2]!, x[3]!] : [1, x[2]!];
  const [OH, OW] = two ? [y[2]!, y[3]!] : [1, y[2]!];
  const [KH, KW] = two ? kernel : [1, kernel[0]!];
  const [SH, SW] = two ? win.strides : [1, win.strides[0]!];
  const [DH, DW] = two ? win.dilations : [1, win.dilations[0]!];
  const [PT, PL] = two ? [geo[0]![0], geo[1]![0]] : [0, geo[0]![0]];
  const [PB, PR] = two ? [geo[0]![1], geo[1]![1]] : [0, geo[0]![1]];
  const max = node.op === 'MaxPool';
  const includePad = !!node.attrs.count_include_pad;
  const rows = x[0]! * x[1]!;
  // SIMD path: a padded plane copy (-inf or 0 padding) and the depthwise row kernel in max/avg mode.
  // Average pooling qualifies only when every window has the same divisor.
  const PHs = Math.max(H + PT, (OH - 1) * SH + (KH - 1) * DH + 1), PWs = Math.max(W + PL, (OW - 1) * SW + (KW - 1) * DW + 1);
  const uniform = max || (includePad ? PHs <= H + PT + PB && PWs <= W + PL + PR : PT + PB + PL + PR === 0 && PHs <= H && PWs <= W);
  if (opts.simd && uniform) {
    // Without padding the windows stay inside the plane: the kernel reads the input in place (row stride W).
    const inPlace = PT === 0 && PL === 0 && PHs <= H && PWs <= W;
    const scratchFloats = inPlace ? 0 : PHs * PWs + 64;
    // Max over a 2- or 3-wide window at horizontal stride 2: rows first, one shuffle pass (../wasm/max-pool-stride2.ts).
    const rowsFirst = max && SW === 2 && DW === 1 && (KW === 2 || KW === 3);
    return {
      kind: `${node.op} ${KH}x${KW}/${SH} simd${rowsFirst ? ' rows first' : ''}${inPlace ? ' in place' : ''}`,
      scratchBytes: scratchFloats * 4,
      emit: (ctx) => {
        const fn = ctx.wasmName('pool'), PW = inPlace ? W : PWs;
        const code = rowsFirst
          ? emitMaxPoolStride2({ OH, OW, KH, KW: KW as 2 | 3, SH, DH, PW })
          : emitDepthwise({ OH, OW, KH, KW, SH, SW, DH, DW, PW, steps: [], mode: max ? 'max' : 'avg', scale: 1 / (KH * KW) });
        const X = ctx.at(node.inputs[0]) / 4, Y = ctx.at(node.outputs[0]);
        if (inPlace) {
          return { wasm: [{ name: fn, code }], phases: [{ js: `${split(rows)}
    for (let r = lo; r < hi; r++) W.${fn}((${X} + r * ${H * W}) * 4, ${Y} + r * ${OH * OW * 4}, 0);` }] };
        }
        // The padded copy in wasm (../wasm/pad-plane.ts): F.fill and F.copyWithin are slow on shared memory.
        const pad = ctx.wasmName('padplane');
        const padCode = ctx.code(emitPadPlane, { H, W, PT, PL, PW: PWs, floats: scratchFloats, fill: max ? -Infinity : 0 });
        return { wasm: [{ name: fn, code }, { name: pad, code: padCode }], phases: [{ js: `${split(rows)}
    const s = ${ctx.scratch} + tid * ${scratchFloats * 4};
    for (let r = lo; r < hi; r++) {
      W.${pad}(${X * 4} + r * ${H * W * 4}, s);
      W.${fn}(s, ${Y} + r * ${OH * OW * 4}, 0);
    }` }] };
      },
    };
  }
  return {
    kind: `${node.op} ${KH}x${KW}/${SH}`,
    emit: (ctx) => {
      const X = ctx.at(node.inputs[0]) / 4, Y = ctx.at(node.outputs[0]) / 4;
      const divisor = includePad ? 'cntp' : 'cnt';
      return { phases: [{ js: `${split(rows)}
    for (let r = lo; r < hi; r++) {
      const xp = ${X} + r * ${H * W}, yp = ${Y} + r * ${OH * OW};
      for (let oy = 0; oy < ${OH}; oy++) for (let ox = 0; ox < ${OW}; ox++) {
        let s = ${max ? '-Infinity' : '0'}, cnt = 0, cntp = 0;
        for (let ky = 0; ky < ${KH}; ky++) {
          const iy = oy * ${SH} - ${PT} + ky * ${DH};
          if (iy < -${PT} || iy >= ${H + PB}) continue;
          for (let kx = 0; kx < ${KW}; kx++) {
            const ix = ox * ${SW} - ${PL} + kx * ${DW};
            if (ix >= -${PL} && ix < ${W + PR}) cntp++; else continue;
            if (iy < 0 || iy >= ${H} || ix < 0 || ix >= ${W}) continue;
            const v = F[xp + iy * ${W} + ix];
            ${max ? 'if (v > s || v !== v) s = v;' : 's += v;'} cnt++;
          }
        }
        F[yp + oy * ${OW} + ox] = ${max ? 's' : `s / ${divisor}`};
      }
    }` }] };
    },
  };
};

/**
 * MaxPool / AveragePool over 3 or more spatial axes: the JS loops above with one loop per axis (output
 * positions, then window taps; a tap outside the padded input is skipped, one inside the padding counts for
 * count_include_pad only). A NaN anywhere in the window gives NaN (the reference's rule).
 * `geo[d]` = [pad begin, pad end] of spatial axis d.
 */
function poolNd(node: Node, x: number[], y: number[], kernel: number[], win: { strides: number[]; dilations: number[] }, geo: number[][]): KernelBuild {
  const X = x.slice(2), O = y.slice(2), n = X.length, max = node.op === 'MaxPool';
  const idx = (v: string, dims: number[]) => dims.slice(1).reduce((e, d, i) => `(${e}) * ${d} + ${v}${i + 1}`, `${v}0`);
  const outLoops = O.map((d, i) => `for (let o${i} = 0; o${i} < ${d}; o${i}++)`).join(' ');
  const taps = X.map((size, d) => `for (let k${d} = 0; k${d} < ${kernel[d]}; k${d}++) {
          const i${d} = o${d} * ${win.strides[d]} - ${geo[d]![0]} + k${d} * ${win.dilations[d]};
          if (i${d} < -${geo[d]![0]} || i${d} >= ${size + geo[d]![1]!}) continue;`).join('\n          ');
  const inside = X.map((d, i) => `i${i} >= 0 && i${i} < ${d}`).join(' && ');
  return {
    kind: `${node.op} ${kernel.join('x')}/${win.strides.join('x')}`,
    emit: (ctx) => {
      const XA = ctx.at(node.inputs[0]) / 4, YA = ctx.at(node.outputs[0]) / 4;
      return { phases: [{ js: `${split(x[0]! * x[1]!)}
    for (let r = lo; r < hi; r++) {
      const xp = ${XA} + r * ${prod(X)}, yp = ${YA} + r * ${prod(O)};
      ${outLoops} {
        let s = ${max ? '-Infinity' : '0'}, cnt = 0, cntp = 0;
        ${taps}
          cntp++;
          if (${inside}) { const v = F[xp + ${idx('i', X)}]; ${max ? 'if (v > s || v !== v) s = v;' : 's += v;'} cnt++; }
        ${'}'.repeat(n)}
        F[yp + ${idx('o', O)}] = ${max ? 's' : `s / ${node.attrs.count_include_pad ? 'cntp' : 'cnt'}`};
      }
    }` }] };
    },
  };
}
