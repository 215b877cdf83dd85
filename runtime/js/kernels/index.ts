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

export const KERNELS: KernelFactory[] = [convKernel, depthwiseKernel, gemmKernel, elementwiseKernel, batchNormKernel, poolKernel, softmaxKernel, concatKernel,
  convGradInputKernel, convGradWeightKernel, reduceKernel, batchNormTrainKernel, batchNormTrainGradKernel, poolGradKernel, crossEntropyKernel, dropoutTrainKernel, jsElementwiseKernel];
