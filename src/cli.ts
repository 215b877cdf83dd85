// The `layerc` command line. Each subcommand lives in src/cli/<name>.ts and registers itself on the
// program; this file only wires them up and turns LayercErrors into clean reports and exit codes.
import { Command, CommanderError } from 'commander';
import { LayercError, suggest } from './diagnostics.ts';
import { COMMANDS } from './cli/commands.ts';
import { packageVersion } from './cli/version.ts';

export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  // A global opt-in read by the ONNX importer wherever a command loads a model (src/frontend/onnx-external.ts).
  if (argv.includes('--allow-external-data')) process.env.LAYERC_ALLOW_EXTERNAL_DATA = '1';
  const program = new Command('layerc')
    .description('graph compiler and optimizer for neural-network layer pipelines')
    .version(packageVersion(), '-V, --version', 'print the version (bin/layerc.js answers it without loading the compiler)')
    .option('--verbose', 'show stack traces for errors')
    .option('--allow-external-data', 'let ONNX models read tensor data from files inside their own directory')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (msg, write) => write(asCatalogued(msg)) })
    .exitOverride();
  for (const register of COMMANDS) register(program);
  for (const cmd of program.commands) cmd.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    return report(e, verbose, program);
  }
}

/** commander's usage errors reworded as catalogue errors: unknown option LC001, the rest LC002 (with suggestions). */
function asCatalogued(msg: string): string {
  const opt = /^error: unknown option '([^']*)'(?:\s*\(Did you mean ([^?]+)\?\))?/s.exec(msg);
  if (opt) return new LayercError('LC001', [`'${opt[1]}'`, opt[2] ? ` (did you mean ${opt[2]}?)` : '']).format() + '\n';
  const cmd = /^error: unknown command '([^']*)'(?:\s*\(Did you mean ([^?]+)\?\))?/s.exec(msg);
  if (cmd) return new LayercError('LC002', [`unknown command '${cmd[1]}'${cmd[2] ? ` (did you mean ${cmd[2]}?)` : ''}`]).format() + '\n';
  const other = /^error: (.*)/s.exec(msg.trim()); // missing argument, too many arguments, missing required option...
  return other ? new LayercError('LC002', [other[1]]).format() + '\n' : msg;
}

function report(e: unknown, verbose: boolean, program: Command): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    // commander already printed its message (with its own "Did you mean ...?" suggestion).
    if (e.code === 'commander.unknownCommand') {
      const word = /'([^']+)'/.exec(e.message)?.[1] ?? '';
      const s = suggest(word, program.commands.map((c) => c.name()));
      if (s && !e.message.includes('Did you mean')) process.stderr.write(`(did you mean ${s}?)\n`);
    }
    return 2;
  }
  if (e instanceof LayercError) {
    process.stderr.write(e.format() + '\n');
    if (verbose && e.stack) process.stderr.write(e.stack + '\n');
    return e.exitCode;
  }
  process.stderr.write(`internal error: ${(e as Error)?.message ?? String(e)}\n`);
  if (verbose && (e as Error)?.stack) process.stderr.write((e as Error).stack + '\n');
  else process.stderr.write('(this is a bug in layerc; run with --verbose for a stack trace)\n');
  return 70;
}
