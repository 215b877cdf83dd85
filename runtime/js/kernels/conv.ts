// Conv (and Fused with a Conv base) as packed GEMM per image and group: Y[Mg, P] = W[Mg, K] * X_col[K, P]
// with K = Cg*KH*KW and P = OH*OW. The weights are packed into MR-row panels at compile time; the input
// is packed at run time straight into NR-column panels (im2col and packing in one pass, padding taps
// written as zeros), which the wasm micro-kernel then streams. A 1-D conv is a 2-D conv with H = 1.
// Threads: with at least as many images as threads each thread takes whole images (its own scratch, no
// barriers); otherwise they split one image's column panels (each packs the panels it multiplies, no barrier) or,
// with many more row blocks than panels, pack together, meet at a barrier and split the row blocks.
// Depthwise convs are not GEMMs and have their own kernel (./depthwise.ts).
import type { Node, Value } from '../../../src/ir/graph.ts';
import type { Tensor } from '../../../src/ir/tensor.ts';
import { fusedView, type EpilogueStep } from '../../../src/ops/fused-contract.ts';
import { axisGeometry, readWindowAttrs } from '../../../src/ops/window.ts';
import { RAISE } from '../../../src/ops/dims.ts';
import { emitGemm } from '../wasm/gemm.ts';
import { DIRECT_OPERANDS, emitDirect } from '../wasm/direct.ts';
import { kernelTakes } from '../wasm/epilogue.ts';
import { emitPackPanel } from '../wasm/pack-panel.ts';
import { emitPadPlane } from '../wasm/pad-plane.ts';
import { operandSteps, splitEpilogue, tailPassJs, type Per } from '../epilogue.ts';
import { split, staticShape, weightRows, type BuildOptions, type ConstWriter, type EmitContext, type Emitted, type KernelBuild, type KernelFactory, type Phase } from '../kernel.ts';

export const MR = 4, V = 2, NR = 4 * V;
/** Floats of packed im2col panels a thread keeps at once (256 KiB: within L2 beside the weights). */
export const PACK_CHUNK_FLOATS = 65536;

export interface ConvGeometry {
  N: number; C: number; H: number; W: number; M: number; G: number; KH: number; KW: number;
  OH: number; OW: number; SH: number; SW: number; DH: number; DW: number; PT: number; PL: number;
}

/** The conv's geometry with 1-D convs lifted to 2-D; null for 3-D and higher. */
export function convGeometry(node: Node, attrs: Record<string, unknown>): ConvGeometry | null {
  const x = staticShape(node.inputs[0]), w = staticShape(node.inputs[1]), y = staticShape(node.outputs[0]);
  if (x.length !== 4 && x.length !== 3) return null;
  const lift = (a: number[]) => (x.length === 3 ? [a[0]!, a[1]!, 1, a[2]!] : a);
  const [N, C, H, W] = lift(x), [M, , KH, KW] = lift(w), [, , OH, OW] = lift(y);
  const win = readWindowAttrs(RAISE, 'Conv', attrs, w.slice(2));
  const geo = x.slice(2).map((d, i) => axisGeometry(win, i, d));
  const st = x.length === 3 ? [1, win.strides[0]!] : win.strides;
  const dl = x.length === 3 ? [1, win.dilations[0]!] : win.dilations;
  const pads = x.length === 3 ? [0, geo[0]![0]] : [geo[0]![0], geo[1]![0]];
  return { N: N!, C: C!, H: H!, W: W!, M: M!, G: Number(attrs.group ?? 1), KH: KH!, KW: KW!, OH: OH!, OW: OW!,
    SH: st[0]!, SW: st[1]!, DH: dl[0]!, DW: dl[1]!, PT: pads[0]!, PL: pads[1]! };
}

/**
 * The base attributes and epilogue of a Conv or Fused(Conv) node (the bias, when present, as the first step),
 * with the operands whose broadcast the contract declares (the bias: per channel); null for other nodes.
 */
export function convParts(node: Node): { attrs: Record<string, unknown>; steps: EpilogueStep[]; declared: Record<number, Per> } | null {
  const v = fusedView(node);
  if (!v || v.base !== 'Conv') return null;
  const bias: EpilogueStep[] = v.bias ? [{ kind: 'add', input: v.bias.input }] : [];
  return { attrs: v.attrs, steps: [...bias, ...v.epilogue], declared: v.bias ? { [v.bias.input]: 'row' } : {} };
}

