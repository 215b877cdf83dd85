// Semantics of the DSL beyond the examples: call forms, multi-output return, concat, naming,
// BN conventions (momentum, scale/center), frozen parameters, seeded init, weights by name.
import { describe, expect, it } from 'vitest';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { printGraph } from '../../src/ir/printer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { verify } from '../../src/ir/verify.ts';

const ops = (src: string) => compileDsl(src, 't.layers').nodes.map((n) => n.op);

describe('DSL semantics', () => {
  it('f(x) is the same as x |> f, and bindings name values', () => {
    const a = compileDsl('model m(x: f32[N, 4]) {\n y = relu(x)\n return y\n}', 't');
    const b = compileDsl('model m(x: f32[N, 4]) {\n y = x |> relu\n return y\n}', 't');
    expect(printGraph(a)).toBe(printGraph(b));
    expect(a.outputs[0].name).toBe('y');
  });

  it('return a, b gives two outputs; concat joins on the axis', () => {
    const g = compileDsl('model m(x: f32[2, 3], z: f32[2, 5]) {\n a = x |> relu\n c = concat(a, z, axis=1)\n return c, a\n}', 't');
    expect(g.outputs.map((o) => o.name)).toEqual(['c', 'a']);
    expect(g.outputs[0].type.shape).toEqual([2, 8]);
    const x = Tensor.fromArray('float32', [2, 3], [-1, 2, -3, 4, -5, 6]);
    const z = Tensor.fromArray('float32', [2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const out = runGraph(g, { x, z });
    expect(Array.from(out.c.data)).toEqual([0, 2, 0, 1, 2, 3, 4, 5, 4, 0, 6, 6, 7, 8, 9, 10]);
  });

  it('return a, a gives two distinctly named outputs (an Identity copy), as ONNX requires', () => {
    const g = compileDsl('model m(x: f32[N, 3]) {\n a = x |> relu\n return a, a\n}', 't');
    verify(g);
    expect(g.outputs.map((o) => o.name)).toEqual(['a', 'a_copy']);
    expect(g.outputs[1].type.shape).toEqual(['N', 3]);
    const out = runGraph(g, { x: Tensor.fromArray('float32', [1, 3], [-1, 2, -3]) });
    expect(Array.from(out.a_copy.data)).toEqual(Array.from(out.a.data));
  });

  it('blocks take positional/keyword params with defaults, nest, and prefix their layer names', () => {
    const src = `block act(x, kind = 1) {\n  return x |> relu\n}\nblock two(x) {\n  y = x |> act |> act(kind=2)\n  return y\n}\nmodel m(x: f32[N, 4]) {\n  return x |> two |> two(name="second")\n}`;
    const g = compileDsl(src, 't');
    verify(g);
    expect(g.nodes.map((n) => n.name)).toEqual(['two1.act1.relu1', 'two1.act2.relu1', 'second.act1.relu1', 'second.act2.relu1']);
    expect(ops(src)).toEqual(['Relu', 'Relu', 'Relu', 'Relu']);
  });

  it('residual + broadcasts [N, C, H, W] with [C, 1, 1]-like shapes', () => {
    const g = compileDsl('model m(x: f32[N, 3, 4, 4], b: f32[3, 1, 1]) {\n return x + b\n}', 't');
    expect(g.outputs[0].type.shape).toEqual(['N', 3, 4, 4]);
  });

  it('relu6 is Clip(0, 6); leaky_relu keeps alpha; dropout carries its ratio', () => {
    const g = compileDsl('model m(x: f32[1, 4]) {\n return x |> relu6 |> leaky_relu(alpha=0.2) |> dropout(0.3)\n}', 't');
    expect(g.nodes.map((n) => n.op)).toEqual(['Clip', 'LeakyRelu', 'Dropout']);
    expect(g.nodes[1].attrs.alpha).toBe(0.2);
    const out = runGraph(g, { x: Tensor.fromArray('float32', [1, 4], [-5, 3, 7, 1]) });
    expect(Array.from(out[g.outputs[0].name].data)).toEqual([0, 3, 6, 1]);
  });

  it('batchnorm: ONNX momentum = 1 - DSL momentum; scale/center=false freeze gamma/beta; roles set', () => {
    const g = compileDsl('model m(x: f32[N, 3]) {\n return x |> batchnorm(eps=0.001, momentum=0.25, scale=false, center=true)\n}', 't');
    const bn = g.nodes[0];
    expect(bn.op).toBe('BatchNormalization');
    expect(bn.attrs).toMatchObject({ epsilon: 0.001, momentum: 0.75 });
    const [, gamma, beta, mean, v] = bn.inputs;
    expect([gamma!.name, beta!.name, mean!.name, v!.name]).toEqual(['bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var']);
    expect([gamma!.role, mean!.role, v!.role]).toEqual(['param', 'running_mean', 'running_var']);
    expect(gamma!.trainable).toBe(false);
    expect(beta!.trainable).toBeUndefined();
    expect(Array.from(gamma!.const!.data)).toEqual([1, 1, 1]);
    expect(Array.from(v!.const!.data)).toEqual([1, 1, 1]);
  });

  it('trainable=false freezes a layer; init is seeded, He before ReLU and Glorot otherwise', () => {
    const src = 'model m(x: f32[N, 50]) {\n a = x |> dense(40, trainable=false) |> relu\n b = a |> dense(30) |> sigmoid\n return b\n}';
    const g1 = compileDsl(src, 't', { seed: 3 });
    const g2 = compileDsl(src, 't', { seed: 3 });
    const g3 = compileDsl(src, 't', { seed: 4 });
    const w = (g: typeof g1, n: string) => Array.from(g.value(n)!.const!.data);
    expect(w(g1, 'dense1.weight')).toEqual(w(g2, 'dense1.weight'));
    expect(w(g1, 'dense1.weight')).not.toEqual(w(g3, 'dense1.weight'));
    expect(g1.value('dense1.weight')!.trainable).toBe(false);
    expect(g1.value('dense2.weight')!.trainable).toBeUndefined();
    const maxAbs = (xs: number[]) => Math.max(...xs.map(Math.abs));
    const he = Math.sqrt(6 / 50), glorot = Math.sqrt(6 / (40 + 30));
    expect(maxAbs(w(g1, 'dense1.weight'))).toBeLessThanOrEqual(he);
    expect(maxAbs(w(g1, 'dense1.weight'))).toBeGreaterThan(0.9 * he);
    expect(maxAbs(w(g1, 'dense2.weight'))).toBeLessThanOrEqual(glorot);
    expect(maxAbs(w(g1, 'dense2.weight'))).toBeGreaterThan(0.9 * glorot);
    expect(w(g1, 'dense1.bias').every((x) => x === 0)).toBe(true);
  });

  it('weights load by name from a Map or from another graph', () => {
    const src = 'model m(x: f32[N, 2]) {\n return x |> dense(1)\n}';
    const w = Tensor.fromArray('float32', [1, 2], [2, -3]);
    const g = compileDsl(src, 't', { weights: new Map([['dense1.weight', w], ['dense1.bias', Tensor.fromArray('float32', [1], [0])]]) });
    expect(Array.from(g.value('dense1.weight')!.const!.data)).toEqual([2, -3]);
    // All of the state or nothing: a missing bias is LC071 naming it, unless allowPartial (then it stays at init).
    expect(() => compileDsl(src, 't', { weights: new Map([['dense1.weight', w]]) })).toThrow(/LC071|missing param dense1\.bias/);
    expect(() => compileDsl(src, 't', { weights: new Map([['dense1.weight', w]]) })).toThrow(/missing param dense1\.bias$/);
    const partial = compileDsl(src, 't', { weights: new Map([['dense1.weight', w]]), allowPartial: true });
    expect(Array.from(partial.value('dense1.weight')!.const!.data)).toEqual([2, -3]);
    const g2 = compileDsl(src, 't', { seed: 9, weights: g });
    const out = runGraph(g2, { x: Tensor.fromArray('float32', [1, 2], [1, 1]) });
    expect(Array.from(out[g2.outputs[0].name].data)).toEqual([-1]);
  });
});
