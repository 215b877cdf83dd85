// The one catalogue of user-facing errors. Every error layerc reports is a LayercError built from a
// code in this table, so codes are stable, documented (docs/errors.md) and cannot be mistyped.
// Codes are grouped by phase and never reused; a retired code stays here with `retired: true`.
//   LC001-009 CLI and files          LC010-029 ONNX import/export     LC030-039 IR, ops, shapes
//   LC040-059 DSL                    LC060-064 optimizer passes       LC065-074 training, data, checkpoints
//   LC075-084 backends               LC085-099 resource limits, external data
// Messages are templates: {0}, {1}, ... are filled from the call's arguments.

export const CATALOGUE = {
  LC001: { exit: 2, message: 'unknown option {0}{1}' },
  LC002: { exit: 2, message: 'bad command-line usage: {0}' },
  LC003: { exit: 3, message: 'cannot read {0}: {1}' },
  LC004: { exit: 3, message: 'output {0} already exists (use --force to replace it)' },
  LC005: { exit: 3, message: 'refusing to overwrite the input file {0} with an output' },
  LC006: { exit: 3, message: 'unsupported file type {0}: {1}' },
  LC007: { exit: 3, message: 'cannot write {0}: {1}' },

  LC010: { exit: 4, message: 'not a valid ONNX model: {0}' },
  LC011: { exit: 4, message: 'unsupported op {0} (domain {1}, opset {2})' },
  LC012: { exit: 4, message: 'unsupported data type {0}' },
  LC013: { exit: 4, message: 'tensor {0} uses external data, which is disabled (pass --allow-external-data)' },
  LC014: { exit: 4, message: 'input {0} is not produced by any node, initializer or graph input' },
  LC015: { exit: 4, message: 'the graph has a cycle through {0}' },
  LC016: { exit: 4, message: 'unsupported opset {0} for domain {1} (supported: {2})' },
  LC017: { exit: 4, message: 'malformed tensor {0}: {1}' },
  LC018: { exit: 4, message: 'cannot export {0} to standard ONNX' },
  LC019: { exit: 4, message: 'unsupported version of op {0} at opset {1}: {2}' },
  LC020: { exit: 4, message: 'unsupported IR version {0} (supported: {1})' },

  LC030: { exit: 5, message: 'bad attribute {0}: {1}' },
  LC031: { exit: 5, message: 'wrong number of inputs: {0}' },
  LC032: { exit: 5, message: 'shape mismatch: {0}' },
  LC033: { exit: 5, message: 'type mismatch: {0}' },
  LC034: { exit: 5, message: 'graph invariant broken: {0}' },
  LC035: { exit: 5, message: 'unsupported case: {0}' },
  LC036: { exit: 5, message: 'missing input {0}: {1}' },

  LC040: { exit: 6, message: 'syntax error: {0}' },
  LC041: { exit: 6, message: 'unknown layer or block {0}{1}' },
  LC042: { exit: 6, message: 'unknown argument {0} for {1}{2}' },
  LC043: { exit: 6, message: 'argument {0} of {1} {2}' },
  LC044: { exit: 6, message: 'missing required argument {0} of {1}' },
  LC045: { exit: 6, message: 'undefined name {0}{1}' },
  LC046: { exit: 6, message: 'duplicate name {0} (first defined at line {1})' },
  LC047: { exit: 6, message: 'recursive block {0} (call chain {1})' },
  LC048: { exit: 6, message: 'shape error in {0}: {1}' },
  LC049: { exit: 6, message: 'too many positional arguments for {0}: expected at most {1}, got {2}' },
  LC050: { exit: 6, message: 'bad program: {0}' },
  LC051: { exit: 6, message: 'weight {0}: {1}' },
  LC052: { exit: 6, message: '{0} is a {1}, expected a {2}' },

  LC060: { exit: 7, message: 'unknown pass {0}{1}' },
  LC064: { exit: 7, message: 'models cannot be compared: {0}' },

  LC065: { exit: 8, message: 'checkpoint {0} is corrupt: {1}' },
  LC066: { exit: 8, message: 'cannot differentiate {0}: {1}' },
  LC067: { exit: 8, message: 'training diverged at step {0}: {1}' },
  LC068: { exit: 8, message: 'bad training data {0}: {1}' },
  LC069: { exit: 8, message: 'bad training setup: {0}' },
  LC070: { exit: 8, message: 'checkpoint {0} does not fit the model: {1}' },
  LC071: { exit: 8, message: '{0} does not hold all the state of {1}: {2}' },

  LC075: { exit: 9, message: 'backend {0} cannot run {1}: {2}' },
  LC076: { exit: 9, message: 'cannot plan memory for {0}: {1}' },
  LC077: { exit: 9, message: 'js backend worker failed: {0}' },
  LC080: { exit: 9, message: 'WebGPU unavailable: {0}' },
  LC081: { exit: 9, message: 'generated WGSL for node {0} ({1}) does not compile: {2}' },

  LC085: { exit: 10, message: 'limit exceeded: {0} (limit {1}; raise it with {2})' },
  LC086: { exit: 10, message: 'external data of tensor {0}: location {1} {2}' },
  LC087: { exit: 10, message: 'external data of tensor {0} does not fit {1}: {2}' },
} as const satisfies Record<string, { exit: number; message: string; retired?: boolean }>;

export type Code = keyof typeof CATALOGUE;

export interface SourceSpan {
  file?: string;
  line: number; // 1-based
  column: number; // 1-based
  length?: number;
  sourceLine?: string;
}

