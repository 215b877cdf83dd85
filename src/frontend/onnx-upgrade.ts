// Older ONNX op forms -> the canonical opset-18 forms the IR uses. Attributes that later opsets moved to
// inputs (Clip min/max, Pad pads/value, Squeeze/Unsqueeze/Reduce axes, Slice-1 starts/ends/axes, Dropout ratio)
// become int64/float constant inputs; attributes later opsets dropped (BatchNormalization spatial/is_test/
// consumed_inputs) are removed. Each row is keyed by op and applies below the opset where the form changed.
import type { AttrValue } from '../ir/graph.ts';
import { Tensor } from '../ir/tensor.ts';
import { lcError } from '../diagnostics.ts';

export interface RawNode { op: string; inputs: string[]; attrs: Record<string, AttrValue> }
/** Adds a constant and returns its value name. */
export type AddConst = (base: string, t: Tensor) => string;

/** An attribute that became an int64 input; a file can give it any attribute type, so check it is a list of ints. */
const i64 = (v: AttrValue, attr: string) => {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) throw lcError('LC030', [attr, 'must be a list of integers (INTS)']);
  return Tensor.fromArray('int64', [v.length], v as number[]);
};

function attrToInput(n: RawNode, attr: string, pos: number, make: (v: AttrValue) => Tensor, add: AddConst): void {
  const v = n.attrs[attr];
  delete n.attrs[attr];
  if (v === undefined) return;
  while (n.inputs.length < pos) n.inputs.push('');
  n.inputs[pos] = add(attr, make(v));
}

type Rule = { below: number; apply(n: RawNode, add: AddConst): void };

const axesRule = (below: number): Rule => ({ below, apply: (n, add) => attrToInput(n, 'axes', 1, (v) => i64(v, 'axes'), add) });

const RULES: Record<string, Rule[]> = {
  Clip: [{ below: 11, apply(n, add) {
    const min = n.attrs.min as number | undefined, max = n.attrs.max as number | undefined;
    delete n.attrs.min; delete n.attrs.max;
    n.inputs = [n.inputs[0], min === undefined ? '' : add('min', Tensor.scalar('float32', min)), max === undefined ? '' : add('max', Tensor.scalar('float32', max))];
    while (n.inputs.length > 1 && n.inputs[n.inputs.length - 1] === '') n.inputs.pop();
  } }],
  Pad: [{ below: 11, apply(n, add) {
    const value = n.attrs.value as number | undefined;
    delete n.attrs.value;
    attrToInput(n, 'pads', 1, (v) => i64(v, 'pads'), add);
    if (value !== undefined && value !== 0) n.inputs[2] = add('pad_value', Tensor.scalar('float32', value));
  } }],
  Squeeze: [axesRule(13)],
  Unsqueeze: [axesRule(13)],
  ReduceSum: [axesRule(13)],
  ReduceMean: [axesRule(18)], ReduceMax: [axesRule(18)], ReduceMin: [axesRule(18)], ReduceProd: [axesRule(18)],
  ReduceSumSquare: [axesRule(18)], ReduceL1: [axesRule(18)], ReduceL2: [axesRule(18)], ReduceLogSumExp: [axesRule(18)],
  Slice: [{ below: 10, apply(n, add) {
    const ends = n.attrs.ends as number[] | undefined;
    attrToInput(n, 'starts', 1, (v) => i64(v, 'starts'), add);
    attrToInput(n, 'ends', 2, (v) => i64(v, 'ends'), add);
    attrToInput(n, 'axes', 3, (v) => i64(v, 'axes'), add);
    void ends;
  } }],
  Dropout: [{ below: 12, apply(n, add) {
    delete n.attrs.is_test;
    attrToInput(n, 'ratio', 1, (v) => Tensor.scalar('float32', v as number), add);
  } }],
  // Split-2/11: lengths were the `split` attribute.
  Split: [{ below: 13, apply: (n, add) => attrToInput(n, 'split', 1, (v) => i64(v, 'split'), add) }],
  // Upsample-7: scales was an attribute.
  Upsample: [{ below: 9, apply: (n, add) => attrToInput(n, 'scales', 1, (v) => {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) throw lcError('LC030', ['scales', 'must be a list of floats (FLOATS)']);
    return Tensor.fromArray('float32', [v.length], v as number[]);
  }, add) }],
  // Resize-10 had inputs (X, scales) and Upsample's meaning: asymmetric coordinates, nearest rounds down.
  Resize: [{ below: 11, apply(n) {
    n.inputs = [n.inputs[0], '', n.inputs[1]];
    n.attrs.coordinate_transformation_mode = 'asymmetric';
    if (n.attrs.mode === undefined || n.attrs.mode === 'nearest') n.attrs.nearest_mode = 'floor';
  } }],
  BatchNormalization: [{ below: 15, apply(n) {
    delete n.attrs.spatial; delete n.attrs.is_test; delete n.attrs.consumed_inputs;
  } }],
};

