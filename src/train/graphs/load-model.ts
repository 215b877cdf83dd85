// Loads the eval-mode model a training run starts from: .layers through the DSL compiler (seeded init),
// .onnx through the ONNX frontend.
import { extname } from 'node:path';
import type { Graph } from '../../ir/graph.ts';
import { compileDslFile } from '../../frontend/dsl.ts';
import { loadOnnxFile } from '../../frontend/onnx.ts';
import { lcError } from '../../diagnostics.ts';

export function loadTrainableModel(path: string, seed = 0): Graph {
  const ext = extname(path);
  if (ext === '.layers') return compileDslFile(path, { seed });
  if (ext === '.onnx') return loadOnnxFile(path);
  throw lcError('LC006', [path, 'expected a .layers or .onnx model']);
}
