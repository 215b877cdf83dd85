// Child process for the runtime-sizes test: runs every crafted reproducer on the given backends with the
// default limits and prints one JSON line per case (code, milliseconds) and, last, this process's peak RSS.
import { craftedRuntimeSizes } from './crafted.ts';
import { importOnnx } from '../../../src/frontend/onnx.ts';
import { getBackend } from '../../../runtime/backend.ts';

async function main(): Promise<void> {
  for (const b of process.argv.slice(2)) {
    for (const c of craftedRuntimeSizes()) {
      const t0 = performance.now();
      let code = 'accepted';
      try {
        const m = await (await getBackend(b)).compile(importOnnx(c.onnx));
        try { await m.run(c.feeds); } finally { await m.dispose(); }
      } catch (e) { code = (e as { code?: string }).code ?? `crash: ${String(e).slice(0, 300)}`; }
      console.log(JSON.stringify({ name: c.name, backend: b, code, expected: c.code, ms: Math.round(performance.now() - t0) }));
    }
  }
  console.log(JSON.stringify({ maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
}
void main();
