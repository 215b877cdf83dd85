// Backward convolution kernels for training graphs (ops from src/ops/conv-grad.ts).
// ConvGradInput(dY, W) of a stride-1 conv is itself a stride-1 conv: dX = conv(dY, W') with W' the
// transposed, spatially flipped weights and pads d*(k-1) - p; it runs on the forward conv kernels with W'
// packed each run (./conv.ts buildConv, weights { flip: true }).
// ConvGradWeight(dY, X): dW[m, k] = sum over images n and positions p of dY[n, m, p] * Xcol_n[k, p], a GEMM
// per image with the reduction over p: A = dY_n as MR-row panels, B = Xcol_n transposed as NR-column panels
// (k along the columns), accumulated into a per-thread partial dW (images split across threads), then the
// partials are summed into dW. Without stride and padding it needs no packing at all: dY rows and X rows are
// both contiguous along the output columns, and ../wasm/grad-weight.ts multiplies them in place.
// ConvGradInput of any other conv (strided, or padding past the flipped window) is a GEMM and a scatter:
// dXcol[k, p] = sum over m of W[m, k] * dY[n, m, p] (A = W transposed, packed in MR-row panels once per run;
// B = dY_n read in place as a row-major [Mg, P] matrix), then col2im adds dXcol into dX, images split across
// threads.
import type { Node } from '../../../src/ir/graph.ts';
import { emitGemm } from '../wasm/gemm.ts';
import { emitStridedCopy } from '../wasm/strided-copy.ts';
import { emitGradWeight, gradWeightRows } from '../wasm/grad-weight.ts';
import { split, staticShape, type KernelBuild, type KernelFactory } from '../kernel.ts';
import { buildConv, MR, NR, V, type ConvGeometry } from './conv.ts';

interface GradAttrs { strides: number[]; pads: number[]; dilations: number[]; group: number }

function gradAttrs(n: Node): GradAttrs {
  const a = n.attrs as Record<string, unknown>;
  return {
    strides: (a.strides as number[] | undefined) ?? [1, 1], pads: (a.pads as number[] | undefined) ?? [0, 0, 0, 0],
    dilations: (a.dilations as number[] | undefined) ?? [1, 1], group: Number(a.group ?? 1),
  };
}

const isGrad = (n: Node, op: string) => n.domain === 'ai.layerc' && n.op === op && [...n.inputs, ...n.outputs].every((v) => v?.type.dtype === 'float32');

export const convGradInputKernel: KernelFactory = (node, opts) => {
  if (!isGrad(node, 'ConvGradInput') || !opts.simd) return null;
  const dy = staticShape(node.inputs[0]), w = staticShape(node.inputs[1]), dx = staticShape(node.outputs[0]);
  if (dy.length !== 4) return null;
  const a = gradAttrs(node);
  const [KH, KW] = [w[2]!, w[3]!], [DH, DW] = a.dilations as [number, number];
  const PT = DH * (KH - 1) - a.pads[0]!, PL = DW * (KW - 1) - a.pads[1]!;
  if (a.strides.some((s) => s !== 1) || PT < 0 || PL < 0) return gradInputByGemm(node, a);
  const c: ConvGeometry = { N: dy[0]!, C: dy[1]!, H: dy[2]!, W: dy[3]!, M: dx[1]!, G: a.group, KH, KW, OH: dx[2]!, OW: dx[3]!,
    SH: 1, SW: 1, DH, DW, PT, PL };
  // buildConv declines depthwise convs (their forward kernel is depthwise.ts): those take the GEMM + col2im path.
  return buildConv(node, { c, x: node.inputs[0]!, y: node.outputs[0]!, steps: [], weights: { kind: 'runtime', value: node.inputs[1]!, flip: true }, kind: 'grad-input ' }, opts)
    ?? gradInputByGemm(node, a);
};

