// Registers every op family. Import this module (or src/index.ts) before building or running graphs.
import './activations.ts';
import './fused.ts';
