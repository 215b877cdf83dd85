// Loads the eval-mode model a training run starts from: .layers through the DSL compiler (seeded init),
// .onnx through the ONNX frontend (loaded lazily: it is another engineer's module).
import { extname } from 'node:path';
import type { Graph } from '../ir/graph.ts';
import { compileDslFile } from '../frontend/dsl.ts';
import { lcError } from '../diagnostics.ts';

export async function loadTrainableModel(path: string, seed = 0): Promise<Graph> {
  const ext = extname(path);
  if (ext === '.layers') return compileDslFile(path, { seed });
  if (ext === '.onnx') {
    const frontend = '../frontend/onnx.ts'; // a variable: the module may not exist yet in this tree
    const mod = (await import(frontend).catch(() => null)) as { loadOnnxFile?(p: string): Graph } | null;
    if (!mod?.loadOnnxFile) throw lcError('LC006', [path, 'the ONNX frontend (src/frontend/onnx.ts loadOnnxFile) is not available']);
    return mod.loadOnnxFile(path);
  }
  throw lcError('LC006', [path, 'expected a .layers or .onnx model']);
}
