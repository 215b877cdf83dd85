// What a backend runs well, as data. The caller reads a backend's capabilities and runs the lowering pipeline
// they ask for (passes/pipelines.ts lowerFor) before the backend compiles; passes never import a backend and a
// backend never imports a pass, so this small record is the whole contract between the two.
import type { FusionCapabilities } from './fused-contract.ts';
export interface BackendCapabilities {
  /**
   * The backend compiles kernels for static shapes: shape arithmetic is folded to constants and inference
   * BatchNormalization folded into the adjacent linear op before it compiles. False for the reference
   * interpreter, which runs any graph as it is (no lowering at all).
   */
  kernels: boolean;
  /** What the backend runs as one ai.layerc::Fused kernel (fuse-epilogue; src/ops/fused-contract.ts). */
  fusion: FusionCapabilities;
  /**
   * Elementwise chains merged into one ai.layerc::JsElementwise loop (fuse-elementwise), except the ops
   * listed in `separate` (run faster by their own kernel); null when the backend does not run JS bodies.
   */
  elementwiseChains: { separate: readonly string[] } | null;
  /** The backend has an ai.layerc::Attention kernel: the lowering runs fuse-attention (src/ops/attention.ts). */
  attention: boolean;
}

/** The reference interpreter: no lowering. */
export const REFERENCE_CAPABILITIES: BackendCapabilities = { kernels: false, fusion: { bases: {}, activations: [], rowwise: [] }, elementwiseChains: null, attention: false };
