// The library API for Node: `import { ... } from 'layerc'`. The browser entry (./browser.ts) is the same
// minus what needs Node (files, checkpoints, datasets, training).
import './ops/index.ts';
export { Graph, Node, Value, type Dim, type TensorType } from './ir/graph.ts';
export { Tensor } from './ir/tensor.ts';
export { runGraph } from './ir/interpret.ts';
export { inferShapes } from './ir/infer.ts';
export { verify } from './ir/verify.ts';
export { printGraph } from './ir/printer.ts';
export { LayercError, CATALOGUE, onWarning, type Code } from './diagnostics.ts';
export { loadModel } from './frontend/load.ts';
export { importOnnx, loadOnnxFile } from './frontend/onnx.ts';
export { compileDsl, compileDslFile } from './frontend/dsl.ts';
export { exportOnnx } from './export/onnx.ts';
export { readTensorFile, writeTensorFile } from './io/tensor-file.ts';
// Inference like onnxruntime (README "Library API"): a session, or its two steps.
export { InferenceSession, type ModelSource, type SessionOptions, type TensorLike } from './api/session.ts';
export { summary, formatSummary, type ModelSummary, type LayerSummary } from './api/summary.ts';
export { optimize, compile, type OptLevel, type Target, type CompiledModel, type BackendOptions, type OptimizeOptions } from './api/pipeline.ts';
// Training (README "Training"): `train` is the loop behind `layerc train`.
export { fit as train, evaluate, type FitOptions, type FitResult } from './train/loop/fit.ts';
export { buildTrainingGraph, buildInferenceGraph } from '../passes/split-train-infer.ts';
export { saveCheckpoint, loadCheckpoint } from './io/safetensors.ts';
// BatchNorm state (README "BatchNorm state"): a model's declared state, and the one matcher every loader uses.
export { modelManifest, type StateManifest, type StateEntry, type BnSetting } from './train/state.ts';
export { matchState } from './train/state-match.ts';
export { modelWithState } from './train/graphs/export.ts';
export { loadDataset } from './train/loop/data.ts';
