// `layerc verify` and `layerc viz`. verify: a fixture model agrees with its -O2 optimized export (PASS, exit
// 0) and not with a copy whose last bias is shifted by 0.01 (FAIL, exit 1, max error 0.01); interfaces that
// differ are LC064; --dim values reach symbolic inputs. viz: the SVG is well-formed, has one box per node in
// each panel, and the -O2 panel shows Fused clusters; .html embeds the same drawing.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { LayercError } from '../../src/diagnostics.ts';
import { loadModel } from '../../src/frontend/load.ts';
import { exportOnnx } from '../../src/export/onnx.ts';
import { main } from '../../src/cli.ts';
import { verifyModels } from '../../src/cli/verify.ts';
import { optimize } from '../../passes/index.ts';
import { MODELS, REPO_ROOT } from '../fixtures.ts';

const LENET = join(MODELS, 'lenet_bn', 'model.onnx');
const dir = mkdtempSync(join(tmpdir(), 'layerc-verify-viz-'));

/** Runs the CLI in-process and returns its exit code and printed lines. */
async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { lines.push(a.join(' ')); });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { lines.push(String(s)); return true; });
  try {
    const code = await main(args);
    return { code, out: lines.join('\n') };
  } finally {
    log.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

afterEach(() => { process.exitCode = undefined; });

describe('layerc verify', () => {
  it('passes a fixture model against its -O2 export and fails a perturbed copy with exit 1', async () => {
    const g = await loadModel(LENET);
    const optimizedFile = join(dir, 'lenet-o2.onnx');
    writeFileSync(optimizedFile, exportOnnx(optimize(g, { level: 2 }).graph));
    expect(g.nodes.some((n) => n.op === 'BatchNormalization')).toBe(false);
    const ok = await cli('verify', LENET, optimizedFile, '--trials', '2');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^PASS {2}output {2}max_abs_err=\S+ max_rel_err=/m);
    expect(ok.out.trim().split('\n').at(-1)).toMatch(/^PASS: 1 output\(s\), 2 trial\(s\)/);

    const p = await loadModel(LENET);
    const lastGemm = p.nodes.filter((n) => n.op === 'Gemm').at(-1)!;
    const bias = lastGemm.inputs[2]!;
    p.setConst(bias, Tensor.fromArray('float32', bias.const!.shape, Array.from(bias.const!.data, (v) => v + 0.01)));
    const perturbedFile = join(dir, 'lenet-perturbed.onnx');
    writeFileSync(perturbedFile, exportOnnx(p));
    // a real process, for the exit status
    const r = spawnSync(join(REPO_ROOT, 'bin', 'layerc.js'), ['verify', LENET, perturbedFile, '--trials', '1'], { encoding: 'utf8', cwd: REPO_ROOT });
    expect(r.status).toBe(1);
    const line = r.stdout.split('\n').find((l) => l.startsWith('FAIL  output'))!;
    expect(Number(/max_abs_err=(\S+)/.exec(line)![1])).toBeCloseTo(0.01, 5);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^FAIL:/);
  });

  function relu(inputName = 'x', outName = 'y', shape: (number | string)[] = [2, 3], shift = 0) {
    const g = new Graph('r');
    const x = g.addInput(inputName, { dtype: 'float32', shape });
    let y = g.addNode('Relu', [x], {}, shift ? {} : { outputNames: [outName] }).outputs[0]!;
    if (shift) y = g.addNode('Add', [y, g.addConst('s', Tensor.scalar('float32', shift))], {}, { outputNames: [outName] }).outputs[0]!;
    g.outputs = [y];
    return inferShapes(g);
  }

  it('applies |b - a| <= atol + rtol |a| and reports the max errors', () => {
    const r = verifyModels(relu(), relu('x', 'y', [2, 3], 1e-5), { trials: 2 });
    expect(r.ok).toBe(true);
    expect(r.outputs[0]!.maxAbsErr).toBeGreaterThan(0.9e-5);
    expect(r.outputs[0]!.maxAbsErr).toBeLessThan(1.1e-5);
    expect(verifyModels(relu(), relu('x', 'y', [2, 3], 1e-5), { atol: 1e-6, rtol: 0 }).ok).toBe(false);
    expect(verifyModels(relu(), relu(), { atol: 0, rtol: 0 }).ok).toBe(true);
  });

  it('refuses models whose inputs or outputs differ (LC064)', () => {
    const code = (f: () => unknown) => { try { f(); } catch (e) { return e instanceof LayercError ? `${e.code} ${e.message}` : String(e); } return 'no error'; };
    expect(code(() => verifyModels(relu('x'), relu('z')))).toMatch(/^LC064 .*inputs differ/);
    expect(code(() => verifyModels(relu('x', 'y'), relu('x', 'w')))).toMatch(/^LC064 .*outputs differ/);
    expect(code(() => verifyModels(relu('x', 'y', [2, 3]), relu('x', 'y', [3, 3])))).toMatch(/^LC064 .*input 'x' is float32\[2, 3\] in A but float32\[3, 3\]/);
  });

  it('gives symbolic dims the --dim value (default 1) in both models', () => {
    // B reshapes to a fixed [5, 3]: it runs only when N is really 5
    const b = relu('x', 'y', ['N', 3]);
    const fixed = b.addNode('Reshape', [b.outputs[0]!, b.addConst('s', Tensor.fromArray('int64', [2], [5, 3]))]).outputs[0]!;
    b.outputs = [fixed];
    b.rename(b.value('y')!, 'y_relu');
    b.rename(fixed, 'y');
    inferShapes(b);
    expect(verifyModels(relu('x', 'y', ['N', 3]), b, { dims: { N: 5 } }).ok).toBe(true);
    expect(() => verifyModels(relu('x', 'y', ['N', 3]), b)).toThrow(/Reshape|shape/);
  });
});