export function upgradeNode(n: RawNode, opset: number, add: AddConst): void {
  for (const rule of RULES[n.op] ?? []) if (opset < rule.below) rule.apply(n, add);
  for (const k of Object.keys(n.attrs)) if (k === 'consumed_inputs') delete n.attrs[k];
}

export interface NamedRawNode extends RawNode { name: string; outputs: string[]; domain: string }

/**
 * Softmax/LogSoftmax/Hardmax before opset 13 coerce the input to 2-D at `axis` (default 1) and normalize
 * over the flattened tail. Opset 13 normalizes over one axis. The old meaning is written as
 * Flatten(axis) -> op(axis=1) -> Reshape(Shape(x)); axis=-1 means the same in both, so it is left alone.
 */
export function expandCoerced2D(n: NamedRawNode, opset: number): NamedRawNode[] {
  if (!['Softmax', 'LogSoftmax', 'Hardmax'].includes(n.op) || opset >= 13 || n.domain !== '') return [n];
  const axis = (n.attrs.axis as number | undefined) ?? 1;
  if (axis === -1) return [n];
  const [x] = n.inputs, [y] = n.outputs;
  const flat = `${y}__coerce2d_flat`, norm = `${y}__coerce2d_norm`, shape = `${y}__coerce2d_shape`;
  return [
    { op: 'Flatten', name: `${n.name}_flatten`, domain: '', inputs: [x], outputs: [flat], attrs: { axis } },
    { op: n.op, name: n.name, domain: '', inputs: [flat], outputs: [norm], attrs: { axis: 1 } },
    { op: 'Shape', name: `${n.name}_shape`, domain: '', inputs: [x], outputs: [shape], attrs: {} },
    { op: 'Reshape', name: `${n.name}_reshape`, domain: '', inputs: [norm, shape], outputs: [y], attrs: {} },
  ];
}

/**
 * GroupNormalization-18 (opsets 18-20) scales and shifts per GROUP: scale and bias are [num_groups]; opset 21
 * made them per channel [C] (the IR's form). Before opset 21 each is repeated C/G times per group:
 *   per_channel = Reshape(Expand(Unsqueeze(scale, [1]), [G, C/G]), [-1]),  C/G = Shape(X)[1] / G.
 * Written with shape ops, so X's channel count need not be known at import; shape folding resolves them.
 */
export function expandGroupNorm18(n: NamedRawNode, opset: number, add: AddConst): NamedRawNode[] {
  if (n.op !== 'GroupNormalization' || n.domain !== '' || opset >= 21) return [n];
  const G = n.attrs.num_groups;
  if (typeof G !== 'number' || !Number.isInteger(G) || G < 1) return [n]; // the op's own check reports it
  const [x, scale, bias] = n.inputs, p = `${n.outputs[0]}__gn18`;
  const i64 = (base: string, xs: number[]) => add(base, Tensor.fromArray('int64', [xs.length], xs));
  const node = (op: string, suffix: string, inputs: string[], attrs: Record<string, AttrValue> = {}): NamedRawNode =>
    ({ op, name: `${n.name}_${suffix}`, domain: '', inputs, outputs: [`${p}_${suffix}`], attrs });
  const channels = node('Shape', 'channels', [x], { start: 1, end: 2 });
  const perGroup = node('Div', 'per_group', [channels.outputs[0], i64('num_groups', [G])]);
  const out: NamedRawNode[] = [channels, perGroup, node('Concat', 'grid', [i64('num_groups', [G]), perGroup.outputs[0]], { axis: 0 })];
  const perChannel = (v: string, what: string): string => {
    out.push(node('Unsqueeze', `${what}_col`, [v, i64('axes', [1])]),
      node('Expand', `${what}_grid`, [`${p}_${what}_col`, `${p}_grid`]),
      node('Reshape', `${what}_c`, [`${p}_${what}_grid`, i64('flat', [-1])]));
    return `${p}_${what}_c`;
  };
  const inputs = [x, perChannel(scale, 'scale'), perChannel(bias, 'bias')];
  return [...out, { ...n, inputs }];
}
