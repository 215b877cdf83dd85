// Seeded, deterministic weight initialization. Conv/dense weights get He-uniform (bound sqrt(6/fan_in))
// when the layer's output feeds a ReLU-family activation (through an optional batchnorm), Glorot-uniform
// (bound sqrt(6/(fan_in+fan_out))) otherwise; 'small' (position embeddings) uniform with std 0.02. Biases and
// BN beta/mean are 0, BN gamma/var 1. Weights are drawn in creation order from one mulberry32 stream, so the same program and seed give the same bits.
import type { Node } from '../../ir/graph.ts';
import type { PendingParam } from './builder.ts';
import { mulberry32 } from '../../random.ts';

/** The rectifier ops (relu, leaky_relu, relu6 = Clip(0, 6)) whose inputs get He init; the one list of them. */
const RELU_FAMILY = new Set(['Relu', 'LeakyRelu', 'Clip']);

export function initWeights(pending: PendingParam[], seed: number): void {
  const rand = mulberry32(seed);
  for (const p of pending) {
    if (p.kind !== 'weight' && p.kind !== 'small') continue;
    const bound = p.kind === 'small' ? 0.02 * Math.sqrt(3) : feedsRelu(p.node) ? Math.sqrt(6 / p.fanIn) : Math.sqrt(6 / (p.fanIn + p.fanOut));
    const data = p.value.const!.data;
    for (let i = 0; i < data.length; i++) data[i] = (2 * rand() - 1) * bound;
  }
}

function feedsRelu(node: Node | undefined): boolean {
  let n = node;
  for (let hop = 0; n && hop < 2; hop++) {
    const users = n.outputs[0]?.users ?? [];
    if (users.length !== 1) return false;
    const u = users[0];
    if (RELU_FAMILY.has(u.op)) return true;
    if (u.op !== 'BatchNormalization') return false;
    n = u;
  }
  return false;
}

