// What the wgsl backend runs as one fused kernel (src/ops/fused-contract.ts FusionCapabilities), declared as
// data so the caller can hand it to the fusion pass: its conv (also transposed) and matmul kernels read every
// epilogue operand through a numpy broadcast index (./epilogue.ts), so any operand kind fuses, and every
// activation has a WGSL snippet in the shared table (src/ops/activations.ts).
import { ACTIVATIONS } from '../../src/ops/activations.ts';
import { GELU_ACTIVATION, OPERAND_KINDS, type FusionCapabilities } from '../../src/ops/fused-contract.ts';

export const WGSL_FUSION: FusionCapabilities = {
  bases: { Conv: OPERAND_KINDS, ConvTranspose: OPERAND_KINDS, Gemm: OPERAND_KINDS, MatMul: OPERAND_KINDS },
  activations: [...Object.keys(ACTIVATIONS), GELU_ACTIVATION],
  // The matmul kernels' output rows are the last axis: a second dispatch finishes them (./epilogue.ts emitRowEpilogue).
  rowwise: ['Gemm', 'MatMul'],
};
