// @tensorflow/tfjs-backend-wasm 4.22 has no 'Conv2DBackpropFilter' kernel, so its trainOnBatch fails on any
// conv net. This registers one built only from the wasm backend's own kernels (Transpose, Conv2D), so the peer
// is still measured on its own code: for stride 1, VALID padding, NHWC (all LeNet-BN needs),
//   dW[kh, kw, ci, co] = sum_{n, oh, ow} x[n, oh + kh, ow + kw, ci] dy[n, oh, ow, co]
// is a VALID conv of x^T ([ci, H, W, n], batch ci, channels n) with dy^T ([oh, ow, n, co] as the filter),
// giving [ci, kh, kw, co], transposed to [kh, kw, ci, co]. Checked against the cpu backend's gradient.
import * as tf from '@tensorflow/tfjs';

type KernelFn = (args: { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs: Record<string, unknown> }) => tf.TensorInfo;

export function registerWasmConvFilterGrad(): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  const k = (n: string) => tf.getKernel(n, 'wasm')!.kernelFunc as unknown as KernelFn;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter', backendName: 'wasm',
    kernelFunc: (({ inputs, backend, attrs }: Parameters<KernelFn>[0]) => {
      const { x, dy } = inputs;
      const s = Array.isArray(attrs.strides) ? attrs.strides : [attrs.strides, attrs.strides];
      if (s[0] !== 1 || s[1] !== 1 || attrs.pad !== 'valid' || (attrs.dataFormat && attrs.dataFormat !== 'NHWC')) {
        throw new Error('wasm Conv2DBackpropFilter shim: stride 1, VALID, NHWC only');
      }
      const xt = k('Transpose')({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
      const dyt = k('Transpose')({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
      const c = k('Conv2D')({ inputs: { x: xt, filter: dyt }, backend, attrs: { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] } });
      const out = k('Transpose')({ inputs: { x: c }, backend, attrs: { perm: [1, 2, 0, 3] } });
      for (const t of [xt, dyt, c]) (backend as { disposeData(id: unknown): void }).disposeData(t.dataId);
      return out;
    }) as unknown as tf.KernelFunc,
  });
}
