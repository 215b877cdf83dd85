// Deliberate kernel bugs the test suite must catch (npm run mutation; see run.ts). Each mutant is one exact
// text replacement in one backend file; `search` must occur exactly once, so a mutant whose code moved
// fails loudly ("no longer applies") instead of silently testing nothing. `tests` are the files run against
// it: the backend differential campaign (test/props/backends.test.ts) for every mutant, plus the suite that
// owns the kernel.
export interface Mutant { id: string; file: string; search: string; replace: string; tests: string[] }

const DIFF = 'test/props/backends.test.ts';
const JS = [DIFF, 'test/js/backend.test.ts'];
const JS_TRAIN = [DIFF, 'test/js/train-step.test.ts'];
const WGSL = [DIFF, 'test/wgsl/random-graphs.test.ts'];
const WGSL_TRAIN = [DIFF, 'test/wgsl/pool-softmax-bn.test.ts'];
const LN = [DIFF, 'test/contract/layernorm-epilogue.test.ts'];
// Every emitter path of the fused-node contract, the JS tail pass included (simdEpilogue: false), and wgsl.
const PATHS = [DIFF, 'test/contract/epilogue-paths.test.ts'];
// Each js conv kernel with pads [t, l, b, r] all different and unequal per-axis dilations.
const CONV_GEOMETRY = [DIFF, 'test/js/conv-geometry.test.ts', 'test/js/backend.test.ts'];

