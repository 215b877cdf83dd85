// The layering of the code, checked over the import graph of every .ts file under src/, passes/ and runtime/
// (static `import`/`export ... from` and literal dynamic `import()` specifiers). The layers, bottom up:
//
//   base      src/ir, src/diagnostics.ts, src/limits.ts, src/random.ts, src/node-builtin.ts   nothing above
//   codecs    src/io (tensor files, safetensors)                         base
//   ops       src/ops (every op: attrs, shape rule, reference, traits, gradient rule)   base
//   builders  src/train/*.ts (autodiff, losses, optimizers, state manifest: graph -> graph)  base, codecs, ops
//   frontends src/frontend (DSL, ONNX import), src/export (ONNX export)  base, codecs, ops, builders (+ grammar/)
//   passes    passes/                                                    base, ops, builders — never runtime/
//   runtime   runtime/ (backend contract, planner) and its backends      base, ops — never passes/, a frontend,
//             runtime/js, runtime/wgsl (a backend never imports another)                  codecs or training
//   drivers   src/cli.ts, src/cli/, the library entries (src/index.ts, src/browser.ts, src/api/), the one place
//             that lowers for a backend and compiles (src/compile-for.ts), and the
//             training driver src/train/loop, src/train/graphs (the library's `train` and `export`): they wire
//             frontends, passes and runtime; outside runtime/ a backend is reached only through the contract
//             runtime/backend.ts, whose lazy table is the one place that names the backends' entry points.
//
// Known violations are named below, each with the change that removes it; an entry that no longer matches an
// import fails the test, so the list can only shrink.
// Also size limits for the same files: no file over MAX_FILE_LINES lines, no line over MAX_LINE_CHARS characters.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Imports that break the layering today, each named with the change that removes it (none left: the compile
 *  path, #15, moved lowering into a pipeline the caller runs). */
const KNOWN_VIOLATIONS = new Set<string>([]);

/** Longest file and line allowed. Measured 2026-12-06 before setting them: 356 lines (passes/fold-batchnorm.ts),
 *  318 characters; 256 lines were over 160 characters. The line limit is a ceiling to lower, not a goal. */
const MAX_FILE_LINES = 400;
const MAX_LINE_CHARS = 240;

type Layer = 'base' | 'codecs' | 'ops' | 'builders' | 'frontends' | 'passes' | 'contract' | 'js' | 'wgsl' | 'drivers' | 'grammar';

function layerOf(path: string): Layer {
  if (/^src\/(ir\/|diagnostics\.ts|limits\.ts|random\.ts|node-builtin\.ts)/.test(path)) return 'base';
  if (path.startsWith('src/io/')) return 'codecs';
  if (path.startsWith('src/ops/')) return 'ops';
  if (/^src\/train\/[^/]+\.ts$/.test(path)) return 'builders';
  if (/^src\/(frontend|export)\//.test(path)) return 'frontends';
  if (path.startsWith('passes/')) return 'passes';
  if (path.startsWith('runtime/js/')) return 'js';
  if (path.startsWith('runtime/wgsl/')) return 'wgsl';
  if (path.startsWith('runtime/')) return 'contract';
  if (/^src\/(cli\.ts|cli\/|index\.ts|browser\.ts|compile-for\.ts|api\/|train\/(loop|graphs)\/)/.test(path)) return 'drivers';
  if (path.startsWith('grammar/')) return 'grammar';
  throw new Error(`${path}: no layer (add it to test/architecture.test.ts)`);
}

const ALLOWED: Record<Layer, readonly Layer[]> = {
  base: ['base'],
  codecs: ['base', 'codecs'],
  ops: ['base', 'ops'],
  builders: ['base', 'codecs', 'ops', 'builders'],
  frontends: ['base', 'codecs', 'ops', 'builders', 'frontends', 'grammar'],
  passes: ['base', 'ops', 'builders', 'passes'],
  contract: ['base', 'ops', 'contract'],
  js: ['base', 'ops', 'contract', 'js'],
  wgsl: ['base', 'ops', 'contract', 'wgsl'],
  drivers: ['base', 'codecs', 'ops', 'builders', 'frontends', 'passes', 'contract', 'drivers'],
  grammar: ['grammar'],
};

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const rel = `${dir}/${name}`;
    if (statSync(join(ROOT, rel)).isDirectory()) return tsFiles(rel);
    return rel.endsWith('.ts') && !rel.endsWith('.d.ts') ? [rel] : [];
  });
}

