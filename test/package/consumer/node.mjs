// Runs inside a temp project where the packed tarball is the only layerc: everything comes through
// `import ... from 'layerc'` (the package's exports, compiled JS). Prints one JSON line for pack.test.ts.
// Usage: node node.mjs FIXTURES_DIR
import { InferenceSession, compile, loadDataset, loadModel, optimize, readTensorFile, runGraph, train } from 'layerc';

const fixtures = process.argv[2];
const lenet = `${fixtures}/models/lenet_bn`;
const x = readTensorFile(`${lenet}/test_data_set_0/input_0.pb`);

const session = await InferenceSession.create(`${lenet}/model.onnx`, { backend: 'js', optimize: 2, threads: 1 });
const viaSession = (await session.run({ [session.inputNames[0]]: x }))[session.outputNames[0]];
await session.release();

const graph = await loadModel(`${lenet}/model.onnx`);
const optimized = optimize(graph, 2);
const compiled = await compile(optimized, 'js', { threads: 1 });
const viaCompile = (await compiled.run({ [graph.inputs[0].name]: x }))[graph.outputs[0].name];
await compiled.dispose();
const viaReference = runGraph(graph, { [graph.inputs[0].name]: x })[graph.outputs[0].name];

const mlp = `${fixtures}/models/mlp_train_sgd`;
const fitted = await train(await loadModel(`${mlp}/model.onnx`), loadDataset(`${mlp}/reference/X.npy,${mlp}/reference/y.npy`),
  { loss: 'mse', optimizer: { kind: 'sgd', lr: 0.05 }, batch: 1000, steps: 3, bnConvention: 'pytorch', backend: 'js', threads: 1 });

const list = (t) => ({ dims: [...t.dims], data: Array.from(t.data) });
console.log(JSON.stringify({
  resolved: import.meta.resolve('layerc'),
  session: list(viaSession), compile: list(viaCompile), reference: list(viaReference),
  ops: { before: graph.nodes.map((n) => n.op), after: optimized.nodes.map((n) => n.op) },
  losses: fitted.losses,
}));