/** Checks that every tag opens and closes in order (XML-ish well-formedness without a parser dependency). */
function wellFormed(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w-]*)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    if (self) continue;
    if (close) expect(stack.pop(), `closing </${name}>`).toBe(name);
    else stack.push(name!);
  }
  expect(stack).toEqual([]);
  expect(svg).not.toMatch(/<(?![/a-zA-Z!])/);
}

describe('layerc viz', () => {
  it('draws the original and the -O2 graph side by side, one box per node, Fused as clusters', async () => {
    const out = join(dir, 'lenet.svg');
    const r = await cli('viz', LENET, '-O2', '-o', out);
    expect(r.code).toBe(0);
    const svg = readFileSync(out, 'utf8');
    wellFormed(svg);
    const panels = svg.split('<g class="panel"').slice(1);
    expect(panels).toHaveLength(2);
    const before = await loadModel(LENET);
    const after = optimize(await loadModel(LENET), { level: 2 }).graph;
    const boxes = (p: string) => (p.match(/<g class="(node|fused)"/g) ?? []).length;
    expect(boxes(panels[0]!)).toBe(before.nodes.length);
    expect(boxes(panels[1]!)).toBe(after.nodes.length);
    expect(panels[0]).not.toContain('class="fused"');
    const fusedCount = after.nodes.filter((n) => n.op === 'Fused').length;
    expect(fusedCount).toBeGreaterThan(0);
    expect((panels[1]!.match(/<g class="fused"[^>]*>.*?<text[^>]*>Fused<\/text>/g) ?? []).length).toBe(fusedCount);
    expect(panels[1]).toMatch(/<text[^>]*>act Sigmoid<\/text>/);
    // edges are ELK's routes: every node but the input has at least one incoming polyline
    expect((panels[0]!.match(/<polyline class="edge"/g) ?? []).length).toBeGreaterThanOrEqual(before.nodes.length);
  });

  it('writes .html with the drawing embedded; -O0 draws one panel; refuses other extensions', async () => {
    const out = join(dir, 'lenet.html');
    expect((await cli('viz', LENET, '-O0', '-o', out)).code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.match(/<g class="panel"/g)).toHaveLength(1);
    wellFormed(html.slice(html.indexOf('<svg'), html.indexOf('</svg>') + 6));
    const again = await cli('viz', LENET, '-o', out);
    expect(again.out).toContain('LC004');
    const bad = await cli('viz', LENET, '-o', join(dir, 'graph.png'));
    expect(bad.out).toContain('LC006');
    expect(bad.code).not.toBe(0);
  });
});
