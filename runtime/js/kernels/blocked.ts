// Kernels for activations in the blocked layout NCHWc4 ([N][C/4][H][W][4], decided by ../layout.ts): depthwise and
// pointwise convs writing it, GlobalAveragePool reading it. Elementwise ops need none (element i of every operand is
// the same logical element in both layouts). A region's entries and exits are handled here, not by copies: a pointwise
// conv reads an NCHW input through strides or writes an NCHW output lane by lane, a depthwise conv gathers 4 NCHW
// planes into a block first.
// Threads split channel blocks (depthwise) or pixel chunks / output block pairs (pointwise) with no barrier.
import type { Node, Value } from '../../../src/ir/graph.ts';
import { emitBlockedDepthwise, emitGatherBlock } from '../wasm/blocked-depthwise.ts';
import { emitBlockedPointwise, packPointwiseWeights } from '../wasm/blocked-pointwise.ts';
import { emitBlockedMean, emitBlockedScale } from '../wasm/blocked-channel.ts';
import { operandSteps } from '../epilogue.ts';
import { layoutRole } from '../layout.ts';
import { split, staticShape, type KernelBuild } from '../kernel.ts';

/** Input bytes of a pointwise conv's pixel chunk: chunks stay in L2 while every output block reads them. */
const CHUNK_BYTES = 256 * 1024;

/**
 * A pointwise conv's pixel chunks: chunk k of `chunks` covers pixels [4 floor(k quads / chunks), 4 floor((k + 1)
 * quads / chunks)) (the last ends at P), at most CHUNK_BYTES of input each so it stays in L2. With threads, the chunk
 * count per image is raised until the images' chunks divide evenly among the threads (chunks then differ by at most 4
 * pixels): MobileNetV2's 384->64 14x14 layers took chunks of 168 and 28 pixels, one thread doing 6x the other's work
 * (bench/threads-layers.ts: 0.97x at 2 threads). A pixel's sum does not depend on its chunk, so no bit changes.
 */
export function pointwiseChunks(P: number, C: number, N: number, threads: number): { chunks: number; quads: number } {
  const most = Math.max(4, Math.floor(CHUNK_BYTES / (C * 16)) * 4), quads = Math.ceil(P / 4);
  let chunks = Math.ceil(P / most);
  while ((N * chunks) % threads && chunks < quads) chunks++;
  return { chunks, quads };
}

