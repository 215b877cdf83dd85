import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { phaseTimer } from './phases.ts';
import { resnet18 } from './models.ts';
const t = await phaseTimer('/work/wt-compile');
const b = resnet18();
const w = !process.argv.includes('--no-winograd');
await t(b, { winograd: w });
const s = new Session(); s.connect();
await s.post('Profiler.enable'); await s.post('Profiler.setSamplingInterval', { interval: 200 }); await s.post('Profiler.start');
for (let r = 0; r < 5; r++) { const p = await t(b, { winograd: w }); console.log(JSON.stringify(Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Math.round(v)])))); }
const { profile } = await s.post('Profiler.stop');
writeFileSync('/tmp/warm.cpuprofile', JSON.stringify(profile));
