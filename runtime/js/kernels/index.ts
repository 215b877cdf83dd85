// The js backend's kernel table: op (`ai.layerc::Op` for layerc ops) -> the kernel that serves it. Where
// several kernels serve one op, its row chooses explicitly (a Conv is the SIMD conv unless it is depthwise).
// A kernel may still decline a node (dtype, attribute form, no SIMD); that node, and any op without a row,
// runs its reference implementation (listed by `layerc bench --verbose` and compile).
import type { Node } from '../../../src/ir/graph.ts';
import { fusedAttrs } from '../../../src/ops/fused.ts';
import { JS_EXPR_OPS } from '../../../src/ops/js-expr.ts';
import { JS_ELEMENTWISE } from '../../../src/ops/elementwise-chain.ts';
import type { KernelFactory } from '../kernel.ts';
import { convKernel } from './conv.ts';
import { winogradKernel } from './winograd.ts';
import { phaseWinogradKernel } from './winograd-phase.ts';
import { depthwiseKernel } from './depthwise.ts';
import { gemmKernel } from './gemm.ts';
import { elementwiseKernel } from './elementwise.ts';
import { batchNormKernel } from './batchnorm.ts';
import { poolKernel } from './pool.ts';
import { softmaxKernel } from './softmax.ts';
import { concatKernel } from './concat.ts';
import { convGradInputKernel, convGradWeightKernel } from './conv-grad.ts';
import { reduceKernel } from './reduce.ts';
import { batchNormTrainKernel, batchNormTrainGradKernel } from './batchnorm-train.ts';
import { poolGradKernel } from './pool-grad.ts';
import { crossEntropyKernel } from './cross-entropy.ts';
import { dropoutTrainKernel } from './dropout-train.ts';
import { jsElementwiseKernel } from './js-elementwise.ts';
import { depthSpaceKernel, gatherKernel, sliceKernel, splitKernel, transposeKernel } from './gather-copy.ts';
import { batchMatMulKernel } from './batch-matmul.ts';
import { rowNormKernel } from './row-norms.ts';
import { sumMeanKernel } from './sum-mean.ts';
import { einsumKernel } from './einsum.ts';
import { resizeKernel } from './resize.ts';
import { convTransposeKernel } from './conv-transpose.ts';
import { convTransposeNdKernel } from './conv-transpose-nd.ts';
import { padKernel } from './pad.ts';
import { batchNormRuntimeKernel } from './batchnorm-runtime.ts';
import { clipRuntimeKernel } from './clip-runtime.ts';
import { attentionKernel } from './attention.ts';
import { typedElementwiseKernel } from './typed-elementwise.ts';
import { maxPoolIndicesKernel } from './maxpool-indices.ts';
import { castKernel } from './cast.ts';

/** Conv (or Fused with base Conv): Winograd where it applies and pays (winograd.ts), else the blocked SIMD conv;
 *  that declines depthwise convs, which take depthwise.ts. */
const conv: KernelFactory = (n, o) => winogradKernel(n, o) ?? phaseWinogradKernel(n, o) ?? convKernel(n, o) ?? depthwiseKernel(n, o);

/** ConvTranspose (or Fused with that base): 1-D/2-D conv-transpose.ts, 3 or more spatial axes conv-transpose-nd.ts. */
const convTranspose: KernelFactory = (n, o) => convTransposeKernel(n, o) ?? convTransposeNdKernel(n, o);

const rows = (ops: readonly string[], k: KernelFactory) => Object.fromEntries(ops.map((op) => [op, k]));

export const KERNELS: Readonly<Record<string, KernelFactory>> = {
  ...rows(JS_EXPR_OPS, elementwiseKernel),
  /** int8/uint8/int32/int64/float64 elementwise arithmetic (the rows above are float32). */
  ...rows(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Neg', 'Abs'], (n, o) => elementwiseKernel(n, o) ?? typedElementwiseKernel(n, o)),
  Conv: conv,
  'ai.layerc::Fused': (n, o) => {
    const base = fusedAttrs(n.attrs).base;
    return base === 'Conv' ? conv(n, o) : base === 'ConvTranspose' ? convTranspose(n, o) : gemmKernel(n, o) ?? batchMatMulKernel(n, o);
  },
  Gemm: gemmKernel,
  /** MatMul: the GEMM (2-D or a constant weight); other batched products take batch-matmul.ts. */
  MatMul: (n, o) => gemmKernel(n, o) ?? batchMatMulKernel(n, o),
  /** BatchNormalization: constant statistics fold into one multiply-add; computed ones take batchnorm-runtime.ts. */
  BatchNormalization: (n, o) => batchNormKernel(n, o) ?? batchNormRuntimeKernel(n, o),
  ...rows(['AveragePool', 'GlobalAveragePool', 'GlobalMaxPool'], poolKernel),
  /** MaxPool: ./pool.ts; with the Indices output or int8/uint8/float64 values, maxpool-indices.ts. */
  MaxPool: (n, o) => poolKernel(n, o) ?? maxPoolIndicesKernel(n, o),
  ...rows(['Softmax', 'LogSoftmax'], softmaxKernel),
  Concat: concatKernel,
  ...rows(['ReduceSum', 'ReduceMean', 'ReduceL2', 'ReduceSumSquare', 'ReduceProd', 'ReduceMax', 'ReduceMin', 'ai.layerc::ReduceSumLike'], reduceKernel),
  'ai.layerc::ConvGradInput': convGradInputKernel,
  'ai.layerc::ConvGradWeight': convGradWeightKernel,
  'ai.layerc::BatchNormTrain': batchNormTrainKernel,
  'ai.layerc::BatchNormTrainGrad': batchNormTrainGradKernel,
  ...rows(['ai.layerc::MaxPoolGrad', 'ai.layerc::AveragePoolGrad'], poolGradKernel),
  ...rows(['ai.layerc::SoftmaxCrossEntropy', 'ai.layerc::SoftmaxCrossEntropyGrad'], crossEntropyKernel),
  'ai.layerc::DropoutTrain': dropoutTrainKernel,
  [`ai.layerc::${JS_ELEMENTWISE}`]: jsElementwiseKernel,
  Transpose: transposeKernel,
  Slice: sliceKernel,
  Gather: gatherKernel,
  ...rows(['DepthToSpace', 'SpaceToDepth'], depthSpaceKernel),
  Split: splitKernel,
  ...rows(['LayerNormalization', 'InstanceNormalization', 'GroupNormalization'], rowNormKernel),
  ...rows(['Resize', 'Upsample'], resizeKernel),
  ConvTranspose: convTranspose,
  ...rows(['Sum', 'Mean'], sumMeanKernel),
  Einsum: einsumKernel,
  'ai.layerc::Attention': attentionKernel,
  Pad: padKernel,
  Cast: castKernel,
  /** Clip: the elementwise kernel (constant bounds); bounds computed at run time take clip-runtime.ts. */
  Clip: (n, o) => elementwiseKernel(n, o) ?? clipRuntimeKernel(n, o) ?? typedElementwiseKernel(n, o),
};

/** The node's row in KERNELS. */
export const kernelKey = (n: Node) => (n.domain ? `${n.domain}::${n.op}` : n.op);