/** Weights [M, Cg, KH, KW] packed per group into [ceil(Mg/MR)][K][MR] panels (zero rows pad), written into memory at instantiation. */
function packWeights(weight: Tensor, G: number, Mg: number, K: number): ConstWriter {
  const mbs = Math.ceil(Mg / MR);
  // A full panel reads its MR rows side by side (MR sequential streams) and writes the panel sequentially: one
  // pass over fresh memory (scattering one row at a time revisited every cache line MR times). MR is 4.
  const write = (out: Float32Array) => {
    const { data: w, scale } = weightRows(weight); // scale: a folded BatchNorm's, applied here (kernel.ts)
    for (let g = 0; g < G; g++) for (let mb = 0; mb < mbs; mb++) {
      const rows = Math.min(MR, Mg - mb * MR), row0 = g * Mg + mb * MR, s0 = row0 * K, d0 = (g * mbs + mb) * K * MR;
      if (scale && rows === 4) {
        const a0 = scale[row0]!, a1 = scale[row0 + 1]!, a2 = scale[row0 + 2]!, a3 = scale[row0 + 3]!;
        for (let k = 0, d = d0; k < K; k++, d += 4) {
          out[d] = w[s0 + k]! * a0; out[d + 1] = w[s0 + K + k]! * a1; out[d + 2] = w[s0 + 2 * K + k]! * a2; out[d + 3] = w[s0 + 3 * K + k]! * a3;
        }
      } else if (scale) {
        for (let r = 0; r < rows; r++) { const a = scale[row0 + r]!; for (let k = 0; k < K; k++) out[d0 + k * MR + r] = w[s0 + r * K + k]! * a; }
      } else if (rows === 4) {
        for (let k = 0, d = d0; k < K; k++, d += 4) {
          out[d] = w[s0 + k]!; out[d + 1] = w[s0 + K + k]!; out[d + 2] = w[s0 + 2 * K + k]!; out[d + 3] = w[s0 + 3 * K + k]!;
        }
      } else for (let r = 0; r < rows; r++) for (let k = 0; k < K; k++) out[d0 + k * MR + r] = w[s0 + r * K + k]!;
    }
  };
  return { length: G * mbs * K * MR, write };
}

/**
 * JS that packs image `n`, group `g`, panels nb in [plo, phi) of the im2col matrix into [nb][K][NR] at
 * float index `dst`. Panel-major, so writes are sequential. A panel whose taps all lie inside the input and
 * whose NR columns lie in one output row (the common interior case) is packed by one wasm call
 * (../wasm/pack-panel.ts); other panels copy straight per tap where they can and check bounds per column.
 */
function packJs(c: ConvGeometry, K: number, x: number, panel: string): string {
  const { H, W, KH, KW, OH, OW, SH, SW, DH, DW, PT, PL } = c;
  const Cg = c.C / c.G, P = OH * OW;
  const straight = Array.from({ length: NR }, (_, j) => `F[d + ${j}] = F[s + ${j * SW}];`).join(' ');
  return `for (let nb = plo; nb < phi; nb++) {
      const col0 = nb * ${NR}, oy = (col0 / ${OW}) | 0, ox0 = col0 - oy * ${OW};
      const oneRow = ox0 + ${NR} <= ${OW};
      let d = dst + nb * ${K * NR};
      const iy0 = oy * ${SH} - ${PT}, ix0 = ox0 * ${SW} - ${PL};
      // Interior panel (every tap inside the input): the whole panel in one wasm call.
      if (oneRow && iy0 >= 0 && iy0 + ${(KH - 1) * DH} < ${H} && ix0 >= 0 && ix0 + ${(KW - 1) * DW + (NR - 1) * SW} < ${W}) {
        W.${panel}((${x / 4} + (n * ${c.C} + g * ${Cg}) * ${H * W} + iy0 * ${W} + ix0) * 4, d * 4);
        continue;
      }
      for (let ci = 0; ci < ${Cg}; ci++) {
        const src = ${x / 4} + (n * ${c.C} + g * ${Cg} + ci) * ${H * W};
        for (let ky = 0; ky < ${KH}; ky++) for (let kx = 0; kx < ${KW}; kx++, d += ${NR}) {
          const iy = oy * ${SH} - ${PT} + ky * ${DH}, ix = ox0 * ${SW} - ${PL} + kx * ${DW};
          if (oneRow && iy >= 0 && iy < ${H} && ix >= 0 && ix + ${(NR - 1) * SW} < ${W}) {
            const s = src + iy * ${W} + ix;
            ${straight}
            continue;
          }
          for (let j = 0; j < ${NR}; j++) {
            const col = col0 + j;
            let v = 0;
            if (col < ${P}) {
              const py = (col / ${OW}) | 0, px = col - py * ${OW};
              const yy = py * ${SH} - ${PT} + ky * ${DH}, xx = px * ${SW} - ${PL} + kx * ${DW};
              if (yy >= 0 && yy < ${H} && xx >= 0 && xx < ${W}) v = F[src + yy * ${W} + xx];
            }
            F[d + j] = v;
          }
        }
      }
    }`;
}

