// docs/errors.md is complete both ways against the catalogue (every code documented with its exit status and
// message template; no stale codes), and each runnable example in it triggers exactly its code: `sh` examples
// through the CLI's main() in a directory of prepared files, `onnx-json` through the importer, `layers` through
// the DSL compiler.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnx from 'onnx-proto';
import { CATALOGUE, LayercError } from '../../src/diagnostics.ts';
import { importOnnx } from '../../src/frontend/onnx.ts';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { runCli } from './helpers/cli.ts';
import { encodeCheckpoint } from '../../src/io/safetensors.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { encodeNpy } from '../../src/io/npy.ts';
import { MODELS, NODE_TESTS, REPO_ROOT } from '../fixtures.ts';

interface Entry { code: string; exit: number; message: string; examples: { lang: string; body: string }[] }

function parseDoc(): Entry[] {
  const text = readFileSync(join(REPO_ROOT, 'docs/errors.md'), 'utf8');
  return text.split(/^### /m).slice(1).map((sec) => {
    const code = /^(LC\d{3})/.exec(sec)?.[1] ?? sec.slice(0, 20);
    const head = /^exit (\d+) · `(.*)`$/m.exec(sec);
    const examples = [...sec.matchAll(/^```(\S+)\n([\s\S]*?)^```/gm)].map((m) => ({ lang: m[1], body: m[2] }));
    return { code, exit: head ? Number(head[1]) : NaN, message: head?.[2] ?? '', examples };
  });
}

const doc = parseDoc();
let dir: string;
const cwd = process.cwd();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'layerc-errdoc-'));
  copyFileSync(join(MODELS, 'mlp_bn/model.onnx'), join(dir, 'model.onnx'));
  copyFileSync(join(REPO_ROOT, 'examples/mlp_bn.layers'), join(dir, 'model.layers'));
  copyFileSync(join(NODE_TESTS, 'test_relu/model.onnx'), join(dir, 'relu.onnx'));
  writeFileSync(join(dir, 'garbage.onnx'), 'this is not a protobuf\n');
  writeFileSync(join(dir, 'taken.onnx'), 'already here');
  const ck = encodeCheckpoint({ tensors: new Map([['w', new Tensor('float32', [4], new Float32Array([1, 2, 3, 4]))]]), metadata: {} });
  writeFileSync(join(dir, 'nomodel.safetensors'), ck);
  const bad = new Uint8Array(ck);
  bad[bad.length - 2] ^= 0x10;
  writeFileSync(join(dir, 'corrupt.safetensors'), bad);
  const x = new Float32Array(64).map((_, i) => Math.sin(i)), y = new Float32Array(32).map((_, i) => Math.cos(i));
  writeFileSync(join(dir, 'X.npy'), encodeNpy(new Tensor('float32', [32, 2], x)));
  writeFileSync(join(dir, 'y.npy'), encodeNpy(new Tensor('float32', [32, 1], y)));
  process.chdir(dir);
});
afterAll(() => { process.chdir(cwd); rmSync(dir, { recursive: true, force: true }); });

/** `$ [VAR=value ...] layerc args...` -> exit status and stderr, run in-process. */
async function runSh(line: string): Promise<{ status: number; stderr: string }> {
  const words = line.replace(/^\$\s*/, '').trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0])) { const [k, v] = words.shift()!.split('='); env[k] = v; }
  expect(words.shift()).toBe('layerc');
  return runCli(words, env);
}

function codeOfSync(f: () => unknown): string {
  try { f(); } catch (e) { if (e instanceof LayercError) return e.code; throw e; }
  return 'no error';
}

function runOnnxJson(body: string): string {
  const { opset, allowExternalData, irVersion, ...graph } = JSON.parse(body);
  const g = { name: 'g', input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }, { dimValue: 3 }] } } } }], output: [{ name: 'y' }], ...graph };
  const m = onnx.onnx.ModelProto.fromObject({ irVersion: irVersion ?? 8, opsetImport: [{ domain: '', version: opset ?? 18 }], graph: g });
  const file = join(dir, 'example.onnx');
  writeFileSync(file, onnx.onnx.ModelProto.encode(m).finish());
  return codeOfSync(() => importOnnx(readFileSync(file), { file, allowExternalData }));
}

describe('docs/errors.md', () => {
  it('documents every catalogue code, with its exit status and message template, and nothing else', () => {
    const documented = doc.map((d) => d.code);
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.keys(CATALOGUE).sort());
    for (const d of doc) {
      const c = CATALOGUE[d.code as keyof typeof CATALOGUE];
      expect({ code: d.code, exit: d.exit, message: d.message }).toEqual({ code: d.code, exit: c.exit, message: c.message });
      expect(d.examples.length, `${d.code} has an example`).toBeGreaterThan(0);
    }
  });

  const runnable = doc.filter((d) => d.examples.some((e) => e.lang !== 'text'));
  it('most codes have a runnable example', () => {
    expect(runnable.length).toBeGreaterThanOrEqual(Math.floor(doc.length * 0.7));
  });
  for (const d of runnable) {
    it(`${d.code}: its example triggers it`, async () => {
      for (const ex of d.examples) {
        if (ex.lang === 'sh') {
          for (const line of ex.body.split('\n').filter((l) => l.startsWith('$'))) {
            const r = await runSh(line);
            expect(r.stderr).toContain(`error[${d.code}]`);
            expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
            expect(r.status).toBe(d.exit);
          }
        } else if (ex.lang === 'onnx-json') expect(runOnnxJson(ex.body)).toBe(d.code);
        else if (ex.lang === 'layers') expect(codeOfSync(() => compileDsl(ex.body, 'example.layers'))).toBe(d.code);
        else expect(ex.lang).toBe('text');
      }
    });
  }
});
