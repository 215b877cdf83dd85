// The library API in a browser bundle (package.json `exports` condition "browser"): everything of ./index.ts
// that needs no Node module. Models come as bytes, URLs, DSL source text or Graphs; backends are 'js' (one
// thread: in-page workers are what `layerc compile --target js --threads N` modules are for), 'wgsl'
// (navigator.gpu) and 'reference'.
import './ops/index.ts';
export { Graph, Node, Value, type Dim, type TensorType } from './ir/graph.ts';
export { Tensor } from './ir/tensor.ts';
export { runGraph } from './ir/interpret.ts';
export { inferShapes } from './ir/infer.ts';
export { verify } from './ir/verify.ts';
export { printGraph } from './ir/printer.ts';
export { LayercError, CATALOGUE, type Code } from './diagnostics.ts';
export { importOnnx } from './frontend/onnx.ts';
export { compileDsl } from './frontend/dsl.ts';
export { exportOnnx } from './export/onnx.ts';
export { InferenceSession, type ModelSource, type SessionOptions, type TensorLike } from './api/session.ts';
export { summary, formatSummary, type ModelSummary, type LayerSummary } from './api/summary.ts';
export { optimize, compile, type OptLevel, type Target, type CompiledModel, type BackendOptions, type OptimizeOptions } from './api/pipeline.ts';
