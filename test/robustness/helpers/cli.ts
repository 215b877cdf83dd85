// Runs the CLI's main() in this process (much faster than spawning tsx) and captures stderr and the status.
import { vi } from 'vitest';
import { main } from '../../../src/cli.ts';

export async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ status: number; stderr: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  let stderr = '';
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { stderr += String(s); return true; });
  const out = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    return { status: await main(args), stderr };
  } finally {
    err.mockRestore(); out.mockRestore();
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    process.exitCode = undefined;
  }
}
