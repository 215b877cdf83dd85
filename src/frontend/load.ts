// Loads a model file by its content (src/io/sniff.ts): .onnx through the ONNX frontend, .layers through the DSL compiler
// (imported lazily, so this module does not depend on the DSL being built). Optional trained weights come from
// a safetensors checkpoint (`layerc train --checkpoint`) or an ONNX file and are matched by state name
// (src/frontend/dsl/weights.ts: all of the model's state, or LC071).
import type { Graph } from '../ir/graph.ts';
import type { Tensor } from '../ir/tensor.ts';
import { lcError } from '../diagnostics.ts';
import { loadOnnxFile } from './onnx.ts';
import { loadWeights } from './dsl/weights.ts';
import { fileKind } from '../io/sniff.ts';

export interface LoadOptions {
  /** Seed of a .layers model's weight initialization (default 0). */
  seed?: number;
  /** A .safetensors checkpoint or .onnx file whose tensors replace the model's initializers of the same name. */
  weights?: string;
  /** Read `weights` by PyTorch nn.Sequential index (`<sequential>.<k>.weight`); see README "The DSL". */
  sequential?: string;
  /** Load `weights` even when they do not hold all of the model's state (warns what stays at initialization). */
  allowPartial?: boolean;
}

export async function loadModel(path: string, opts: LoadOptions = {}): Promise<Graph> {
  const kind = fileKind(path);
  let g: Graph;
  if (kind === 'onnx') g = loadOnnxFile(path);
  else if (kind === 'layers') {
    const dsl = await import('./dsl.ts');
    g = dsl.compileDslFile(path, { seed: opts.seed });
  } else throw lcError('LC006', [path, 'it holds a safetensors checkpoint, not a model (.onnx or .layers); give it with --weights MODEL, or to layerc export']);
  if (opts.weights) {
    // Every parameter and running statistic is matched, or LC071 says what is missing and what went unused.
    loadWeights(g, await readWeightFile(opts.weights), opts.weights, { sequential: opts.sequential, allowPartial: opts.allowPartial });
  }
  return g;
}

/** Named tensors of a checkpoint (.safetensors) or an ONNX model's initializers. */
export async function readWeightFile(path: string): Promise<Map<string, Tensor> | Graph> {
  const kind = fileKind(path);
  if (kind === 'onnx') return loadOnnxFile(path);
  if (kind === 'safetensors') return (await import('../io/safetensors.ts')).loadCheckpoint(path).tensors;
  throw lcError('LC006', [path, 'it holds a .layers model; weights come from a safetensors checkpoint or an .onnx model']);
}
