// Regression for issue #13: a bias-free base op (conv2d(..., bias=false), dense(..., bias=false)) followed by
// a residual Add fuses into Fused(Conv) with the residual as its first epilogue operand, at the input index a
// conv bias would have. The js kernels read it as a per-channel bias (every pixel of channel c got img[c]),
// off by up to ~4.8 from the reference. Fixed at the cause: the bias's broadcast now comes from the base
// op's declaration (src/ops/fused-contract.ts BASE_OPS), not from an input index.
// Every case runs on the reference interpreter and on js (1 and 2 threads) and wgsl, at -O0 (the backend's
// own lowering fuses) and -O2 (the optimizer fuses): inference outputs, and one training step (loss, every
// gradient, every next state: parameters, running statistics). Each case also checks that the fused shape
// the bug needs is really there (a Fused node over a base without its bias, with an epilogue operand).
// Suite and tolerance: ./agreement.ts (the bug's errors were O(1)); examples/resnet_mini.layers: ./resnet-mini.test.ts.
// Gemm's gradient rule without C (dense(bias=false)) returned three gradients for two inputs and could not be
// trained at all; fixed in src/ops/gradients-nn.ts.
import { agreementSuite, type Case } from './agreement.ts';
import { compileDsl } from '../../src/frontend/dsl.ts';

const R1 = `model r1(img: f32[N, 8, 16, 16]) {
  h = img |> conv2d(8, kernel=3, pad=1, bias=false)
  return h + img
}`;
const BLOCK = `model resblock(x: f32[N, 8, 9, 9]) {
  y = x |> conv2d(8, kernel=3, pad=1, bias=false) |> relu |> conv2d(8, kernel=3, pad=1, bias=false)
  return relu(y + x)
}`;
const DEPTHWISE = `model dw(x: f32[N, 8, 7, 7]) {
  h = x |> conv2d(8, kernel=3, pad=1, groups=8, bias=false)
  return h + x
}`;
const DENSE = `model d(x: f32[N, 16]) {
  h = x |> dense(16, bias=false)
  return relu(h + x)
}`;

const CASES: Case[] = [
  { name: 'issue #13 program (conv bias=false + img)', model: () => compileDsl(R1, 'r1.layers', { seed: 1 }), batch: 2 },
  { name: 'bias-free ResNet block', model: () => compileDsl(BLOCK, 'block.layers', { seed: 2 }), batch: 2 },
  { name: 'bias-free depthwise conv + residual', model: () => compileDsl(DEPTHWISE, 'dw.layers', { seed: 3 }), batch: 2 },
  { name: 'bias-free dense + residual', model: () => compileDsl(DENSE, 'd.layers', { seed: 4 }), batch: 3 },
];

agreementSuite('bias-free base + epilogue operand: every backend == reference (issue #13)', CASES);