/** Where a conv's weights come from: a constant (packed at compile time) or a value packed each run. */
export type WeightSource =
  | { kind: 'const'; tensor: Tensor }
  /** flip: the weights of the transposed conv (ConvGradInput): W'[g, m', c', ky, kx] = W[g, c', m', KH-1-ky, KW-1-kx]. */
  | { kind: 'runtime'; value: Value; flip: boolean };

export interface ConvSpec {
  c: ConvGeometry; x: Value; y: Value; steps: EpilogueStep[]; weights: WeightSource; kind?: string;
  /** Operands whose broadcast the fused-node contract declares (the conv bias: per channel, 'row'). */
  declared?: Record<number, Per>;
}

export const convKernel: KernelFactory = (node, opts) => {
  const parts = convParts(node);
  if (!parts || !opts.simd) return null;
  const wv = node.inputs[1];
  if (!wv) return null;
  if ([...node.inputs, ...node.outputs].some((v) => v && v.type.dtype !== 'float32')) return null;
  const c = convGeometry(node, parts.attrs);
  if (!c) return null;
  const weights: WeightSource = wv.const ? { kind: 'const', tensor: wv.const } : { kind: 'runtime', value: wv, flip: false };
  return buildConv(node, { c, x: node.inputs[0]!, y: node.outputs[0]!, steps: parts.steps, declared: parts.declared, weights }, opts);
};

/** JS packing runtime weights into panels [g][mb][k][MR] at float index `dst`, (g, mb) pairs split across threads. */
function packRuntimeWeights(c: ConvGeometry, w: WeightSource & { kind: 'runtime' }, wAt: number, dst: number): string {
  const Mg = c.M / c.G, Cg = c.C / c.G, K = Cg * c.KH * c.KW, mbs = Math.ceil(Mg / MR), T = c.KH * c.KW;
  // Source index of weight (group g, output channel m within the group, reduction index k).
  const src = w.flip
    ? `((g * ${Cg} + ci) * ${Mg} + m) * ${T} + (${c.KH - 1} - ky) * ${c.KW} + (${c.KW - 1} - kx)`
    : `(g * ${Mg} + m) * ${K} + k`;
  return `${split(c.G * mbs)}
    for (let q = lo; q < hi; q++) {
      const g = (q / ${mbs}) | 0, mb = q - g * ${mbs};
      for (let k = 0; k < ${K}; k++) {
        const ci = (k / ${T}) | 0, rr = k - ci * ${T}, ky = (rr / ${c.KW}) | 0, kx = rr - ky * ${c.KW};
        for (let r = 0; r < ${MR}; r++) {
          const m = mb * ${MR} + r;
          F[${dst} + ((g * ${mbs} + mb) * ${K} + k) * ${MR} + r] = m < ${Mg} ? F[${wAt} + ${src}] : 0;
        }
      }
    }`;
}

