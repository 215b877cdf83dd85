// Per-op version resolution for the default ONNX domain. A model declares one opset V; each node means the
// newest version of its op whose since-version is <= V (ONNX's rule). The importer implements every op as of
// opset 7 and later (older attribute forms are upgraded in onnx-upgrade.ts), so what matters below opset 7 is
// whether the op changed between V and 7: GlobalAveragePool has one version (1), so an opset-1 model means
// exactly what an opset-7 one does; Add changed in 6 and 7 (legacy `broadcast`), so opset-5 Add is refused.
//
// Each op's version history lives on its definition (OpDef.onnxSince, src/ops/): the since-version in effect
// at opset 7 for ops that exist there, the opset it first appears in for later ones. Values are the
// since-versions of onnx/docs/Operators.md (Changelog.md).
import { lcError } from '../diagnostics.ts';
import { findOp } from '../ir/registry.ts';

/** Highest default-domain opset we understand: later opsets may change ops in ways we cannot know. */
export const MAX_OPSET = 21;
/** Below this, an op is accepted only when its version did not change between the model's opset and here. */
export const BASE_OPSET = 7;

/** Throws unless the model's default-domain opset is one we can read at all (1 to MAX_OPSET). */
export function checkModelOpset(opset: number): void {
  if (!Number.isInteger(opset) || opset < 1 || opset > MAX_OPSET) {
    throw lcError('LC016', [opset, 'ai.onnx', `1 to ${MAX_OPSET}; below ${BASE_OPSET} only ops unchanged since then`]);
  }
}

/**
 * Checks that default-domain `op` as meant at `opset` is a version we implement. Ops without a declared
 * history (none today; test/ops/op-traits.test.ts checks) follow the blanket rule: opset >= BASE_OPSET.
 */
export function checkOpVersion(op: string, opset: number, ctx: { node: string; op: string }): void {
  const since = findOp(op)?.onnxSince ?? BASE_OPSET;
  if (opset >= since) return;
  if (since > BASE_OPSET) throw lcError('LC019', [op, opset, `it first appears in opset ${since}`], ctx);
  throw lcError('LC019', [op, opset, `versions before ${op}-${since} (the version in effect at opset ${BASE_OPSET}) are not supported`], ctx);
}
