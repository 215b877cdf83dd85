// Depthwise Conv (group == input channels, any channel multiplier), plain or Fused: per output plane,
// the input plane is copied into a zero-padded per-thread scratch (../wasm/pad-plane.ts: F.fill and F.copyWithin
// are 5-9x slower on the 2-thread programs' SharedArrayBuffer than a wasm SIMD copy), then the
// wasm SIMD plane kernel (../wasm/depthwise.ts) computes the outputs with the epilogue. Planes are split
// across threads; no barriers inside the kernel.
import { DEPTHWISE_OPERANDS, emitDepthwise } from '../wasm/depthwise.ts';
import { emitPadPlane } from '../wasm/pad-plane.ts';
import { kernelTakes } from '../wasm/epilogue.ts';
import { operandSteps, splitEpilogue, tailPassJs } from '../epilogue.ts';
import { split, staticShape, type KernelFactory, type Phase } from '../kernel.ts';
import { convGeometry, convParts } from './conv.ts';

export const depthwiseKernel: KernelFactory = (node, opts) => {
  const parts = convParts(node);
  if (!parts || !opts.simd) return null; // weights may be constants or computed (a training step's parameters)
  if ([...node.inputs, ...node.outputs].some((v) => v && v.type.dtype !== 'float32')) return null;
  const c = convGeometry(node, parts.attrs);
  if (!c || c.G !== c.C || c.G === 1 || c.M % c.C) return null;
  const mult = c.M / c.C;
  const ep = splitEpilogue(node, parts.steps, staticShape(node.outputs[0]), 1, opts.simdEpilogue !== false, parts.declared);
  if (!ep || !kernelTakes(ep.simd, DEPTHWISE_OPERANDS)) return null;
  const { H, W, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL } = c;
  const PH = Math.max(H + PT, (OH - 1) * SH + (KH - 1) * DH + 1);
  const PW = Math.max(W + PL, (OW - 1) * SW + (KW - 1) * DW + 1);
  const scratchFloats = PH * PW + 64;
  const planes = c.N * c.M;
  return {
    kind: `depthwise ${KH}x${KW}/${SH} ${c.C}${mult > 1 ? `x${mult}` : ''} ${OH}x${OW}`,
    scratchBytes: scratchFloats * 4,
    emit(ctx) {
      const fn = ctx.wasmName('dw'), pad = ctx.wasmName('padplane');
      const padCode = ctx.code(emitPadPlane, { H, W, PT, PL, PW, floats: scratchFloats, fill: 0 });
      const code = emitDepthwise({ OH, OW, KH, KW, SH, SW, DH, DW, PW, steps: ep.simd });
      const X = ctx.at(node.inputs[0]) / 4, Y = ctx.at(node.outputs[0]), Wt = ctx.at(node.inputs[1]);
      const ops = operandSteps(ep.simd).map((s, i) => {
        const a = ctx.at(node.inputs[ep.simdOperands[i]!]);
        return s.per === 'row' ? `, ${a} + m * 4` : s.per === 'full' ? `, ${a} + r * ${OH * OW * 4}` : `, ${a}`;
      }).join('');
      const phases: Phase[] = [{ js: `${split(planes)}
    const s = ${ctx.scratch / 4} + tid * ${scratchFloats};
    for (let r = lo; r < hi; r++) {
      const n = (r / ${c.M}) | 0, m = r - n * ${c.M}, src = ${X} + (n * ${c.C} + ((m / ${mult}) | 0)) * ${H * W};
      W.${pad}(src * 4, s * 4);
      W.${fn}(s * 4, ${Y} + r * ${OH * OW * 4}, ${Wt} + m * ${KH * KW * 4}${ops});
    }` }];
      if (ep.tail.length) {
        phases.push({ js: `${split(planes)}\n    ${tailPassJs(ep.tail, { y: String(Y / 4), cols: OH * OW, channels: c.M, operand: (i) => String(ctx.at(node.inputs[i]) / 4) })}` });
      }
      return { phases, wasm: [{ name: fn, code }, { name: pad, code: padCode }] };
    },
  };
};
