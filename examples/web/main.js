// The demo page: loads the compiled LeNet-BN (public/model, emitted by `layerc compile --target wgsl`), runs
// one batch of Fashion-MNIST test images on navigator.gpu, and shows each image with its predicted and true
// class, plus the graph before/after fusion. #status gets data-state="done" (and the predictions as JSON in
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
  if (!navigator.gpu) throw new Error('this browser has no WebGPU (navigator.gpu is undefined)');
  status('loading', 'compiling kernels…');
  const { load } = await import(/* @vite-ignore */ new URL('model/model.mjs', base).href);
  const model = await load({ gpu: navigator.gpu });
  $('adapter').textContent = model.adapter;
  const x = new Float32Array(samples.images.flat());
  const t0 = performance.now();
  const out = Object.values(await model.run({ [samples.input]: x }))[0];
  const ms = performance.now() - t0;
  const k = out.shape[1];
  const predictions = samples.labels.map((_, i) => {
    const row = out.data.subarray(i * k, (i + 1) * k);
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

main().catch((e) => { status('error', `error: ${e?.message ?? e}`); console.error(e); });