export const convGradWeightKernel: KernelFactory = (node, opts) => {
  if (!isGrad(node, 'ConvGradWeight') || !opts.simd) return null;
  const dy = staticShape(node.inputs[0]), x = staticShape(node.inputs[1]), w = staticShape(node.outputs[0]);
  if (dy.length !== 4 || x.length !== 4) return null;
  const a = gradAttrs(node);
  const [N, C, H, W] = x as [number, number, number, number], [, M, OH, OW] = dy as [number, number, number, number];
  const [, Cg, KH, KW] = w as [number, number, number, number];
  const G = a.group, Mg = M / G, K = Cg * KH * KW, P = OH * OW;
  const [SH, SW] = a.strides as [number, number], [DH, DW] = a.dilations as [number, number], [PT, PL] = a.pads as [number, number];
  if (SH === 1 && SW === 1 && a.pads.every((p) => p === 0) && OH + (KH - 1) * DH <= H && OW + (KW - 1) * DW <= W) {
    return gradWeightDirect(node, { M, C, G, H, W, OH, OW, KH, KW, DH, DW }, N);
  }
  const mbs = Math.ceil(Mg / MR), kbs = Math.ceil(K / NR);
  const aFloats = mbs * P * MR, bFloats = kbs * P * NR, part = M * K;
  const perThread = aFloats + bFloats + part;
  return {
    kind: `conv grad-weight ${KH}x${KW}/${SH} ${C}->${M}${G > 1 ? ` g${G}` : ''} gemm ${Mg}x${P}x${K} per image`,
    scratchBytes: perThread * 4,
    emit(ctx) {
      const fn = ctx.wasmName('cgw'), copy = ctx.wasmName('copy');
      // C[Mg, K] += A[Mg, P] * B[P, K]; the partial sum itself is the 'full' operand of the add.
      const code = emitGemm({ M: Mg, N: K, K: P, MR, V, ldc: K, steps: [{ kind: 'add', per: 'full' }], rowsOuter: false });
      const DY = ctx.at(node.inputs[0]) / 4, X = ctx.at(node.inputs[1]) / 4, DW_ = ctx.at(node.outputs[0]) / 4;
      const base = `${ctx.scratch / 4} + tid * ${perThread}`;
      const packA = `for (let mb = 0; mb < ${mbs}; mb++) for (let r = 0; r < ${MR}; r++) {
          const m = mb * ${MR} + r, d = sa + mb * ${P * MR} + r;
          if (m >= ${Mg}) { for (let p = 0; p < ${P}; p++) F[d + p * ${MR}] = 0; continue; }
          const s = ${DY} + (n * ${M} + g * ${Mg} + m) * ${P};
          for (let p = 0; p < ${P}; p++) F[d + p * ${MR}] = F[s + p];
        }`;
      // Column k of B (one tap of one input channel) for every output position; the in-bounds span of a row,
      // [oxa, oxb), is computed once per tap so the copy loop has no bounds checks. Columns past K stay zero
      // (written once per run, below).
      const packB = `for (let k = 0; k < ${K}; k++) {
          const d = sb + ((k / ${NR}) | 0) * ${P * NR} + (k % ${NR});
          const ci = (k / ${KH * KW}) | 0, rr = k - ci * ${KH * KW}, ky = (rr / ${KW}) | 0, kx = rr - ky * ${KW};
          const src = ${X} + (n * ${C} + g * ${Cg} + ci) * ${H * W} - ${PL} + kx * ${DW};
          const oxa = Math.min(${OW}, Math.max(0, Math.ceil((${PL} - kx * ${DW}) / ${SW}))), oxb = Math.max(oxa, Math.min(${OW}, Math.ceil((${W + PL} - kx * ${DW}) / ${SW})));
          for (let oy = 0; oy < ${OH}; oy++) {
            const iy = oy * ${SH} - ${PT} + ky * ${DH}, dd = d + oy * ${OW * NR};
            if (iy < 0 || iy >= ${H}) { for (let ox = 0; ox < ${OW}; ox++) F[dd + ox * ${NR}] = 0; continue; }
            const sr = src + iy * ${W};
            let ox = 0;
            for (; ox < oxa; ox++) F[dd + ox * ${NR}] = 0;
            W.${copy}((sr + oxa * ${SW}) * 4, (dd + oxa * ${NR}) * 4, oxb - oxa);
            for (ox = oxb; ox < ${OW}; ox++) F[dd + ox * ${NR}] = 0;
          }
        }`;
      const zeroPadColumns = K % NR ? `for (let k = ${K}; k < ${kbs * NR}; k++) for (let p = 0, d = sb + ${(kbs - 1) * P * NR} + (k % ${NR}); p < ${P}; p++) F[d + p * ${NR}] = 0;` : '';
      return {
        wasm: [{ name: fn, code }, { name: copy, code: emitStridedCopy(SW, NR) }],
        phases: [
          { js: `${split(N, 'n0', 'n1')}
    const sa = ${base}, sb = sa + ${aFloats}, sc = sb + ${bFloats};
    F.fill(0, sc, sc + ${part});
    ${zeroPadColumns}
    for (let n = n0; n < n1; n++) for (let g = 0; g < ${G}; g++) {
        ${packA}
        ${packB}
        const cAt = (sc + g * ${Mg * K}) * 4;
        W.${fn}(sa * 4, sb * 4, cAt, 0, ${mbs}, 0, ${kbs}, cAt);
    }` },
          // dW = sum of the threads' partials (elements split across threads).
          { js: `${split(part)}
    for (let i = lo; i < hi; i++) {
      let s = 0;
      for (let t = 0; t < nt; t++) s += F[${ctx.scratch / 4} + t * ${perThread} + ${aFloats + bFloats} + i];
      F[${DW_} + i] = s;
    }` },
        ],
      };
    },
  };
};

/** ConvGradWeight of a stride-1 unpadded conv on ../wasm/grad-weight.ts: images split across threads, each
 *  accumulating into its own partial dW (one thread: into dW itself), then the partials summed. */
