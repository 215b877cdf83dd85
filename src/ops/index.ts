// Registers every op family. Import this module (or src/index.ts) before building or running graphs.
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
