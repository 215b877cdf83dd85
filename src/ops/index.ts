// Registers every op, from this one place: the op families, then the training ops (the backward graph's
// helpers, BatchNorm/Dropout in training mode, the fused loss), then the gradient tables, which need the ops
// they differentiate to exist (defineGrad throws otherwise). Import this module (or src/index.ts) before
// building or running graphs.
import './activations.ts';
import './fused.ts';
import './elementwise.ts';
import './tensor.ts';
import './reshape.ts';
import './pad.ts';
import './shape.ts';
import './slice.ts';
import './reduce.ts';
import './conv.ts';
import './pool.ts';
import './normalization.ts';
import './linalg.ts';
import './softmax.ts';
import './math.ts';
import './group-norms.ts';
import './resize.ts';
import './split.ts';
import './depth-space.ts';
import './einsum.ts';
import './attention.ts';
import './grad-helpers.ts';
import './conv-grad.ts';
import './batchnorm-train.ts';
import './dropout-train.ts';
import './softmax-cross-entropy.ts';
import './gradients.ts';
import './gradients-nn.ts';
import './gradients-zoo.ts';
import './gradients-adjoint.ts';
import './elementwise-chain.ts';
