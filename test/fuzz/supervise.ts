// Runs a fuzz campaign in child processes with a per-case time limit: each child reports every case before it
// runs it; a child silent for longer than `timeoutMs` is killed (SIGKILL) and its last case recorded as a hang,
// and a fresh child continues with the remaining runs. Children run with a capped V8 heap, and report their
// peak RSS, so runaway allocation shows as a dead child or a high peak instead of a swapping machine.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Kind } from './cases.ts';

export interface FuzzOptions {
  kinds: Kind[];
  /** Cases per kind. */
  runs: number;
  seed: number;
  timeoutMs: number;
  /** Child processes per kind running at once (each gets an equal share of the runs). */
  workers: number;
  log?: (line: string) => void;
}
export interface Finding { kind: Kind; what: 'crash' | 'hang' | 'died'; plan: unknown; error: string }
export interface KindStats { kind: Kind; ran: number; accepted: number; rejected: number; codes: Record<string, number>; maxRssMb: number; slowestMs: number; slowestPlan?: unknown }
/** `slow`: cases that timed out but finished in time when replayed alone (a stall of a busy machine, not a hang). */
export interface FuzzResult { stats: KindStats[]; findings: Finding[]; slow: Finding[]; seconds: number }

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

export async function fuzz(o: FuzzOptions): Promise<FuzzResult> {
  const t0 = Date.now();
  const findings: Finding[] = [];
  const slow: Finding[] = [];
  const stats: KindStats[] = [];
  for (const kind of o.kinds) {
    const s: KindStats = { kind, ran: 0, accepted: 0, rejected: 0, codes: {}, maxRssMb: 0, slowestMs: 0 };
    const shares = Array.from({ length: o.workers }, (_, w) => Math.floor(o.runs / o.workers) + (w < o.runs % o.workers ? 1 : 0));
    await Promise.all(shares.map((runs, w) => share(kind, runs, o.seed + w * 7919 + ['onnx', 'dsl', 'tensor', 'runtime', 'wire', 'dslnum'].indexOf(kind), o, s, findings, slow)));
    stats.push(s);
    o.log?.(`${kind}: ${s.ran} cases, ${s.accepted} accepted, ${s.rejected} rejected with a LayercError, peak RSS ${s.maxRssMb} MB, slowest case ${Math.round(s.slowestMs)} ms ${JSON.stringify(s.slowestPlan)?.slice(0, 300)}`);
  }
  return { stats, findings, slow, seconds: (Date.now() - t0) / 1000 };
}

/** Runs `runs` cases in one child at a time, restarting after a hang or a death with a derived seed. */
async function share(kind: Kind, runs: number, seed: number, o: FuzzOptions, s: KindStats, findings: Finding[], slow: Finding[]): Promise<void> {
  let left = runs;
  for (let attempt = 0; left > 0; attempt++) {
    const r = await oneChild(kind, left, seed + attempt * 1_000_003, o.timeoutMs);
    s.ran += r.ran; s.accepted += r.accepted; s.rejected += r.rejected; s.maxRssMb = Math.max(s.maxRssMb, r.maxRssMb);
    if (r.slowestMs > s.slowestMs) { s.slowestMs = r.slowestMs; s.slowestPlan = r.slowestPlan; }
    for (const [c, n] of Object.entries(r.codes)) s.codes[c] = (s.codes[c] ?? 0) + n;
    for (const f of r.findings) {
      if (f.what === 'hang' && f.plan !== undefined) { // confirm alone in a fresh process before calling it a hang
        const again = await oneChild(kind, 1, seed, o.timeoutMs, f.plan);
        if (!again.findings.length) { slow.push(f); o.log?.(`slow case (timed out under load, ${o.timeoutMs} ms; fine when replayed): ${JSON.stringify(f.plan)}`); continue; }
      }
      findings.push(f);
      o.log?.(`FINDING ${f.what} (${kind}): ${f.error}\n  plan: ${JSON.stringify(f.plan)}`);
    }
    left -= Math.max(1, r.ran);
  }
}

interface ChildResult { ran: number; accepted: number; rejected: number; codes: Record<string, number>; maxRssMb: number; findings: Finding[]; slowestMs: number; slowestPlan?: unknown }

function oneChild(kind: Kind, runs: number, seed: number, timeoutMs: number, replay?: unknown): Promise<ChildResult> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.LAYERC_ALLOW_EXTERNAL_DATA;
    for (const k of Object.keys(env)) if (k.startsWith('LAYERC_MAX_')) delete env[k];
    // Cases must stay small to be timed: a mutated dim can legally ask for a 100M-element weight (allowed by the
    // default limit, and seconds of weight init). 2^24 elements still exercises every limit check.
    env.LAYERC_MAX_TENSOR_ELEMENTS = String(2 ** 24);
    // Likewise a flood of 900k NodeProtos is legal under the default node limit and takes protobufjs seconds.
    env.LAYERC_MAX_NODES = String(2 ** 16);
    const child = fork(CHILD, [], { execArgv: ['--import', 'tsx', '--max-old-space-size=1536', '--stack-size=984'], env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const r: ChildResult = { ran: 0, accepted: 0, rejected: 0, codes: {}, maxRssMb: 0, findings: [], slowestMs: 0 };
    let last: unknown;
    let done = false;
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr = (stderr + d).slice(-2000); });
    let timer = setTimeout(onHang, timeoutMs * 4 + 20_000); // the first message waits for tsx to load the sources
    function onHang() {
      r.findings.push({ kind, what: 'hang', plan: last, error: `no progress for ${timeoutMs} ms` });
      child.kill('SIGKILL');
    }
    child.on('message', (m: { t: string; plan?: unknown; error?: string } & Partial<ChildResult> & { accepted?: number; crashes?: number }) => {
      clearTimeout(timer);
      timer = setTimeout(onHang, timeoutMs);
      if (m.t === 'case') { last = m.plan; r.ran++; }
      else if (m.t === 'time') { const ms = (m as { ms?: number }).ms ?? 0; if (ms > r.slowestMs) { r.slowestMs = ms; r.slowestPlan = m.plan; } }
      else if (m.t === 'outcome') {
        const code = (m as { code?: string }).code;
        if (code) { r.rejected++; r.codes[code] = (r.codes[code] ?? 0) + 1; } else r.accepted++;
      } else if (m.t === 'crash') r.findings.push({ kind, what: 'crash', plan: m.plan, error: m.error! });
      else if (m.t === 'done') { done = true; r.maxRssMb = m.maxRssMb ?? 0; child.disconnect(); }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!done && !r.findings.some((f) => f.what === 'hang')) r.findings.push({ kind, what: 'died', plan: last, error: `child exited (${code ?? signal}): ${stderr.trim().split('\n').slice(-12).join(' | ')}` });
      resolve(r);
    });
    child.send({ kind, runs, seed, replay });
  });
}
