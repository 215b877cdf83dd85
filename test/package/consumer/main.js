// Bundled by Vite from a temp project where the packed tarball is the only layerc ('layerc' resolves to its
// "browser" export). pack.test.ts calls window.runModel in headless Chromium and checks the outputs.
import { InferenceSession, Tensor, compileDsl } from 'layerc';

window.runModel = async (modelUrl, input, dims) => {
  const bytes = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
  const results = {};
  for (const backend of ['js', 'reference', ...(navigator.gpu ? ['wgsl'] : [])]) {
    const s = await InferenceSession.create(bytes, { backend });
    const out = await s.run({ [s.inputNames[0]]: new Tensor('float32', dims, Float32Array.from(input)) });
    results[backend] = Array.from(out[s.outputNames[0]].data);
    await s.release();
  }
  const dsl = compileDsl('model m(x: f32[2, 3]) {\n  return x |> relu\n}\n', 'inline.layers');
  let error = null;
  try { await InferenceSession.create('/no-such-model.onnx'); } catch (e) { error = { name: e.name, code: e.code }; }
  return { results, dslOps: dsl.nodes.map((n) => n.op), error, gpu: !!navigator.gpu };
};
window.ready = true;