/** The conv kernel for a spec: direct 1x1 GEMM, direct stride-1 window kernel, or im2col + packed GEMM. */
export function buildConv(node: Node, spec: ConvSpec, opts: BuildOptions): KernelBuild | null {
  const c = spec.c;
  if (c.G < 1 || c.C % c.G || c.M % c.G) return null;
  const Mg = c.M / c.G, Cg = c.C / c.G;
  if (Cg === 1 && Mg === 1 && c.G > 1) return null; // depthwise: ./depthwise.ts
  const K = Cg * c.KH * c.KW, P = c.OH * c.OW;
  const ep = splitEpilogue(node, spec.steps, staticShape(spec.y), 1, opts.simdEpilogue !== false, spec.declared);
  if (!ep) return null;
  const mbs = Math.ceil(Mg / MR), nbs = Math.ceil(P / NR);
  const runtimeW = spec.weights.kind === 'runtime' ? spec.weights : null;
  // A 1x1, stride-1, unpadded conv's input already is the [K, P] matrix: the GEMM reads it in place.
  const direct = c.KH === 1 && c.KW === 1 && c.SH === 1 && c.SW === 1 && c.PT === 0 && c.PL === 0 && c.OH === c.H && c.OW === c.W;
  // Stride-1 convs with a window skip im2col: the direct kernel reads (padded) input rows per tap.
  const rowConv = !direct && c.SH === 1 && c.SW === 1 && c.KH * c.KW > 1 && kernelTakes(ep.simd, DIRECT_OPERANDS);
  const PH = Math.max(c.H + c.PT, c.OH + (c.KH - 1) * c.DH), PW = Math.max(c.W + c.PL, c.OW + (c.KW - 1) * c.DW);
  const inPlaceInput = rowConv && c.PT === 0 && c.PL === 0 && PH === c.H && PW === c.W;
  const padFloats = Cg * PH * PW + 64;
  // Fewer images than threads: split by column panels (a thread packs exactly the panels it multiplies) when there
  // are more panels than row blocks or plenty of panels, else by rows.
  const byCols = c.N < opts.threads && (mbs < nbs || nbs >= 8 * opts.threads);
  // With whole images or column panels per thread and the columns outer, a thread packs and multiplies CH panels at
  // a time, so the packed panels stay in L2 (ResNet-18's 7x7/2 stem packed 7.4 MB before its GEMM read them back;
  // MobileNetV2's stem at 2 threads packed 0.7 MB per thread, 1.54x); rows outer streams the weights once per call,
  // so it packs the image at once.
  const chunked = (c.N >= opts.threads || byCols) && Mg <= P, CH = chunked ? Math.max(1, Math.min(nbs, Math.floor(PACK_CHUNK_FLOATS / (K * NR)))) : nbs;
  const scratchBytes = direct || inPlaceInput ? 0 : rowConv ? padFloats * 4 : CH * K * NR * 4;
  const panelBytes = mbs * K * MR * 4;
  const build: KernelBuild = {
    kind: `${spec.kind ?? ''}${rowConv ? 'direct ' : ''}conv ${c.KH}x${c.KW}/${c.SH} ${Cg * c.G}->${c.M}${c.G > 1 ? ` g${c.G}` : ''} gemm ${Mg}x${K}x${P}${runtimeW ? ' (weights packed per run)' : ''}`,
    scratchBytes,
    scratchShared: c.N < opts.threads && !rowConv && !chunked, // the row conv copies per thread (emitRowConv)
    sharedScratchBytes: runtimeW ? c.G * panelBytes : 0,
    consts: spec.weights.kind === 'const' ? [packWeights(spec.weights.tensor, c.G, Mg, K)] : [],
    emit(ctx) {
      const wAddr = runtimeW ? ctx.sharedScratch : ctx.consts[0]!;
      const packW: Phase[] = runtimeW ? [{ js: packRuntimeWeights(c, runtimeW, ctx.at(runtimeW.value) / 4, wAddr / 4) }] : [];
      const withW = (e: Emitted): Emitted => ({ ...e, phases: [...packW, ...e.phases] });
      if (rowConv) return withW(emitRowConv(ctx, node, spec, { Mg, Cg, PH, PW, padFloats, inPlaceInput, steps: ep, panelBytes, scratchBytes, wAddr }));
      const fn = ctx.wasmName('conv');
      const rowsOuter = Mg > P;
      const code = ctx.code(emitGemm, { M: Mg, N: P, K, MR, V, ldc: P, steps: ep.simd, rowsOuter, ldb: direct ? P : undefined });
      const xAt = ctx.at(spec.x), yAt = ctx.at(spec.y);
      // Operand base addresses (bytes) for image n, group g, as JS expressions.
      const opArgs = operandSteps(ep.simd).map((s, i) => {
        const a = ctx.at(node.inputs[ep.simdOperands[i]!]);
        if (s.per === 'row') return `${a} + g * ${Mg * 4}`;
        if (s.per === 'full') return `${a} + (n * ${c.M} + g * ${Mg}) * ${P * 4}`;
        return `${a}`;
      });
      const call = (mb: string, nb: string, scratch: string) =>
        `W.${fn}(${wAddr} + g * ${panelBytes}, ${scratch}, ${yAt} + (n * ${c.M} + g * ${Mg}) * ${P * 4}, ${mb}, ${nb}${opArgs.map((a) => `, ${a}`).join('')});`;
      const phases: Phase[] = [];
      const panelFn = ctx.wasmName('panel');
      const pack = packJs(c, K, xAt, panelFn);
      const xImage = `${xAt} + (n * ${c.C} + g * ${Cg}) * ${P * 4}`;
      // Panels [from, to) packed and multiplied CH at a time in this thread's scratch (base), so they stay in L2.
      const threadBase = `const base = ${ctx.scratch / 4} + tid * ${scratchBytes / 4};`;
      const packChunks = (from: string, to: string) => `for (let plo = ${from}; plo < ${to}; plo += ${CH}) {
    // Panels [plo, phi) packed at base: the panel index addresses from dst (wasm wraps a negative base).
    const phi = Math.min(${to}, plo + ${CH}), dst = base - plo * ${K * NR};
    ${pack}
    ${call(`0, ${mbs}`, 'plo, phi', 'dst * 4')}
    }`;
      if (direct) {
        // No packing: images (or, with fewer images than threads, GEMM blocks) split across threads.
        const byRows = mbs >= nbs;
        phases.push({ js: c.N >= ctx.threads
          ? `${split(c.N, 'n0', 'n1')}\n    for (let n = n0; n < n1; n++) for (let g = 0; g < ${c.G}; g++) ${call(`0, ${mbs}`, `0, ${nbs}`, xImage)}`
          : `${split(byRows ? mbs : nbs)}\n    for (let n = 0; n < ${c.N}; n++) for (let g = 0; g < ${c.G}; g++) ${call(byRows ? 'lo, hi' : `0, ${mbs}`, byRows ? `0, ${nbs}` : 'lo, hi', xImage)}` });
      } else if (c.N >= ctx.threads) {
        phases.push({ js: `${split(c.N, 'n0', 'n1')}
    ${threadBase}
    for (let n = n0; n < n1; n++) for (let g = 0; g < ${c.G}; g++) ${packChunks('0', String(nbs))}` });
      } else {
        // Split by column panels, a thread packs exactly the panels it multiplies: one phase, no barrier (CH at a
        // time into its own scratch when chunked). Split by rows (many more row blocks than panels), every thread
        // reads every panel: pack, barrier, multiply.
        for (let n = 0; n < c.N; n++) for (let g = 0; g < c.G; g++) {
          if (chunked) { phases.push({ js: `const n = ${n}, g = ${g};\n    ${threadBase}\n    ${split(nbs, 't0', 't1')}\n    ${packChunks('t0', 't1')}` }); continue; }
          const packed = `const n = ${n}, g = ${g}, dst = ${ctx.scratch / 4};\n    ${split(nbs, 'plo', 'phi')}\n    ${pack}`;
          if (byCols) { phases.push({ js: `${packed}\n    ${call(`0, ${mbs}`, 'plo, phi', `${ctx.scratch}`)}` }); continue; }
          phases.push({ js: packed });
          phases.push({ js: `const n = ${n}, g = ${g};\n    ${split(mbs)}\n    ${call('lo, hi', `0, ${nbs}`, `${ctx.scratch}`)}` });
        }
      }
      if (ep.tail.length) {
        phases.push({ js: `${split(c.N * c.M)}\n    ${tailPassJs(ep.tail, { y: String(yAt / 4), cols: P, channels: c.M, operand: (i) => String(ctx.at(node.inputs[i]) / 4) })}` });
      }
      const panel = direct ? [] : [{ name: panelFn, code: ctx.code(emitPackPanel, { Cg, KH: c.KH, KW: c.KW, NR, H: c.H, W: c.W, SW: c.SW, DH: c.DH, DW: c.DW }) }];
      return withW({ phases, wasm: [{ name: fn, code }, ...panel] });
    },
  };
  return build;
}

