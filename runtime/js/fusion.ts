// What the js backend runs as one fused kernel (src/ops/fused-contract.ts FusionCapabilities), declared as
// data so the caller can hand it to the fusion pass: the wasm GEMM takes operands per GEMM row (a conv
// channel; a Gemm row [M, 1] of a 2-D output), per GEMM column (a Gemm bias), full or scalar, and runs any
// activation (SIMD forms in ./wasm/simd-act.ts, the others in the JS tail pass of ./epilogue.ts). The
// ConvTranspose kernel (JS, ./kernels/conv-transpose.ts) runs the JS tail pass on each output plane it finishes.
import { ACTIVATIONS } from '../../src/ops/activations.ts';
import { GELU_ACTIVATION, type FusionCapabilities } from '../../src/ops/fused-contract.ts';

export const JS_FUSION: FusionCapabilities = {
  bases: {
    Conv: ['scalar', 'full', 'channel'],
    ConvTranspose: ['scalar', 'full', 'channel'],
    Gemm: ['scalar', 'full', 'column', 'row'],
    MatMul: ['scalar', 'full', 'column', 'row'],
  },
  activations: [...Object.keys(ACTIVATIONS), GELU_ACTIVATION],
  // The gemm kernel's JS tail pass runs after every row is finished (./epilogue.ts): the layernorm step is there.
  rowwise: ['Gemm', 'MatMul'],
};
