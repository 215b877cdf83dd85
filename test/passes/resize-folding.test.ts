// Resize scales/sizes computed from the input's shape (what torch's F.interpolate exports with a dynamic size:
// Shape -> Gather -> Cast -> Mul -> Cast -> Concat -> Resize sizes; or scales as a Div of two such values) fold
// to constants when the dims they read are static, also under a symbolic batch (fold-constants folds a Gather
// of Shape that picks static dims only): -O2 leaves no shape arithmetic, the Resize reads a constant, --report
// counts it, the result is unchanged, and the js backend runs the Resize with its kernel (no reference fallback).
// Sizes that hold the symbolic batch keep only that part; a chain that reads a symbolic spatial dim stays.
import { describe, expect, it } from 'vitest';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { optimize } from '../../passes/index.ts';
import { formatReport } from '../../passes/pass.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { compileJs } from '../../runtime/js/index.ts';
import { lowering } from '../../passes/pipelines.ts';
import { JS_CAPABILITIES } from '../../runtime/js/index.ts';
import { maxDiff } from '../helpers/random.ts';

const FLOAT = 1, INT64 = 7;

/** x [N, 2, 4, 5] -> Resize to twice its spatial size, the size computed from Shape(x) (`how`: sizes or scales). */
function interpolateGraph(how: 'sizes' | 'scales', batch: number | string, spatial: (number | string)[] = [4, 5]) {
  const g = new Graph('interp');
  const x = g.addInput('x', { dtype: 'float32', shape: [batch, 2, ...spatial] });
  const i64 = (v: number[]) => g.addConst('c', Tensor.fromArray('int64', [v.length], v));
  const f32 = (v: number[]) => g.addConst('f', Tensor.fromArray('float32', [v.length], v));
  const op = (o: string, ins: (Value | null)[], attrs = {}) => g.addNode(o, ins, attrs).outputs[0]!;
  const hw = op('Gather', [op('Shape', [x]), i64([2, 3])], { axis: 0 });
  const hwf = op('Cast', [hw], { to: FLOAT });
  const target = op('Mul', [hwf, f32([2, 2])]);
  const y = how === 'sizes'
    ? op('Resize', [x, null, null, op('Concat', [op('Gather', [op('Shape', [x]), i64([0, 1])], { axis: 0 }), op('Cast', [target], { to: INT64 })], { axis: 0 })], { mode: 'nearest' })
    : op('Resize', [x, null, op('Concat', [f32([1, 1]), op('Div', [target, hwf])], { axis: 0 })], { mode: 'linear' });
  g.outputs = [y];
  inferShapes(g);
  const feeds = { x: Tensor.fromArray('float32', [2, 2, 4, 5], Array.from({ length: 80 }, (_, i) => Math.sin(i))) };
  return { g, feeds };
}

describe('constant Resize scales/sizes', () => {
  for (const how of ['sizes', 'scales'] as const) {
    for (const batch of [2, 'N']) {
      it(`${how} from Shape -> Gather -> Cast -> Mul -> Concat (batch ${batch}) fold to a constant at -O2; same result; js runs its Resize kernel`, async () => {
        const { g, feeds } = interpolateGraph(how, batch);
        const opt = cloneGraph(g);
        const report = formatReport(optimize(opt, { level: 2 }).reports);
        if (how === 'sizes' && batch === 'N') {
          // The sizes hold N itself: only the spatial part (Gather -> Cast -> Mul -> Cast) folds.
          expect(opt.nodes.map((n) => n.op)).toEqual(['Shape', 'Gather', 'Concat', 'Resize']);
          expect(Array.from(opt.nodes[2]!.inputs[1]!.const!.data)).toEqual([8, 10]);
        } else {
          expect(opt.nodes.map((n) => n.op)).toEqual(['Resize']);
          expect(opt.nodes[0]!.inputs[how === 'sizes' ? 3 : 2]!.const).not.toBeNull();
          expect(report).toContain('1 Resize scales/sizes folded to a constant');
          if (batch === 2) expect(opt.outputs[0]!.type.shape).toEqual([2, 2, 8, 10]);
        }
        expect(maxDiff(runGraph(g, feeds), runGraph(opt, feeds))).toBe(0);
        const m = await compileJs(opt, { threads: 1, lower: lowering(JS_CAPABILITIES) });
        try {
          expect(m.info?.fallback).toBeUndefined();
          expect(Number(m.info?.fallbacks ?? 0)).toBe(0);
          expect(maxDiff(runGraph(g, feeds), await m.run(feeds))).toBeLessThan(1e-6);
        } finally { await m.dispose(); }
      });
    }
  }

  it('a chain that reads a symbolic spatial dim is left as a computation', () => {
    const { g } = interpolateGraph('sizes', 2, ['H', 5]);
    const opt = cloneGraph(g);
    const report = formatReport(optimize(opt, { level: 2 }).reports);
    expect(opt.nodes.map((n) => n.op)).toContain('Shape');
    expect(report).not.toContain('Resize scales/sizes folded');
  });
});