interface RowConvLayout { Mg: number; Cg: number; PH: number; PW: number; padFloats: number; inPlaceInput: boolean;
  steps: NonNullable<ReturnType<typeof splitEpilogue>>; panelBytes: number; scratchBytes: number; wAddr: number }

/** Phases of a stride-1 conv on the direct kernel: copy into padded planes (unless read in place), then rows. */
function emitRowConv(ctx: EmitContext, node: Node, spec: ConvSpec, l: RowConvLayout): Emitted {
  const c = spec.c;
  const { Mg, Cg, PH, PW, steps: ep } = l;
  const fn = ctx.wasmName('dconv');
  // Padded copy laid out (row, channel, column): the rows of one output row are contiguous for all channels.
  const code = emitDirect({ M: Mg, C: Cg, KH: c.KH, KW: c.KW, DH: c.DH, DW: c.DW, OH: c.OH, OW: c.OW, MR, steps: ep.simd,
    chanStride: l.inPlaceInput ? c.H * c.W : PW, rowStride: l.inPlaceInput ? c.W : Cg * PW, dataRows: l.inPlaceInput ? undefined : [c.PT, c.PT + c.H] });
  const xAt = ctx.at(spec.x), yAt = ctx.at(spec.y);
  const plane = c.OH * c.OW;
  const ops = operandSteps(ep.simd).map((st, i) => {
    const a = ctx.at(node.inputs[ep.simdOperands[i]!]);
    return st.per === 'row' ? `, ${a} + g * ${Mg * 4}` : st.per === 'full' ? `, ${a} + (n * ${c.M} + g * ${Mg}) * ${plane * 4}` : `, ${a}`;
  }).join('');
  const src = `${xAt / 4} + (n * ${c.C} + g * ${Cg}) * ${c.H * c.W}`;
  // Padded rows y in [lo, hi): zero the row of every channel at once, then copy the input rows inside, in wasm
  // (../wasm/pad-plane.ts: a padded row is a plane of Cg rows, one per channel, read H * W apart; F.fill and
  // F.copyWithin are 5-9x slower on the 2-thread programs' SharedArrayBuffer).
  const padRow = ctx.wasmName('padrow'), zeroRow = ctx.wasmName('zerorow');
  const rowShape = { W: c.W, srcPitch: c.H * c.W, PT: 0, PL: c.PL, PW, floats: Cg * PW, fill: 0 };
  const copy = (lo: string, hi: string, dst: string) => `for (let y = ${lo}; y < ${hi}; y++) {
      const d = (${dst} + y * ${Cg * PW}) * 4, iy = y - ${c.PT};
      if (iy < 0 || iy >= ${c.H}) W.${zeroRow}(0, d);
      else W.${padRow}((${src} + iy * ${c.W}) * 4, d);
    }`;
  const call = (xBytes: string, oy: string) =>
    `W.${fn}(${xBytes}, ${yAt} + (n * ${c.M} + g * ${Mg}) * ${plane * 4}, ${l.wAddr} + g * ${l.panelBytes}, ${oy}${ops});`;
  const phases: Phase[] = [];
  if (c.N >= ctx.threads) {
    phases.push({ js: `${split(c.N, 'n0', 'n1')}
    const s = ${ctx.scratch / 4} + tid * ${l.scratchBytes / 4};
    for (let n = n0; n < n1; n++) for (let g = 0; g < ${c.G}; g++) {
      ${l.inPlaceInput ? '' : copy('0', String(PH), 's')}
      ${call(l.inPlaceInput ? `(${src}) * 4` : 's * 4', `0, ${c.OH}`)}
    }` });
  } else {
    // Threads split the output rows; each copies the padded rows its share reads (its rows plus the window's
    // halo) into its own scratch, so no barrier separates copying from computing.
    for (let n = 0; n < c.N; n++) for (let g = 0; g < c.G; g++) {
      phases.push({ js: `const n = ${n}, g = ${g};
    ${split(c.OH)}
    const s = ${ctx.scratch / 4} + tid * ${l.scratchBytes / 4};
    ${l.inPlaceInput ? '' : copy('lo', `Math.min(${PH}, hi + ${(c.KH - 1) * c.DH})`, 's')}
    ${call(l.inPlaceInput ? `(${src}) * 4` : 's * 4', 'lo, hi')}` });
    }
  }
  if (ep.tail.length) {
    phases.push({ js: `${split(c.N * c.M)}
    ${tailPassJs(ep.tail, { y: String(yAt / 4), cols: plane, channels: c.M, operand: (i) => String(ctx.at(node.inputs[i]) / 4) })}` });
  }
  const copies = l.inPlaceInput ? [] : [{ name: padRow, code: ctx.code(emitPadPlane, { ...rowShape, H: Cg }) }, { name: zeroRow, code: ctx.code(emitPadPlane, { ...rowShape, H: 0 }) }];
  return { phases, wasm: [{ name: fn, code }, ...copies] };
}