const SPECIFIER = /(?:^|[^.\w])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[^.\w])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Repo-relative paths of the files `file` imports (relative specifiers only; packages are not layers). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec.startsWith('.')) out.push(relative(ROOT, resolve(join(ROOT, dirname(file)), spec)).split('\\').join('/'));
  }
  return out;
}

/** The contract loads each backend on first use: runtime/backend.ts -> runtime/<backend>/index.ts. */
const isBackendTable = (from: string, to: string) => from === 'runtime/backend.ts' && /^runtime\/[a-z]+\/index\.ts$/.test(to);

const FILES = ['src', 'passes', 'runtime'].flatMap(tsFiles);
const EDGES = FILES.flatMap((f) => importsOf(f).map((t) => ({ from: f, to: t })));

describe('architecture: import layering', () => {
  it('finds the import graph', () => {
    expect(FILES.length).toBeGreaterThan(100);
    expect(EDGES).toContainEqual({ from: 'passes/split-train-infer.ts', to: 'src/train/autodiff.ts' });
  });

  it('every import goes down (or sideways within a layer)', () => {
    const bad = EDGES.filter(({ from, to }) => !ALLOWED[layerOf(from)].includes(layerOf(to)) && !isBackendTable(from, to))
      .map(({ from, to }) => `${from} -> ${to}`)
      .filter((e) => !KNOWN_VIOLATIONS.has(e));
    expect(bad).toEqual([]);
  });

  it('outside runtime/, backends are reached only through runtime/backend.ts', () => {
    const bad = EDGES.filter(({ from, to }) => !from.startsWith('runtime/') && to.startsWith('runtime/') && to !== 'runtime/backend.ts');
    expect(bad).toEqual([]);
  });

  it('every known violation still exists (delete the entry when its import goes)', () => {
    const present = new Set(EDGES.map(({ from, to }) => `${from} -> ${to}`));
    expect([...KNOWN_VIOLATIONS].filter((e) => !present.has(e))).toEqual([]);
  });

  it('the rule itself rejects a backend importing a pass', () => {
    expect(ALLOWED[layerOf('runtime/js/x.ts')].includes(layerOf('passes/fold-constants.ts'))).toBe(false);
    expect(ALLOWED[layerOf('passes/x.ts')].includes(layerOf('runtime/plan.ts'))).toBe(false);
    expect(ALLOWED[layerOf('src/ir/x.ts')].includes(layerOf('src/ops/util.ts'))).toBe(false);
    expect(ALLOWED[layerOf('runtime/wgsl/x.ts')].includes(layerOf('runtime/js/index.ts'))).toBe(false);
  });
});

describe('architecture: size', () => {
  // The library's code (src/, passes/, runtime/); tests and benches keep data tables (mutants, cases) as rows.
  const all = FILES;
  it(`no file over ${MAX_FILE_LINES} lines, no line over ${MAX_LINE_CHARS} characters`, () => {
    const bad: string[] = [];
    for (const f of all) {
      const lines = readFileSync(join(ROOT, f), 'utf8').split('\n');
      if (lines.length > MAX_FILE_LINES) bad.push(`${f}: ${lines.length} lines`);
      lines.forEach((l, i) => { if (l.length > MAX_LINE_CHARS) bad.push(`${f}:${i + 1}: ${l.length} characters`); });
    }
    expect(bad).toEqual([]);
  });
});
