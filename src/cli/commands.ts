// The list of subcommands. Each module exports `register(program)`; add one line per command.
import type { Command } from 'commander';
import { register as train } from './train.ts';
import { register as exportCmd } from './export.ts';
import { register as testOnnx } from './test-onnx.ts';
import { register as inspect } from './inspect.ts';
import { register as run } from './run.ts';
import { register as bench } from './bench.ts';
import { register as compile } from './compile.ts';
import { register as optimize } from './optimize.ts';
import { register as verify } from './verify.ts';
import { register as viz } from './viz.ts';
import { register as evaluate } from './evaluate.ts';

export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [train, evaluate, exportCmd, testOnnx, inspect, run, bench, compile, optimize, verify, viz];