export interface ErrorContext {
  file?: string;
  node?: string;
  op?: string;
  span?: SourceSpan;
  /** Extra lines shown after the message (e.g. generated WGSL around an error). */
  notes?: string[];
}

export class LayercError extends Error {
  readonly code: Code;
  readonly args: readonly string[];
  context: ErrorContext;
  constructor(code: Code, args: readonly (string | number)[], context: ErrorContext = {}) {
    const strArgs = args.map((a) => clipText(String(a)));
    super(fill(CATALOGUE[code].message, strArgs));
    this.name = 'LayercError';
    this.code = code;
    this.args = strArgs;
    this.context = { ...context };
  }
  get exitCode(): number { return CATALOGUE[this.code].exit; }
  /** Adds context that an outer layer knows (file name, node) without overwriting what is already set. */
  within(ctx: ErrorContext): this {
    for (const [k, v] of Object.entries(ctx)) {
      if (v !== undefined && (this.context as Record<string, unknown>)[k] === undefined) (this.context as Record<string, unknown>)[k] = v;
    }
    return this;
  }
  /** The human-readable report the CLI prints (rustc-like). */
  format(): string { return formatReport(`error[${this.code}]: ${this.message}`, this.context); }
}

/** The rustc-like report of an error or a warning: the head line, where, the source line with a caret, notes. */
function formatReport(head: string, context: ErrorContext): string {
  const { file, node, op, span, notes } = context;
  const lines = [head];
  const where: string[] = [];
  const f = span?.file ?? file;
  if (f) where.push(span ? `${f}:${span.line}:${span.column}` : f);
  else if (span) where.push(`line ${span.line}:${span.column}`);
  if (node) where.push(`node '${node}'${op ? ` (${op})` : ''}`);
  else if (op) where.push(`op ${op}`);
  if (where.length) lines.push(`  --> ${where.join(', ')}`);
  if (span?.sourceLine !== undefined) {
    const num = String(span.line);
    const pad = ' '.repeat(num.length);
    const { text, column, length } = clipSourceLine(span.sourceLine, span.column, span.length ?? 1);
    lines.push(` ${pad} |`, ` ${num} | ${text}`, ` ${pad} | ${' '.repeat(Math.max(0, column - 1))}${'^'.repeat(Math.max(1, length))}`);
  }
  if (notes) lines.push(...clipItems(notes, 40).map((n) => `  = ${clipText(n)}`));
  return lines.join('\n');
}

// Warnings: something the user most likely did not mean, that still has a defined meaning (a BatchNorm
// `momentum=0.99` is a legal PyTorch momentum). They go to stderr as `warning: ...` with the same location
// lines as errors; a listener (tests, library callers) receives them instead while it is subscribed.
export type WarningListener = (text: string) => void;
const warningListeners = new Set<WarningListener>();

export function warn(message: string, context: ErrorContext = {}): void {
  const text = formatReport(`warning: ${message}`, context);
  if (warningListeners.size) for (const l of warningListeners) l(text);
  else if (typeof process !== 'undefined' && process.stderr) process.stderr.write(`${text}\n`);
  else console.warn(text); // the browser build
}

/** Receives every warning (instead of stderr) until the returned function is called. */
export function onWarning(listener: WarningListener): () => void {
  warningListeners.add(listener);
  return () => { warningListeners.delete(listener); };
}

// Messages echo their input (a shape, a perm, a source line) but never all of it: a 2M-element attribute or
// a 200 KB line must not become megabytes of stderr. These helpers cap what is echoed and say what was left.
const MAX_ECHO = 400;

/** Text up to `max` characters, then "... (N more characters)". */
export function clipText(s: string, max = MAX_ECHO): string {
  return s.length <= max ? s : `${s.slice(0, max)}... (${s.length - max} more characters)`;
}

/** The first `max` items, then "... and N more" as a last item. */
export function clipItems<T>(items: readonly T[], max = 16): (T | string)[] {
  return items.length <= max ? [...items] : [...items.slice(0, max), `... and ${items.length - max} more`];
}

/** A list for a message: "a, b, c, ... and 1999997 more". */
export function clipList(items: readonly unknown[], max = 16): string { return clipItems(items, max).join(', '); }

/** A window of a long source line around the caret, marked with "..." on the cut sides. */
export function clipSourceLine(line: string, column: number, length: number, width = 120): { text: string; column: number; length: number } {
  if (line.length <= width) return { text: line, column, length };
  const start = Math.max(0, Math.min(column - 1 - width / 2, line.length - width));
  const end = Math.min(line.length, start + width);
  const head = start > 0 ? '...' : '';
  return {
    text: `${head}${line.slice(start, end)}${end < line.length ? '...' : ''}`,
    column: column - start + head.length,
    length: Math.max(1, Math.min(length, end - (column - 1))),
  };
}

export function fill(template: string, args: readonly string[]): string {
  return template.replace(/\{(\d+)\}/g, (_, i) => args[Number(i)] ?? '');
}

/** Shorthand used at call sites: `throw lcError('LC031', ['Conv expects 2 or 3'], { node })`. */
export function lcError(code: Code, args: readonly (string | number)[], context?: ErrorContext): LayercError {
  return new LayercError(code, args, context);
}

export function isLayercError(e: unknown): e is LayercError { return e instanceof LayercError; }

/** "did you mean" helper shared by the CLI, the DSL and the pass manager. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) { bestD = d; best = c; }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}
