// Mutations of valid DSL programs (examples/*.layers) for the fuzz suite: token deletion, duplication, swaps,
// replacement (numbers by zero/negative/huge/non-integer ones, names by other names and layer names), random
// punctuation, and structural stress: deep parenthesis nesting, long pipelines, long chains of nested blocks.
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../fixtures.ts';

const TOKEN = /\s+|#[^\n]*|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|"[^"\n]*"|\|>|./g;

let cached: string[] | undefined;
export function dslSources(): string[] {
  if (cached) return cached;
  const dir = join(REPO_ROOT, 'examples');
  cached = readdirSync(dir).filter((f) => f.endsWith('.layers')).sort().map((f) => readFileSync(join(dir, f), 'utf8'));
  cached.push('model m(x: f32[N, 3, 8, 8]) {\n'
    + '  a = x |> conv2d(4, kernel=3, pad="same", groups=1) |> batchnorm(eps=0.001) |> leaky_relu(alpha=0.2)\n'
    + '  b = concat(a, a, axis=1) |> avgpool(2) |> dropout(0.5)\n  return b |> flatten |> dense(5) |> softmax, a\n}\n');
  return cached;
}

// Syntax-preserving operations come first and are drawn most often, so most cases reach the compiler's checks.
const OPS = ['number', 'kwarg', 'name', 'swap', 'del', 'dup', 'insert', 'nest', 'pipeline', 'blocks'] as const;
export type DslOp = { kind: (typeof OPS)[number]; a: number; b: number; c: number };
export interface DslPlan { src: number; ops: DslOp[] }

export const dslPlan: fc.Arbitrary<DslPlan> = fc.record({
  src: fc.nat(),
  ops: fc.array(fc.record({
    kind: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...OPS.slice(0, 2)) }, { weight: 4, arbitrary: fc.constantFrom(...OPS.slice(2, 7)) }, { weight: 1, arbitrary: fc.constantFrom(...OPS.slice(7)) }),
    a: fc.nat(), b: fc.nat(), c: fc.nat(),
  }), { minLength: 1, maxLength: 4 }),
});

const NUMBERS = ['0', '-1', '-0', '1e400', '99999999999', '1000000000', '0.5', '2.5', '1e-9', '65536', '3', '007', '4294967297'];
const NAMES = ['x', 'y', 'h', 'relu', 'conv2d', 'dense', 'batchnorm', 'maxpool', 'concat', 'basic', 'down', 'model', 'block', 'return',
  'kernel', 'stride', 'pad', 'name', 'trainable', 'true', 'false', 'channels', 'N', 'softmax', 'flatten', 'global_avgpool'];
const PUNCT = ['(', ')', '{', '}', ',', '=', '|>', '+', '[', ']', ':', '"same"', '"', '#', '\n', 'f32', 'f16', '-'];
const KWARGS = ['stride', 'kernel', 'pad', 'dilation', 'groups', 'bias', 'eps', 'momentum', 'alpha', 'axis', 'p', 'output_pad', 'trainable', 'name', 'scale', 'center'];
const VALUES = ['0', '1', '2', '3', '-1', '100', '1e9', '0.5', '"same"', '"x"', '"conv1"', 'true', 'false', 'x'];
const pick = <T>(xs: readonly T[], k: number): T => xs[k % xs.length];

export function applyDslPlan(plan: DslPlan): string {
  const sources = dslSources();
  let tokens: string[] = [...(sources[plan.src % sources.length].match(TOKEN) ?? [])];
  for (const o of plan.ops) tokens = mutate(tokens, o);
  return tokens.join('');
}

function mutate(tokens: string[], { kind, a, b, c }: DslOp): string[] {
  const solid = tokens.map((t, i) => (/^\s|^#/.test(t) ? -1 : i)).filter((i) => i >= 0);
  if (!solid.length) return tokens;
  const i = solid[a % solid.length];
  const j = solid[b % solid.length];
  const out = [...tokens];
  switch (kind) {
    case 'del': out.splice(i, 1 + (c % 3 === 0 ? b % 4 : 0)); break;
    case 'dup': out.splice(i, 0, ...tokens.slice(i, i + 1 + (c % 5))); break;
    case 'swap': [out[i], out[j]] = [out[j], out[i]]; break;
    case 'number': {
      const nums = solid.filter((k) => /^\d/.test(tokens[k]));
      out[nums.length ? nums[a % nums.length] : i] = pick(NUMBERS, b);
      break;
    }
    case 'name': out[i] = pick(NAMES, b); break;
    case 'kwarg': { // add a keyword argument with an odd value to a layer call
      const layers = solid.filter((k) => /^[a-z]/.test(tokens[k]) && /\|>/.test(tokens[solid[solid.indexOf(k) - 1]] ?? ''));
      if (!layers.length) break;
      const k = layers[a % layers.length];
      const kv = `${pick(KWARGS, b)}=${pick(VALUES, c)}`;
      const next = solid[solid.indexOf(k) + 1];
      if (next !== undefined && tokens[next] === '(') out[next] = `(${kv}, `;
      else out[k] = `${tokens[k]}(${kv})`;
      break;
    }
    case 'insert': out.splice(i, 0, pick(PUNCT, b), ...(c % 2 ? [' '] : [])); break;
    case 'nest': { // wrap a name in many parentheses (stresses the parser's recursion)
      const names = solid.filter((k) => /^[a-z_]/i.test(tokens[k]));
      const k = names.length ? names[a % names.length] : i;
      const depth = pick([10, 100, 1000, 5000, 20000], b);
      out[k] = '('.repeat(depth) + tokens[k] + ')'.repeat(c % 7 === 0 ? depth - 1 : depth);
      break;
    }
    case 'pipeline': out.splice(i + 1, 0, ' |> relu'.repeat(pick([10, 500, 5000], b))); break;
    case 'blocks': { // a chain of blocks each calling the next, applied once in the model
      const n = pick([5, 63, 64, 65, 300], b);
      const chain = Array.from({ length: n }, (_, k) => `block c${k}(x) {\n  return x |> ${k === n - 1 ? 'relu' : `c${k + 1}`}\n}\n`).join('');
      const names = solid.filter((k) => tokens[k] === 'relu' || tokens[k] === 'batchnorm');
      if (names.length) out[names[c % names.length]] = 'c0';
      out.unshift(chain);
      break;
    }
  }
  return out;
}
