// The kernel factories, tried in order for each node; the first that accepts the node wins. A node no
// factory accepts runs its reference implementation (listed by `layerc bench --verbose` and compile).
import type { KernelFactory } from '../kernel.ts';
import { convKernel } from './conv.ts';
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
import { padKernel } from './pad.ts';
import { batchNormRuntimeKernel } from './batchnorm-runtime.ts';
import { clipRuntimeKernel } from './clip-runtime.ts';

export const KERNELS: KernelFactory[] = [convKernel, depthwiseKernel, gemmKernel, elementwiseKernel, batchNormKernel, poolKernel, softmaxKernel, concatKernel,
  convGradInputKernel, convGradWeightKernel, reduceKernel, batchNormTrainKernel, batchNormTrainGradKernel, poolGradKernel, crossEntropyKernel, dropoutTrainKernel, jsElementwiseKernel,
  transposeKernel, sliceKernel, gatherKernel, batchMatMulKernel, rowNormKernel, resizeKernel, convTransposeKernel,
  depthSpaceKernel, splitKernel, sumMeanKernel, einsumKernel, padKernel, batchNormRuntimeKernel, clipRuntimeKernel];
