#!/usr/bin/env node
// `npm run fuzz -- [--runs N] [--seed S] [--kind onnx|dsl|tensor|runtime|wire|dslnum] [--timeout MS] [--workers W]`:
// a long fuzz campaign over mutated ONNX models, DSL programs and tensor files, and the crafted classes of
// test/fuzz/crafted.ts (run-time sizes, pre-decode limits and wire types, DSL numbers). N cases per kind
// (default 2000). Prints per kind: cases, accepted, rejected (LayercError), peak RSS, the slowest case; then
// every finding; exits 1 if there was any.
import { register } from 'tsx/esm/api';

register();
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const { fuzz } = await import('./supervise.ts');
const kind = opt('kind');
const res = await fuzz({
  kinds: kind ? [kind] : ['onnx', 'dsl', 'tensor', 'runtime', 'wire', 'dslnum'],
  runs: Number(opt('runs', '2000')),
  seed: Number(opt('seed', '1')),
  timeoutMs: Number(opt('timeout', '10000')),
  workers: Number(opt('workers', '1')),
  log: (l) => console.log(l),
});
for (const s of res.stats) console.log(`${s.kind} rejection codes: ${Object.entries(s.codes).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ')}`);
console.log(`${res.stats.reduce((n, s) => n + s.ran, 0)} cases in ${res.seconds.toFixed(1)} s, ${res.findings.length} findings (${res.findings.filter((f) => f.what === 'crash').length} crashes, ${res.findings.filter((f) => f.what === 'hang').length} hangs, ${res.findings.filter((f) => f.what === 'died').length} deaths)`);
if (res.slow.length) console.log(`${res.slow.length} slow cases (timed out under load, fine when replayed alone)`);
process.exitCode = res.findings.length ? 1 : 0;
