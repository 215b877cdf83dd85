// The CI-sized fuzz run: seeded, a few hundred cases per input kind (ONNX, DSL, .pb/.npy tensor files), each in a child process with a per-case
// time limit (supervise.ts). Zero findings allowed: no exception other than a LayercError, no LayercError
// wrapping a JS exception, no hang, no dead child. `npm run fuzz -- --runs 100000` is the long campaign.
import { describe, expect, it } from 'vitest';
import { fuzz } from './supervise.ts';

describe('fuzz (seeded, bounded)', () => {
  it('mutated ONNX models, DSL programs and tensor files: only LayercErrors, no hangs, bounded memory', async () => {
    const res = await fuzz({ kinds: ['onnx', 'dsl', 'tensor'], runs: 250, seed: 20261123, timeoutMs: 10_000, workers: 1, log: (l) => console.log(l) });
    console.log(`fuzz: ${res.stats.map((s) => `${s.kind} ${s.ran} ran / ${s.rejected} rejected / ${s.accepted} accepted`).join('; ')} in ${res.seconds.toFixed(1)} s`);
    expect(res.findings.map((f) => `${f.what}: ${f.error} ${JSON.stringify(f.plan)}`)).toEqual([]);
    for (const s of res.stats) {
      expect(s.ran).toBe(250);
      // Both outcomes must occur, or the mutations have degenerated (all garbage, or all no-ops).
      expect(s.rejected).toBeGreaterThan(25);
      expect(s.accepted).toBeGreaterThan(2);
      expect(s.maxRssMb).toBeLessThan(1024);
    }
  }, 120_000);

  it('crafted classes (run-time sizes, pre-decode limits and wire types, DSL numbers): only LayercErrors, bounded time and memory', async () => {
    const res = await fuzz({ kinds: ['runtime', 'wire', 'dslnum'], runs: 60, seed: 20261206, timeoutMs: 10_000, workers: 1, log: (l) => console.log(l) });
    expect(res.findings.map((f) => `${f.what}: ${f.error} ${JSON.stringify(f.plan)}`)).toEqual([]);
    for (const s of res.stats) {
      expect(s.ran).toBe(60);
      expect(s.rejected).toBeGreaterThan(10); // the crafted inputs do reach the limits
      expect(s.maxRssMb).toBeLessThan(1024);
      expect(s.slowestMs).toBeLessThan(10_000);
    }
  }, 150_000);
});
