// The default-domain opset an imported ONNX file declared (the graph itself follows opset 18 after upgrading),
// by graph. Its own module so that `layerc inspect` can report it without loading the importer at start-up.
import type { Graph } from '../ir/graph.ts';

export const declaredOpset = new WeakMap<Graph, number>();
