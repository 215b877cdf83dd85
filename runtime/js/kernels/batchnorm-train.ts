// Training-mode batch normalization as generated JS (src/ops/batchnorm-train.ts defines the ops):
//   BatchNormTrain:     per channel, the batch mean and biased variance (two passes, float64 sums), y, the
//                       running statistics blended by the convention's rule, and the saved mean / inverse std;
//   BatchNormTrainGrad: per channel, dBias = sum dY, dScale = sum dY * xhat, then
//                       dX = scale * invstd / count * (count * dY - dBias - xhat * dScale).
// Threads split the channels. Every sum is formed in float64 as four interleaved partial sums (one chain of
// dependent adds limited the loop to one element per add latency); the reference sums in order, and the
// difference, ~1e-16 relative, is far below the float32 rounding of the results. x is viewed as [N, C, S].
// With SIMD and S % 4 == 0 (conv feature maps), the element loops run in wasm (../wasm/batchnorm-train.ts: the
// same float64 sums, the element-wise passes in float32) and only the per-channel scalars stay in JS.
import type { Node, Value } from '../../../src/ir/graph.ts';
import { oldWeight } from '../../../src/ops/batchnorm-train.ts';
import { lit, prod, split, staticShape, type EmitContext, type KernelFactory } from '../kernel.ts';
import { emitChannelAffine, emitChannelSum } from '../wasm/batchnorm-train.ts';

/** Per-thread scratch of the wasm path: two f64x2 sums (0), the mean as float64 (32), float32 coefficients (48). */
const SCRATCH = 64;
/** JS that sets up the wasm path's scratch views for this thread: s0 (bytes), D (float64), K (float index of the coefficients). */
const scratchViews = (ctx: EmitContext) =>
  `const s0 = ${ctx.scratch} + tid * ${SCRATCH}, D = new Float64Array(F.buffer, s0, 5), K = s0 / 4 + 12;`;

const f32 = (n: Node) => [...n.inputs, ...n.outputs].every((v) => !v || v.type.dtype === 'float32');

/** [N, C, S] of a rank >= 2 value. */
function ncs(v: Value): [number, number, number] {
  const s = staticShape(v);
  return [s[0]!, s[1]!, prod(s.slice(2))];
}

/**
 * Sums over one channel in four interleaved float64 partial sums per accumulator name: `term(i, k)` adds
 * element `o + i` into the accumulators suffixed k; afterwards each name holds its total.
 */
const sumInChannel = (N: number, C: number, S: number, names: string[], term: (i: string, k: number) => string) => {
  const decl = names.map((n) => [0, 1, 2, 3].map((k) => `${n}${k} = 0`).join(', ')).join(', ');
  const total = names.map((n) => `const ${n} = (${n}0 + ${n}1) + (${n}2 + ${n}3);`).join(' ');
  return `let ${decl};
      for (let b = 0; b < ${N}; b++) {
        const o = (b * ${C} + c) * ${S};
        let i = 0;
        for (; i + 3 < ${S}; i += 4) { ${[0, 1, 2, 3].map((k) => term(`i + ${k}`, k)).join(' ')} }
        for (; i < ${S}; i++) { ${term('i', 0)} }
      }
      ${total}`;
};

/** Address (in floats) of an optional value, or null. */
const addr = (ctx: EmitContext, v: Value | null | undefined) => (v ? ctx.at(v) / 4 : null);

/** Loops over one channel's elements: `body` sees the float index `o + i`. */
const eachInChannel = (N: number, C: number, S: number, body: string) =>
  `for (let b = 0; b < ${N}; b++) for (let i = 0, o = (b * ${C} + c) * ${S}; i < ${S}; i++) { ${body} }`;

