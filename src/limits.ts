// Resource limits checked BEFORE allocating: a hostile file must get a clear error, never exhaust the
// machine. Defaults are generous for real models; every limit can be raised (CLI flag / env var / API).
import { nodeBuiltin } from './node-builtin.ts';
import { lcError } from './diagnostics.ts';

export interface Limits {
  /** Elements in any one tensor (default 2^28: 1 GiB of float32). */
  maxTensorElements: number;
  /** Tensor rank. */
  maxRank: number;
  /** Any single dimension. */
  maxDim: number;
  /** Nodes in a graph. */
  maxNodes: number;
  /** Nesting depth of DSL block calls. */
  maxBlockDepth: number;
  /** Bytes of an input model file. */
  maxFileBytes: number;
  /** DSL source: bytes, statements (bindings and returns), characters of one identifier; checked before parsing. */
  maxDslBytes: number;
  maxDslStatements: number;
  maxIdentifierLength: number;
  /** Bytes of all tensors a run holds at once (activations, arena, GPU buffers, weights the backend copies). */
  maxTotalBytes: number;
  /** Work of one node: output elements x window taps (pooling); stops absurd windows before they run. */
  maxNodeCost: number;
}

/** A sixteenth of the machine's memory, between 512 MiB and 16 GiB: several runs (and the OS) still fit. */
export const machineTotalBytes = (mem = nodeBuiltin?.('node:os').totalmem() ?? 2 ** 33) => Math.min(2 ** 34, Math.max(2 ** 29, Math.floor(mem / 16)));

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxTensorElements: 2 ** 28,
  maxRank: 8,
  maxDim: 2 ** 31 - 1,
  maxNodes: 1_000_000,
  maxBlockDepth: 64,
  maxFileBytes: 2 ** 31 - 1,
  maxDslBytes: 2 ** 22,
  maxDslStatements: 20_000,
  maxIdentifierLength: 1024,
  maxTotalBytes: machineTotalBytes(),
  maxNodeCost: 2 ** 32,
});

/** Environment overrides: LAYERC_MAX_TENSOR_ELEMENTS, LAYERC_MAX_RANK, LAYERC_MAX_NODES, ... */
export function currentLimits(overrides: Partial<Limits> = {}): Limits {
  const env = (k: string) => {
    const v = globalThis.process?.env[`LAYERC_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`];
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const out = { ...DEFAULT_LIMITS } as Limits;
  for (const k of Object.keys(out) as (keyof Limits)[]) out[k] = overrides[k] ?? env(k) ?? out[k];
  return out;
}

const FLAG: Record<keyof Limits, string> = {
  maxTensorElements: 'LAYERC_MAX_TENSOR_ELEMENTS',
  maxRank: 'LAYERC_MAX_RANK',
  maxDim: 'LAYERC_MAX_DIM',
  maxNodes: 'LAYERC_MAX_NODES',
  maxBlockDepth: 'LAYERC_MAX_BLOCK_DEPTH',
  maxFileBytes: 'LAYERC_MAX_FILE_BYTES',
  maxDslBytes: 'LAYERC_MAX_DSL_BYTES',
  maxDslStatements: 'LAYERC_MAX_DSL_STATEMENTS',
  maxIdentifierLength: 'LAYERC_MAX_IDENTIFIER_LENGTH',
  maxTotalBytes: 'LAYERC_MAX_TOTAL_BYTES',
  maxNodeCost: 'LAYERC_MAX_NODE_COST',
};

export function exceed(what: string, limit: keyof Limits, limits: Limits): never {
  throw lcError('LC085', [what, limits[limit], FLAG[limit]]);
}

/** Checks a static shape: rank, each dim non-negative integer and bounded, element count bounded. */
export function checkShape(shape: readonly number[], what: string, limits: Limits = currentLimits()): number {
  if (shape.length > limits.maxRank) exceed(`${what} has rank ${shape.length}`, 'maxRank', limits);
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw lcError('LC032', [`${what} has an invalid dimension ${d} in [${shape.join(', ')}]`]);
    if (d > limits.maxDim) exceed(`${what} has dimension ${d}`, 'maxDim', limits);
    n *= d;
  }
  if (n > limits.maxTensorElements) exceed(`${what} has ${n} elements`, 'maxTensorElements', limits);
  return n;
}