/** The blocked kernel of a node the layout pass put in a region (its output, or for GlobalAveragePool its input, is blocked). */
export function blockedKernel(node: Node, blocked: ReadonlySet<Value>): KernelBuild | null {
  const r = layoutRole(node);
  if (!r) return null;
  if (r.kind === 'gap') return blocked.has(node.inputs[0]!) ? gapKernel(node) : null;
  if (r.kind === 'scale') return blocked.has(node.outputs[0]!) ? scaleKernel(node, r.x) : null;
  if (r.kind === 'elementwise') return null;
  const input = blocked.has(node.inputs[0]!) ? 'nchwc4' : 'nchw', output = blocked.has(node.outputs[0]!) ? 'nchwc4' : 'nchw';
  if (output === 'nchw' && (r.kind === 'depthwise' || input === 'nchw')) return null;
  const { c, ep } = r;
  const ops = (ctx: { at(v: Value | null | undefined): number }, row: string, full: string) => operandSteps(ep.simd).map((s, i) => {
    const a = ctx.at(node.inputs[ep.simdOperands[i]!]);
    return s.per === 'row' ? `, ${a}${row}` : s.per === 'full' ? `, ${a} + ${full}` : `, ${a}`;
  }).join('');
  const w = node.inputs[1]!.const!.data as ArrayLike<number>;
  const CB = c.C / 4, P = c.OH * c.OW;

  if (r.kind === 'pointwise') {
    const nq = Math.ceil(c.M / 8);
    return {
      kind: `blocked pointwise 1x1 ${c.C}->${c.M} ${c.OH}x${c.OW}${input === 'nchw' ? ' (reads NCHW)' : output === 'nchw' ? ' (writes NCHW)' : ''}`,
      consts: [packPointwiseWeights(w, c.M, c.C)],
      emit(ctx) {
        const fn = ctx.wasmName('bpw');
        const X = ctx.at(node.inputs[0]), Y = ctx.at(node.outputs[0]), Wc = ctx.consts[0]!;
        const { chunks, quads } = pointwiseChunks(P, c.C, c.N, ctx.threads);
        const call = (q: string, p: string) =>
          `W.${fn}(${X} + n * ${c.C * P * 4}, ${Wc}, ${Y} + n * ${c.M * P * 4}, ${q}, ${p}${ops(ctx, '', `n * ${c.M * P * 4}`)});`;
        const pRange = `Math.floor(ch * ${quads} / ${chunks}) * 4, Math.min(${P}, Math.floor((ch + 1) * ${quads} / ${chunks}) * 4)`;
        const js = c.N * chunks >= ctx.threads
          ? `${split(c.N * chunks)}\n    for (let r = lo; r < hi; r++) { const n = (r / ${chunks}) | 0, ch = r - n * ${chunks}; ${call(`0, ${nq}`, pRange)} }`
          : `${split(nq)}\n    for (let n = 0; n < ${c.N}; n++) for (let ch = 0; ch < ${chunks}; ch++) ${call('lo, hi', pRange)}`;
        return { phases: [{ js }], wasm: [{ name: fn, code: emitBlockedPointwise({ K: c.C, M: c.M, P, input, output, steps: ep.simd }) }] };
      },
    };
  }

  const { H, W: IW, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL } = c;
  const taps = KH * KW;
  // Tap weights as 4-channel vectors: [block][tap][4].
  const wb = new Float32Array(c.C * taps);
  for (let ch = 0; ch < c.C; ch++) for (let t = 0; t < taps; t++) wb[((ch >> 2) * taps + t) * 4 + (ch & 3)] = w[ch * taps + t]!;
  const gather = input === 'nchw';
  return {
    kind: `blocked depthwise ${KH}x${KW}/${SH} ${c.C} ${OH}x${OW}${gather ? ' (reads NCHW)' : ''}`,
    // An NCHW input block is first interleaved into this thread's scratch (a region's entry).
    scratchBytes: gather ? H * IW * 16 : 0,
    consts: [wb],
    emit(ctx) {
      const fn = ctx.wasmName('bdw'), gfn = ctx.wasmName('gather');
      const X = ctx.at(node.inputs[0]), Y = ctx.at(node.outputs[0]), Wc = ctx.consts[0]!;
      const src = gather ? `s` : `${X} + r * ${H * IW * 16}`;
      const js = `${split(c.N * CB)}
    const s = ${ctx.scratch} + tid * ${H * IW * 16};
    for (let r = lo; r < hi; r++) {
      const n = (r / ${CB}) | 0, cb = r - n * ${CB};
      ${gather ? `W.${gfn}(${X} + (n * ${c.C} + cb * 4) * ${H * IW * 4}, s);` : ''}
      W.${fn}(${src}, ${Y} + r * ${P * 16}, ${Wc} + cb * ${taps * 16}${ops(ctx, ' + cb * 16', `r * ${P * 16}`)});
    }`;
      const wasm = [{ name: fn, code: emitBlockedDepthwise({ H, W: IW, PT, PL, OH, OW, KH, KW, SH, SW, DH, DW, steps: ep.simd }) }];
      if (gather) wasm.push({ name: gfn, code: emitGatherBlock(H * IW, H * IW * 4) });
      return { phases: [{ js }], wasm };
    },
  };
}

/** x * s or x + s, x blocked, s one value per (image or batch 1, channel): one f32x4 of scales per block. */
function scaleKernel(node: Node, x: Value): KernelBuild {
  const [N, C, H, W] = staticShape(x), P = H! * W!, CB = C! / 4, s = node.inputs.find((v) => v !== x)!;
  const perImage = staticShape(s)[0] === N && N! > 1;
  return {
    kind: `blocked channel ${node.op} ${C} ${H}x${W}`,
    emit(ctx) {
      const fn = ctx.wasmName('bscale'), X = ctx.at(x), S = ctx.at(s), Y = ctx.at(node.outputs[0]);
      return {
        phases: [{ js: `${split(N! * CB)}
    for (let r = lo; r < hi; r++) {
      const n = (r / ${CB}) | 0, cb = r - n * ${CB};
      W.${fn}(${X} + r * ${P * 16}, ${S} + (${perImage ? `n * ${C} + ` : ''}cb * 4) * 4, ${Y} + r * ${P * 16});
    }` }],
        wasm: [{ name: fn, code: emitBlockedScale(P, node.op as 'Mul' | 'Add') }],
      };
    },
  };
}

/** GlobalAveragePool of a blocked input: its [N, C, 1, 1] output is laid out the same in NCHW and NCHWc4. */
function gapKernel(node: Node): KernelBuild {
  const [N, C, H, W] = staticShape(node.inputs[0]), P = H! * W!, blocks = N! * C! / 4;
  return {
    kind: `blocked GlobalAveragePool ${C} ${H}x${W}`,
    emit(ctx) {
      const fn = ctx.wasmName('bmean'), X = ctx.at(node.inputs[0]), Y = ctx.at(node.outputs[0]);
      return {
        phases: [{ js: `${split(blocks)}
    for (let r = lo; r < hi; r++) W.${fn}(${X} + r * ${P * 16}, ${Y} + r * 16);` }],
        wasm: [{ name: fn, code: emitBlockedMean(P) }],
      };
    },
  };
}