export const batchNormTrainKernel: KernelFactory = (node, opts) => {
  if (node.domain !== 'ai.layerc' || node.op !== 'BatchNormTrain' || !f32(node)) return null;
  const x = node.inputs[0]!;
  if (staticShape(x).length < 2) return null;
  const [N, C, S] = ncs(x), count = N * S;
  const eps = Number(node.attrs.epsilon ?? 1e-5);
  const w = oldWeight(String(node.attrs.convention ?? 'pytorch'), Number(node.attrs.momentum ?? 0.1));
  const unbias = node.attrs.convention === 'pytorch' || node.attrs.convention === undefined ? (count > 1 ? count / (count - 1) : 1) : 1;
  const wasm = opts.simd && S % 4 === 0;
  return {
    kind: `batchnorm-train ${N}x${C}x${S}${wasm ? ' simd' : ''}`,
    ...(wasm ? { scratchBytes: SCRATCH } : {}),
    emit(ctx) {
      const [X, SC, BI, RM, RV] = node.inputs.map((v) => addr(ctx, v));
      const [Y, NM, NV, SM, IS] = [0, 1, 2, 3, 4].map((k) => addr(ctx, node.outputs[k]));
      const xi = `F[${X} + o + i]`;
      const [sum, sqdev, norm] = wasm ? ['bns', 'bnq', 'bnn'].map((b) => ctx.wasmName(b)) : [];
      const stats = wasm ? `const xc = (${X} + c * ${S}) * 4;
      W.${sum}(xc, s0);
      const m = (D[0] + D[1]) / ${count};
      D[4] = m;
      W.${sqdev}(xc, s0 + 32, s0);
      const v = (D[0] + D[1]) / ${count}, is = 1 / Math.sqrt(v + ${lit(eps)});
      const g = ${SC === null ? 1 : `F[${SC} + c]`}, be = ${BI === null ? 0 : `F[${BI} + c]`};
      F[K] = m; F[K + 1] = g * is; F[K + 2] = be;
      W.${norm}(xc, (${Y} + c * ${S}) * 4, s0 + 48);` : `${sumInChannel(N, C, S, ['sum'], (i, k) => `sum${k} += F[${X} + o + ${i}];`)}
      const m = sum / ${count};
      ${sumInChannel(N, C, S, ['sq'], (i, k) => `{ const d = F[${X} + o + ${i}] - m; sq${k} += d * d; }`)}
      const v = sq / ${count}, is = 1 / Math.sqrt(v + ${lit(eps)});
      const g = ${SC === null ? 1 : `F[${SC} + c]`}, be = ${BI === null ? 0 : `F[${BI} + c]`};
      ${eachInChannel(N, C, S, `F[${Y} + o + i] = g * (${xi} - m) * is + be;`)}`;
      const shape = { N, C, S };
      return { ...(wasm ? { wasm: [{ name: sum!, code: emitChannelSum(shape, 'sum') }, { name: sqdev!, code: emitChannelSum(shape, 'sqdev') },
        { name: norm!, code: emitChannelAffine(shape, 'norm') }] } : {}), phases: [{ js: `${split(C)}${wasm ? scratchViews(ctx) : ''}
    for (let c = lo; c < hi; c++) {
      ${stats}
      ${NM === null ? '' : `F[${NM} + c] = ${lit(w)} * F[${RM} + c] + ${lit(1 - w)} * m;`}
      ${NV === null ? '' : `F[${NV} + c] = ${lit(w)} * F[${RV} + c] + ${lit(1 - w)} * v * ${lit(unbias)};`}
      ${SM === null ? '' : `F[${SM} + c] = m;`}
      ${IS === null ? '' : `F[${IS} + c] = is;`}
    }` }] };
    },
  };
};

export const batchNormTrainGradKernel: KernelFactory = (node, opts) => {
  if (node.domain !== 'ai.layerc' || node.op !== 'BatchNormTrainGrad' || !f32(node)) return null;
  const x = node.inputs[1]!;
  if (staticShape(x).length < 2) return null;
  const [N, C, S] = ncs(x), count = N * S;
  const wasm = opts.simd && S % 4 === 0;
  return {
    kind: `batchnorm-train-grad ${N}x${C}x${S}${wasm ? ' simd' : ''}`,
    ...(wasm ? { scratchBytes: SCRATCH } : {}),
    emit(ctx) {
      const [DY, X, SC, M, IS] = node.inputs.map((v) => addr(ctx, v));
      const [DX, DS, DB] = [0, 1, 2].map((k) => addr(ctx, node.outputs[k]));
      const [dysum, affine] = wasm ? ['bngs', 'bngx'].map((b) => ctx.wasmName(b)) : [];
      const k = `const k = ${SC === null ? 1 : `F[${SC} + c]`} * is / ${count};`;
      const body = wasm ? `const at = c * ${S * 4};
      D[4] = m;
      W.${dysum}(${DY! * 4} + at, ${X! * 4} + at, s0 + 32, s0);
      const sb = D[0] + D[1], ss = (D[2] + D[3]) * is;
      ${DB === null ? '' : `F[${DB} + c] = sb;`}
      ${DS === null ? '' : `F[${DS} + c] = ss;`}
      ${k}
      F[K] = m; F[K + 1] = k * ${count}; F[K + 2] = -k * is * ss; F[K + 3] = -k * sb;
      ${DX === null ? '' : `W.${affine}(${DY! * 4} + at, ${X! * 4} + at, ${DX! * 4} + at, s0 + 48);`}` : `
      ${sumInChannel(N, C, S, ['sb', 'ss'], (i, k) => `{ const dy = F[${DY} + o + ${i}]; sb${k} += dy; ss${k} += dy * (F[${X} + o + ${i}] - m) * is; }`)}
      ${DB === null ? '' : `F[${DB} + c] = sb;`}
      ${DS === null ? '' : `F[${DS} + c] = ss;`}
      ${k}
      ${DX === null ? '' : eachInChannel(N, C, S, `F[${DX} + o + i] = k * (${count} * F[${DY} + o + i] - sb - (F[${X} + o + i] - m) * is * ss);`)}`;
      const shape = { N, C, S };
      return { ...(wasm ? { wasm: [{ name: dysum!, code: emitChannelSum(shape, 'dysum') }, { name: affine!, code: emitChannelAffine(shape, 'grad') }] } : {}),
        phases: [{ js: `${split(C)}${wasm ? scratchViews(ctx) : ''}
    for (let c = lo; c < hi; c++) {
      const m = F[${M} + c], is = F[${IS} + c];
      ${body}
    }` }] };
    },
  };
};
