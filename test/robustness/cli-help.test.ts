// Every command has --help with an example; unknown flags and commands are catalogue errors (LC001/LC002) with
// a "did you mean" suggestion and no stack trace. Help is checked in-process for every command in COMMANDS;
// the error paths also through the real executable (bin/layerc.js) in a child process.
import { describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Command } from 'commander';
import { COMMANDS } from '../../src/cli/commands.ts';
import { REPO_ROOT } from '../fixtures.ts';
import { runCli } from './helpers/cli.ts';

function commandNames(): string[] {
  const program = new Command('layerc');
  for (const register of COMMANDS) register(program);
  return program.commands.map((c) => c.name());
}

async function help(cmd: string): Promise<{ status: number; text: string }> {
  let text = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { text += String(s); return true; });
  try { return { status: (await runCli([cmd, '--help'])).status, text }; } finally { out.mockRestore(); }
}

const names = commandNames();

describe('CLI help and usage errors', () => {
  it('COMMANDS registers the documented commands', () => {
    expect(names.length).toBe(COMMANDS.length);
    for (const c of ['inspect', 'run', 'test-onnx', 'train', 'export']) expect(names).toContain(c);
  });
  for (const name of names) {
    it(`layerc ${name} --help shows usage and an example that uses the command`, async () => {
      const h = await help(name);
      expect(h.status).toBe(0);
      expect(h.text).toContain(`Usage: layerc ${name}`);
      expect(h.text).toMatch(/Examples?:/);
      expect(h.text).toMatch(new RegExp(`\\n\\s+layerc ${name} `)); // the example is a command line of this command
    });
  }
  it('an unknown flag of each command is a usage error (LC001, or LC002 for a missing required option first), exit 2, no stack trace', async () => {
    for (const name of names) {
      const r = await runCli([name, '--definitely-not-a-flag']);
      // commander reports a missing required option (LC002) before an unknown one.
      if (/required option/.test(r.stderr)) expect(r.stderr, name).toContain('error[LC002]');
      else expect(r.stderr, name).toContain("error[LC001]: unknown option '--definitely-not-a-flag'");
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.status).toBe(2);
    }
  });
  it('child process: a misspelt flag gets a suggestion, a misspelt command too; exit 2, no stack trace', () => {
    const cli = (...a: string[]) => spawnSync(process.execPath, [join(REPO_ROOT, 'bin/layerc.js'), ...a], { encoding: 'utf8' });
    const flag = cli('inspect', 'model.onnx', '--grpah');
    expect(flag.stderr).toContain("error[LC001]: unknown option '--grpah' (did you mean --graph?)");
    expect(flag.status).toBe(2);
    const cmd = cli('optimise', 'model.onnx');
    expect(cmd.stderr).toContain("error[LC002]: bad command-line usage: unknown command 'optimise' (did you mean optimize?)");
    expect(cmd.status).toBe(2);
    for (const r of [flag, cmd]) {
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    }
  });
  it('missing argument and missing required option are LC002', async () => {
    expect((await runCli(['inspect'])).stderr).toMatch(/error\[LC002\]: bad command-line usage: missing required argument 'model'/);
    expect((await runCli(['viz', 'm.onnx'])).stderr).toMatch(/error\[LC002\].*required option '-o, --output <file>'/);
  });
});
