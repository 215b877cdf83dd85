// The DSL front end: parse (dsl/parse.ts) -> evaluate to IR with shapes (dsl/compile.ts, layer table in
// dsl/layers.ts) -> seeded init (dsl/init.ts) -> optional trained weights by name (dsl/weights.ts).
import type { Graph } from '../ir/graph.ts';
import '../ops/index.ts';
import { LayercError, lcError } from '../diagnostics.ts';
import { currentLimits, exceed } from '../limits.ts';
import { nodeBuiltin } from '../node-builtin.ts';
import { parseDsl } from './dsl/parse.ts';
import { scanDsl } from './dsl/scan.ts';
import { DslCompiler } from './dsl/compile.ts';
import { initWeights } from './dsl/init.ts';
import { loadWeights, type WeightSource } from './dsl/weights.ts';

export { parseDsl } from './dsl/parse.ts';
export { printDsl } from './dsl/print.ts';
export { LAYERS } from './dsl/layers.ts';

export interface DslOptions {
  /** Seed of the weight initialization (default 0). */
  seed?: number;
  /** Trained weights by initializer name (e.g. `conv1.weight`), or a Graph whose initializers are used. */
  weights?: WeightSource;
  /** Read `weights` by PyTorch nn.Sequential names: layer k's `.weight` is `<sequential>.<k>.weight`. */
  sequential?: string;
  /** Load `weights` even when they miss state or hold tensors the model does not use (warns what). */
  allowPartial?: boolean;
}

export function compileDsl(source: string, file: string, opts: DslOptions = {}): Graph {
  let c: DslCompiler;
  let graph: Graph;
  // A UTF-8 byte order mark (editors on Windows write one) is not part of the program.
  if (source.charCodeAt(0) === 0xfeff) source = source.slice(1);
  scanDsl(source, file, currentLimits());
  try {
    c = new DslCompiler(source, file, parseDsl(source, file));
    graph = c.compile();
  } catch (e) {
    // Thousands of nested parentheses or pipeline stages exhaust the JS stack: report it, don't crash.
    if (e instanceof RangeError && /call stack/i.test(e.message)) throw lcError('LC050', ['the program nests too deeply (stack exhausted)'], { file });
    throw e;
  }
  initWeights(c.pending, opts.seed ?? 0);
  if (opts.weights) loadWeights(graph, opts.weights, file, { sequential: opts.sequential, allowPartial: opts.allowPartial });
  return graph;
}

export function compileDslFile(path: string, opts: DslOptions = {}): Graph {
  let text: string;
  const fs = nodeBuiltin?.('node:fs');
  if (!fs) throw lcError('LC003', [path, 'reading a file by path needs Node.js (in a browser, pass the source text to compileDsl)']);
  const { readFileSync, statSync } = fs;
  try {
    const limits = currentLimits();
    const size = statSync(path).size;
    if (size > limits.maxFileBytes) exceed(`${path} has ${size} bytes`, 'maxFileBytes', limits);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof LayercError) throw e;
    throw lcError('LC003', [path, (e as Error).message]);
  }
  return compileDsl(text, path, opts);
}
