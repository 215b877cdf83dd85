// Loads the eval-mode model a training run starts from: .layers through the DSL compiler (seeded init),
// .onnx through the ONNX frontend.
import type { Graph } from '../../ir/graph.ts';
import { compileDslFile } from '../../frontend/dsl.ts';
import { loadOnnxFile } from '../../frontend/onnx.ts';
import { lcError } from '../../diagnostics.ts';
import { fileKind } from '../../io/sniff.ts';

export function loadTrainableModel(path: string, seed = 0): Graph {
  const kind = fileKind(path);
  if (kind === 'layers') return compileDslFile(path, { seed });
  if (kind === 'onnx') return loadOnnxFile(path);
  throw lcError('LC006', [path, 'it holds a safetensors checkpoint, not a model (.onnx or .layers)']);
}