export const MUTANTS: Mutant[] = [
  // --- js: the JS epilogue tail (steps after the first activation without a SIMD form; the whole epilogue of a
  // batched MatMul or a ConvTranspose, or of any kernel with simdEpilogue: false) ---
  { id: 'js-tail-add-is-mul', file: 'runtime/js/epilogue.ts', search: 'add: (o) => `v += ${o};`,', replace: 'add: (o) => `v *= ${o};`,', tests: PATHS },
  { id: 'js-tail-column-operand-read-per-row', file: 'runtime/js/epilogue.ts', search: 'col: (b) => `${b} + c`,', replace: 'col: (b) => `${b} + ch`,', tests: PATHS },
  { id: 'js-tail-full-operand-read-per-row', file: 'runtime/js/epilogue.ts', search: 'full: (b) => `${b} + i`,', replace: 'full: (b) => `${b} + ch`,', tests: PATHS },
  // --- js: operand classification (issue #13: a residual read as a per-channel bias) ---
  { id: 'js-residual-read-per-channel', file: 'runtime/js/epilogue.ts', search: "full: () => 'full',", replace: "full: () => 'row',", tests: JS },
  // --- wasm: the shared SIMD epilogue of the GEMM, direct and depthwise kernels ---
  { id: 'wasm-epilogue-add-mul-swapped', file: 'runtime/js/wasm/epilogue.ts', search: "{ add: 'f32x4.add', mul: 'f32x4.mul' }", replace: "{ add: 'f32x4.mul', mul: 'f32x4.add' }", tests: JS },
  // --- js/wasm: convolution geometry and GEMM flags ---
  { id: 'js-conv-top-pad-off-by-one', file: 'runtime/js/kernels/conv.ts', search: 'PT: pads[0]!, PL: pads[1]! }', replace: 'PT: pads[0]! + 1, PL: pads[1]! }', tests: JS },
  { id: 'js-conv-left-pad-is-top-pad', file: 'runtime/js/kernels/conv.ts', search: 'PT: pads[0]!, PL: pads[1]! }', replace: 'PT: pads[0]!, PL: pads[0]! }', tests: CONV_GEOMETRY },
  { id: 'js-conv-vertical-dilation-ignored', file: 'runtime/js/kernels/conv.ts', search: 'DH: dl[0]!, DW: dl[1]!', replace: 'DH: 1, DW: dl[1]!', tests: JS },
  { id: 'js-conv-horizontal-dilation-is-vertical', file: 'runtime/js/kernels/conv.ts', search: 'DH: dl[0]!, DW: dl[1]!', replace: 'DH: dl[0]!, DW: dl[0]!', tests: CONV_GEOMETRY },
  { id: 'js-gemm-transB-ignored-const-B', file: 'runtime/js/kernels/gemm.ts', search: 'src[transB ? (n0 + c) * K + k : k * Nc + n0 + c]', replace: 'src[k * Nc + n0 + c]', tests: JS },
  { id: 'js-thread-split-drops-last-item', file: 'runtime/js/kernel.ts', search: '${hi} = Math.floor(${n} * (tid + 1) / nt);', replace: '${hi} = Math.floor(${n} * (tid + 1) / nt) - (tid === nt - 1 && nt > 1 ? 1 : 0);', tests: JS },
  // --- js: training kernels ---
  { id: 'js-bn-running-mean-momentum-side', file: 'runtime/js/kernels/batchnorm-train.ts', search: '`F[${NM} + c] = ${lit(w)} * F[${RM} + c] + ${lit(1 - w)} * m;`', replace: '`F[${NM} + c] = ${lit(1 - w)} * F[${RM} + c] + ${lit(w)} * m;`', tests: JS_TRAIN },
  { id: 'js-bn-running-var-biased', file: 'runtime/js/kernels/batchnorm-train.ts', search: '(count > 1 ? count / (count - 1) : 1)', replace: '1', tests: JS_TRAIN },
  { id: 'js-bn-running-var-from-mean', file: 'runtime/js/kernels/batchnorm-train.ts', search: '${lit(1 - w)} * v * ${lit(unbias)};', replace: '${lit(1 - w)} * m * ${lit(unbias)};', tests: JS_TRAIN },
  { id: 'js-conv-grad-input-pad-off-by-one', file: 'runtime/js/kernels/conv-grad.ts', search: 'const PT = DH * (KH - 1) - a.pads[0]!, PL', replace: 'const PT = DH * (KH - 1) - a.pads[0]! + 1, PL', tests: JS_TRAIN },
  // (the chain lowering is passes/fuse-elementwise.ts now; its removals go through the Rewriter, where order no longer matters)
  { id: 'js-elementwise-chain-absorbs-shared-value', file: 'passes/fuse-elementwise.ts',
    search: '&& v.users.length === 1 && !g.outputs.includes(v)', replace: '&& v.users.length >= 1 && !g.outputs.includes(v)', tests: JS_TRAIN },
  // --- wgsl: epilogue ---
  { id: 'wgsl-epilogue-add-is-mul', file: 'runtime/wgsl/epilogue.ts', search: 'add: (o) => `value += ${o};`,', replace: 'add: (o) => `value *= ${o};`,', tests: WGSL },
  { id: 'wgsl-bias-read-by-flat-index', file: 'runtime/wgsl/epilogue.ts', search: "o.index === 'chan' ? chan : broadcastIndex", replace: "o.index === 'chan' ? flat : broadcastIndex", tests: WGSL },
  { id: 'wgsl-gemm-beta-ignored', file: 'runtime/wgsl/epilogue.ts', search: 'o.scale === undefined || o.scale === 1 ? read', replace: 'true ? read', tests: PATHS },
  // --- wgsl: convolution, pooling, GEMM ---
  { id: 'wgsl-conv-pad-off-by-one', file: 'runtime/wgsl/kernels/conv.ts', search: 'body += `${ind}  let t${a} = i32(o${a + 2} * ${st}u + k${a} * ${dl}u) - ${pad};\\n` +', replace: 'body += `${ind}  let t${a} = i32(o${a + 2} * ${st}u + k${a} * ${dl}u) - ${pad} - 1;\\n` +', tests: WGSL },
  { id: 'wgsl-conv-dilation-ignored', file: 'runtime/wgsl/kernels/conv.ts', search: 'body += `${ind}  let t${a} = i32(o${a + 2} * ${st}u + k${a} * ${dl}u) - ${pad};\\n` +', replace: 'body += `${ind}  let t${a} = i32(o${a + 2} * ${st}u + k${a}) - ${pad};\\n` +', tests: WGSL },
  { id: 'wgsl-blocked-conv-pad-off-by-one', file: 'runtime/wgsl/kernels/conv-blocked.ts', search: 'body += `${ind}  let t${a} = i32(o${a + 2} * ${st}u + k${a} * ${dl}u) - ${pad};\\n` +', replace: 'body += `${ind}  let t${a} = i32(o${a + 2} * ${st}u + k${a} * ${dl}u) - ${pad} + 1;\\n` +', tests: WGSL },
  { id: 'wgsl-avgpool-count-include-pad-ignored', file: 'runtime/wgsl/kernels/pool.ts', search: "s.countIncludePad ? 'cnt + pads' : 'max(cnt, 1u)'", replace: "s.countIncludePad ? 'max(cnt, 1u)' : 'max(cnt, 1u)'", tests: WGSL },
  { id: 'wgsl-matmul-transB-ignored', file: 'runtime/wgsl/kernels/matmul.ts', search: "${s.transB ? 'b[bb + col * K + k]' : 'b[bb + k * N + col]'}", replace: "${'b[bb + k * N + col]'}", tests: WGSL },
  { id: 'wgsl-tiled-matmul-transB-ignored', file: 'runtime/wgsl/kernels/matmul.ts', search: "${s.transB ? 'b[bb + col * K + kb]' : 'b[bb + kb * N + col]'}", replace: "${'b[bb + kb * N + col]'}", tests: WGSL },
  { id: 'wgsl-pow-negative-base', file: 'runtime/wgsl/kernels/elementwise.ts', search: 'Pow: (a, b) => `pow_onnx(${a}, ${b})`,', replace: 'Pow: (a, b) => `pow(${a}, ${b})`,', tests: [DIFF, 'test/wgsl/elementwise.test.ts'] },
  // --- wgsl: training kernels ---
  { id: 'wgsl-bn-running-mean-momentum-side', file: 'runtime/wgsl/kernels/batchnorm-train.ts', search: 'rm_out[gid] = ${ow} * rm[gid] + (1.0 - ${ow}) * mean;', replace: 'rm_out[gid] = (1.0 - ${ow}) * rm[gid] + ${ow} * mean;', tests: WGSL_TRAIN },
  { id: 'wgsl-bn-running-var-biased', file: 'runtime/wgsl/emit-training.ts', search: "conv === 'pytorch' && count > 1 ? count / (count - 1) : 1", replace: '1', tests: WGSL_TRAIN },
  { id: 'wgsl-conv-grad-weight-dilation-ignored', file: 'runtime/wgsl/kernels/grad.ts', search: 'let ih = i32(oh * ${g.strides[0]}u + k2 * ${g.dilations[0]}u) - ${g.pads[0]};', replace: 'let ih = i32(oh * ${g.strides[0]}u + k2) - ${g.pads[0]};', tests: WGSL_TRAIN },
  // --- the #19 row norms (Layer/Instance/GroupNormalization), drawn by the generator since the campaign spans them ---
  { id: 'js-rownorm-scale-read-as-scalar', file: 'runtime/js/kernels/row-norms.ts', search: 'const c = ${k};', replace: 'const c = 0;', tests: [DIFF] },
  { id: 'wgsl-rownorm-unbiased-variance', file: 'runtime/wgsl/kernels/zoo.ts', search: 'let inv = 1.0 / sqrt(v / ${floatLiteral(len)} + ${floatLiteral(eps)});',
    replace: 'let inv = 1.0 / sqrt(v / ${floatLiteral(Math.max(1, len - 1))} + ${floatLiteral(eps)});', tests: [DIFF] },
  // --- the #19 row-wise layernorm epilogue step (LayerNormalization fused into the Gemm/MatMul before it) ---
  { id: 'js-tail-layernorm-unbiased-variance', file: 'runtime/js/epilogue.ts', search: 'lnSq / ${o.cols} + ', replace: 'lnSq / ${Math.max(1, o.cols - 1)} + ', tests: LN },
  { id: 'js-tail-layernorm-eps-dropped', file: 'runtime/js/epilogue.ts', search: ' + ${lit(st.epsilon)});', replace: ');', tests: LN },
  { id: 'js-tail-layernorm-bias-read-per-row', file: 'runtime/js/epilogue.ts', search: 'F[${o.operand(st.bias)} + c]', replace: 'F[${o.operand(st.bias)} + (r % ${o.cols})]', tests: LN },
  { id: 'wgsl-row-epilogue-unbiased-variance', file: 'runtime/wgsl/epilogue.ts', search: 'let inv = 1.0 / sqrt(sq / ${floatLiteral(len)} + ',
    replace: 'let inv = 1.0 / sqrt(sq / ${floatLiteral(Math.max(1, len - 1))} + ', tests: LN },
  { id: 'wgsl-row-epilogue-steps-after-dropped', file: 'runtime/wgsl/epilogue.ts', search: "${emitEpilogue(after, ops, 'base + i', 'i', out)}", replace: '', tests: LN },
];
