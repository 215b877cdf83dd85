// A fuzz worker process: runs `runs` seeded cases of one kind and reports each case before running it, so the
// supervisor (supervise.ts) can name the case if this process hangs and has to be killed. The supervisor closes
// the IPC channel after 'done' (disconnecting here could drop messages still queued: a Node internal error).
import fc from 'fast-check';
import { ARBITRARIES, runCase, type Kind } from './cases.ts';

/** `replay`: run just this plan (the supervisor re-checks a suspected hang in a fresh process). */
interface Job { kind: Kind; runs: number; seed: number; replay?: unknown }

process.once('message', (job: Job) => {
  const send = (m: unknown) => process.send!(m);
  if (job.replay !== undefined) {
    send({ t: 'case', i: 0, plan: job.replay });
    const r = runCase(job.kind, job.replay as never);
    send(r.ok ? { t: 'outcome', code: r.accepted ? undefined : r.code } : { t: 'crash', plan: job.replay, error: r.error });
    send({ t: 'done', maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) });
    return;
  }
  const codes: Record<string, number> = {};
  let accepted = 0, rejected = 0, crashes = 0, i = 0;
  fc.check(fc.property(ARBITRARIES[job.kind] as fc.Arbitrary<unknown>, (plan) => {
    send({ t: 'case', i: i++, plan });
    const t0 = performance.now();
    const r = runCase(job.kind, plan as never);
    send({ t: 'time', ms: performance.now() - t0, plan });
    if (!r.ok) { crashes++; send({ t: 'crash', plan, error: r.error }); }
    else if (r.accepted) accepted++;
    else { rejected++; codes[r.code!] = (codes[r.code!] ?? 0) + 1; }
    if (r.ok) send({ t: 'outcome', code: r.accepted ? undefined : r.code }); // counted even if a later case hangs
    return true;
  }), { numRuns: job.runs, seed: job.seed });
  send({ t: 'done', accepted, rejected, crashes, codes, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) });
});
