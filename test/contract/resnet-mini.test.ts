// examples/resnet_mini.layers on every backend == reference (issue #13: its logits were off by up to 3.2 on
// js, bias-free convs + residual adds): js (1 and 2 threads) and wgsl, -O0 and -O2, inference and one training
// step (loss, every gradient, next state: parameters and running statistics). Suite: ./agreement.ts.
import { join } from 'node:path';
import { compileDslFile } from '../../src/frontend/dsl.ts';
import { agreementSuite } from './agreement.ts';

agreementSuite('examples/resnet_mini.layers: every backend == reference (issue #13)', [
  { name: 'resnet_mini', model: () => compileDslFile(join(import.meta.dirname, '../../examples/resnet_mini.layers'), { seed: 5 }), batch: 2 },
]);
