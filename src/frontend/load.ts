// Loads a model file by extension: .onnx through the ONNX frontend, .layers through the DSL compiler
// (imported lazily, so this module does not depend on the DSL being built).
import { extname } from 'node:path';
import type { Graph } from '../ir/graph.ts';
import { lcError } from '../diagnostics.ts';
import { loadOnnxFile } from './onnx.ts';

export interface LoadOptions { seed?: number }

export async function loadModel(path: string, opts: LoadOptions = {}): Promise<Graph> {
  const ext = extname(path).toLowerCase();
  if (ext === '.onnx') return loadOnnxFile(path);
  if (ext === '.layers') {
    const dsl = (await import('./dsl.ts')) as { compileDslFile(p: string, o?: { seed?: number }): Graph };
    return dsl.compileDslFile(path, { seed: opts.seed });
  }
  throw lcError('LC006', [path, 'expected a .onnx or .layers model']);
}