function gradWeightDirect(node: Node, s: Parameters<typeof emitGradWeight>[0], N: number): KernelBuild {
  const part = s.M * (s.C / s.G) * s.KH * s.KW;
  return {
    kind: `conv grad-weight direct ${s.KH}x${s.KW}/1 ${s.C}->${s.M}${s.G > 1 ? ` g${s.G}` : ''} rows of ${gradWeightRows(s.KW, s.M / s.G)}`,
    scratchBytes: part * 4,
    emit(ctx) {
      const fn = ctx.wasmName('cgwd');
      const DY = ctx.at(node.inputs[0]), X = ctx.at(node.inputs[1]), DW_ = ctx.at(node.outputs[0]) / 4;
      const accumulate = (partAt: string) => `${split(N, 'n0', 'n1')}
    const sc = ${partAt};
    F.fill(0, sc, sc + ${part});
    W.${fn}(${DY}, ${X}, sc * 4, n0, n1);`;
      if (ctx.threads === 1) return { wasm: [{ name: fn, code: emitGradWeight(s) }], phases: [{ js: accumulate(String(DW_)) }] };
      return {
        wasm: [{ name: fn, code: emitGradWeight(s) }],
        phases: [
          { js: accumulate(`${ctx.scratch / 4} + tid * ${part}`) },
          { js: `${split(part)}
    for (let i = lo; i < hi; i++) {
      let s = 0;
      for (let t = 0; t < nt; t++) s += F[${ctx.scratch / 4} + t * ${part} + i];
      F[${DW_} + i] = s;
    }` },
        ],
      };
    },
  };
}

/** ConvGradInput as dXcol = W^T dY_n (wasm GEMM) and col2im, for any stride, padding, dilation and group. */
function gradInputByGemm(node: Node, a: GradAttrs): KernelBuild {
  const [N, M, OH, OW] = staticShape(node.inputs[0]) as [number, number, number, number];
  const [, Cg, KH, KW] = staticShape(node.inputs[1]) as [number, number, number, number];
  const [, C, H, W] = staticShape(node.outputs[0]) as [number, number, number, number];
  const G = a.group, Mg = M / G, K = Cg * KH * KW, P = OH * OW;
  const [SH, SW] = a.strides as [number, number], [DH, DW] = a.dilations as [number, number], [PT, PL] = a.pads as [number, number];
  const mbs = Math.ceil(K / MR), panels = G * mbs * Mg * MR;
  return {
    kind: `conv grad-input gemm+col2im ${KH}x${KW}/${SH} ${M}->${C}${G > 1 ? ` g${G}` : ''} gemm ${K}x${Mg}x${P} per image`,
    scratchBytes: K * P * 4,
    sharedScratchBytes: panels * 4,
    emit(ctx) {
      const fn = ctx.wasmName('cgi');
      const code = emitGemm({ M: K, N: P, K: Mg, MR, V, ldc: P, steps: [], rowsOuter: K > P, ldb: P });
      const DY = ctx.at(node.inputs[0]) / 4, Wt = ctx.at(node.inputs[1]) / 4, DX = ctx.at(node.outputs[0]) / 4;
      const PA = ctx.sharedScratch / 4, COL = `${ctx.scratch / 4} + tid * ${K * P}`;
      return {
        wasm: [{ name: fn, code }],
        phases: [
          // A[g][kb][m][r] = W[g*Mg + m, k = kb*MR + r] (zero past K), row panels split across threads.
          { js: `${split(G * mbs)}
    for (let q = lo; q < hi; q++) {
      const g = (q / ${mbs}) | 0, kb = q - g * ${mbs}, d = ${PA} + q * ${Mg * MR};
      for (let m = 0; m < ${Mg}; m++) for (let r = 0; r < ${MR}; r++) {
        const k = kb * ${MR} + r;
        F[d + m * ${MR} + r] = k < ${K} ? F[${Wt} + (g * ${Mg} + m) * ${K} + k] : 0;
      }
    }` },
          { js: `${split(N, 'n0', 'n1')}
    const col = ${COL};
    for (let n = n0; n < n1; n++) {
      F.fill(0, ${DX} + n * ${C * H * W}, ${DX} + (n + 1) * ${C * H * W});
      for (let g = 0; g < ${G}; g++) {
        W.${fn}(${PA * 4} + g * ${mbs * Mg * MR * 4}, (${DY} + (n * ${M} + g * ${Mg}) * ${P}) * 4, col * 4, 0, ${mbs}, 0, ${Math.ceil(P / NR)});
        for (let k = 0; k < ${K}; k++) {
          const ci = (k / ${KH * KW}) | 0, rr = k - ci * ${KH * KW}, ky = (rr / ${KW}) | 0, kx = rr - ky * ${KW};
          const dst = ${DX} + (n * ${C} + g * ${Cg} + ci) * ${H * W}, src = col + k * ${P};
          for (let oy = 0; oy < ${OH}; oy++) {
            const iy = oy * ${SH} - ${PT} + ky * ${DH};
            if (iy < 0 || iy >= ${H}) continue;
            const row = dst + iy * ${W}, srow = src + oy * ${OW};
            for (let ox = 0; ox < ${OW}; ox++) {
              const ix = ox * ${SW} - ${PL} + kx * ${DW};
              if (ix >= 0 && ix < ${W}) F[row + ix] += F[srow + ox];
            }
          }
        }
      }
    }` },
        ],
      };
    },
  };
}
