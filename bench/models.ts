// The bench's own models, written as ONNX (opset 18) with onnx-proto: a ResNet-18 and a MobileNetV2 of
// the torchvision shapes (batch 1, 3x224x224, 1000 classes), with BatchNormalization after every conv
// (random, non-trivial statistics) so optimizers have the usual folding to do. Weights are seeded He
// initializations; latency does not depend on their values.
import onnx from 'onnx-proto';

type NodeProto = onnx.onnx.INodeProto;

export class OnnxBuilder {
  nodes: NodeProto[] = [];
  inits: onnx.onnx.ITensorProto[] = [];
  private n = 0;
  private seed = 12345;
  private rnd(): number { this.seed = (this.seed * 1664525 + 1013904223) >>> 0; return this.seed / 2 ** 32; }
  fresh(p: string): string { return `${p}_${this.n++}`; }
  weight(shape: number[], scale: number, offset = 0): string {
    const name = this.fresh('w');
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, () => offset + (this.rnd() * 2 - 1) * scale);
    this.inits.push({ name, dims: shape, dataType: 1, rawData: new Uint8Array(data.buffer) });
    return name;
  }
  ints(name: string, v: number[]) { return { name, type: onnx.onnx.AttributeProto.AttributeType.INTS, ints: v }; }
  int(name: string, v: number) { return { name, type: onnx.onnx.AttributeProto.AttributeType.INT, i: v }; }
  node(op: string, inputs: string[], attrs: onnx.onnx.IAttributeProto[] = []): string {
    const out = this.fresh(op.toLowerCase());
    this.nodes.push({ opType: op, input: inputs, output: [out], attribute: attrs, name: out });
    return out;
  }
  conv(x: string, cin: number, cout: number, k: number, stride = 1, group = 1): string {
    const w = this.weight([cout, cin / group, k, k], Math.sqrt(6 / ((cin / group) * k * k)));
    const p = (k - 1) >> 1;
    const y = this.node('Conv', [x, w], [this.ints('kernel_shape', [k, k]), this.ints('strides', [stride, stride]), this.ints('pads', [p, p, p, p]), this.int('group', group)]);
    return this.node('BatchNormalization', [y, this.weight([cout], 0.2, 1), this.weight([cout], 0.1), this.weight([cout], 0.1), this.weight([cout], 0.2, 1)]);
  }
  relu(x: string) { return this.node('Relu', [x]); }
  relu6(x: string) {
    if (!this.inits.some((t) => t.name === 'zero')) {
      this.inits.push({ name: 'zero', dims: [], dataType: 1, rawData: new Uint8Array(new Float32Array([0]).buffer) });
      this.inits.push({ name: 'six', dims: [], dataType: 1, rawData: new Uint8Array(new Float32Array([6]).buffer) });
    }
    return this.node('Clip', [x, 'zero', 'six']);
  }
  head(x: string, c: number, classes = 1000): string {
    const f = this.node('Flatten', [this.node('GlobalAveragePool', [x])], [this.int('axis', 1)]);
    return this.node('Gemm', [f, this.weight([classes, c], Math.sqrt(1 / c)), this.weight([classes], 0.01)], [this.int('transB', 1)]);
  }
  model(name: string, x: string, y: string, inShape: number[]): Uint8Array {
    const vi = (n: string, shape: number[]) => ({ name: n, type: { tensorType: { elemType: 1, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } });
    const model: onnx.onnx.IModelProto = {
      irVersion: 8, producerName: 'layerc-bench', opsetImport: [{ domain: '', version: 18 }],
      graph: { name, node: this.nodes, initializer: this.inits, input: [vi(x, inShape)], output: [vi(y, [inShape[0]!, 1000])] },
    };
    return onnx.onnx.ModelProto.encode(model).finish();
  }
}

export function resnet18(): Uint8Array {
  const b = new OnnxBuilder();
  let x = b.relu(b.conv('input', 3, 64, 7, 2));
  x = b.node('MaxPool', [x], [b.ints('kernel_shape', [3, 3]), b.ints('strides', [2, 2]), b.ints('pads', [1, 1, 1, 1])]);
  let c = 64;
  for (const [out, stride] of [[64, 1], [128, 2], [256, 2], [512, 2]] as const) {
    for (let i = 0; i < 2; i++) {
      const s = i === 0 ? stride : 1;
      const y = b.conv(b.relu(b.conv(x, c, out, 3, s)), out, out, 3);
      const short = s !== 1 || c !== out ? b.conv(x, c, out, 1, s) : x;
      x = b.relu(b.node('Add', [y, short]));
      c = out;
    }
  }
  return b.model('resnet18', 'input', b.head(x, 512), [1, 3, 224, 224]);
}

export function mobilenetV2(): Uint8Array {
  const b = new OnnxBuilder();
  let x = b.relu6(b.conv('input', 3, 32, 3, 2));
  let c = 32;
  for (const [t, out, n, s] of [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]] as const) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1, hidden = c * t;
      let y = t === 1 ? x : b.relu6(b.conv(x, c, hidden, 1));
      y = b.relu6(b.conv(y, hidden, hidden, 3, stride, hidden));
      y = b.conv(y, hidden, out, 1);
      x = stride === 1 && c === out ? b.node('Add', [x, y]) : y;
      c = out;
    }
  }
  x = b.relu6(b.conv(x, c, 1280, 1));
  return b.model('mobilenetv2', 'input', b.head(x, 1280), [1, 3, 224, 224]);
}
