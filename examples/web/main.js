// The demo page: loads the compiled LeNet-BN (public/model, emitted by `layerc compile --target wgsl`), runs
// one batch of Fashion-MNIST test images on navigator.gpu, and shows each image with its predicted and true
// class, plus the graph before/after fusion. Without WebGPU (no navigator.gpu, or no adapter) it runs the same
// model compiled for the JS backend (public/model-js, WebAssembly, one thread) instead, and says so. #status gets data-state="done" (and the predictions as JSON in
// data-predictions) or data-state="error" with the message, for the end-to-end test.
const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const $ = (id) => document.getElementById(id);
const status = (state, text) => { $('status').dataset.state = state; $('status').textContent = text; };

function drawImage(pixels) {
  const c = document.createElement('canvas');
  c.width = 28; c.height = 28;
  const ctx = c.getContext('2d');
  const img = ctx.createImageData(28, 28);
  pixels.forEach((v, i) => { const g = 255 - Math.round(v * 255); img.data.set([g, g, g, 255], i * 4); });
  ctx.putImageData(img, 0, 0);
  return c;
}

async function main() {
  const base = new URL('.', location.href);
  const json = async (name) => (await fetch(new URL(name, base))).json();
  const [meta, samples] = await Promise.all([json('meta.json'), json('samples.json')]);
  $('weights').textContent = meta.trained ? `${meta.weights}${meta.testAccuracy ? ` — test accuracy ${meta.testAccuracy}` : ''}` : meta.weights;
  $('graph').innerHTML = await (await fetch(new URL('graph.svg', base))).text();
  status('loading', 'compiling kernels…');
  const model = await openModel(base);
  $('adapter').textContent = model.adapter;
  $('backend').textContent = model.backend;
  const x = new Float32Array(samples.images.flat());
  const t0 = performance.now();
  const out = await model.run({ [samples.input]: x });
  const ms = performance.now() - t0;
  const k = out.length / samples.labels.length;
  const predictions = samples.labels.map((_, i) => {
    const row = out.subarray(i * k, (i + 1) * k);
    return row.indexOf(Math.max(...row));
  });
  let correct = 0;
  samples.labels.forEach((label, i) => {
    const ok = predictions[i] === label;
    if (ok) correct++;
    const div = document.createElement('div');
    div.className = 'sample';
    div.append(drawImage(samples.images[i]));
    div.insertAdjacentHTML('beforeend', `<div class="${ok ? 'ok' : 'bad'}">${CLASSES[predictions[i]]}</div><div>true: ${CLASSES[label]}</div>`);
    $('results').append(div);
  });
  await model.dispose();
  $('status').dataset.predictions = JSON.stringify(predictions);
  status('done', `done: ${correct}/${samples.labels.length} correct, batch of ${samples.labels.length} in ${ms.toFixed(1)} ms`);
}

/** The WebGPU module when this browser has a WebGPU adapter, else the JS-backend module; run() gives the logits. */
async function openModel(base) {
  const url = (path) => new URL(path, base).href;
  if (navigator.gpu) {
    try {
      const { load } = await import(/* @vite-ignore */ url('model/model.mjs'));
      const m = await load({ gpu: navigator.gpu });
      return { backend: 'wgsl (WebGPU)', adapter: m.adapter, run: async (feeds) => Object.values(await m.run(feeds))[0].data, dispose: () => m.dispose() };
    } catch (e) { console.warn(`WebGPU failed (${e?.message ?? e}); falling back to the JS backend`); }
  }
  const mod = await import(/* @vite-ignore */ url('model-js/model.mjs'));
  const m = await mod.load();
  const name = mod.layout.outputs[0].name;
  return { backend: 'js (WebAssembly; no WebGPU here)', adapter: 'none', run: async (feeds) => (await m.run(feeds))[name], dispose: () => m.dispose() };
}

main().catch((e) => { status('error', `error: ${e?.message ?? e}`); console.error(e); });
