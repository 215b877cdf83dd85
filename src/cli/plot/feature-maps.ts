// Feature maps: runs a model on one input and renders the channels of the first few 4-D activations
// (conv / BN / activation outputs) as a grayscale PNG grid — one row per layer, one tile per channel, each
// tile min-max normalized on its own so weak channels stay visible. The input image is the first tile row.
import type { Graph } from '../../ir/graph.ts';
import type { Tensor } from '../../ir/tensor.ts';
import { runGraph } from '../../ir/interpret.ts';
import { encodePng } from './png.ts';

export interface FeatureMapOptions { layers?: number; maxChannels?: number; scale?: number }

export function featureMapGrid(graph: Graph, input: Tensor, opts: FeatureMapOptions = {}): { png: Uint8Array; rows: string[] } {
  const maxLayers = opts.layers ?? 4, maxCh = opts.maxChannels ?? 16, scale = opts.scale ?? 2;
  const maps: { name: string; t: Tensor }[] = [{ name: 'input', t: input }];
  runGraph(graph, { [graph.inputs[0].name]: input }, {
    onValue: (name, t) => { if (t.rank === 4 && maps.length <= maxLayers) maps.push({ name, t }); },
  });
  const tileW = Math.max(...maps.map((m) => m.t.shape[3])) * scale + 2, tileH = Math.max(...maps.map((m) => m.t.shape[2])) * scale + 2;
  const cols = Math.min(maxCh, Math.max(...maps.map((m) => m.t.shape[1])));
  const W = cols * tileW, H = maps.length * tileH;
  const px = new Uint8Array(W * H).fill(40);
  maps.forEach(({ t }, row) => {
    const [, C, h, w] = t.shape;
    for (let c = 0; c < Math.min(C, cols); c++) {
      const base = c * h * w; // first image of the batch
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < h * w; i++) { lo = Math.min(lo, t.data[base + i]); hi = Math.max(hi, t.data[base + i]); }
      const span = hi - lo || 1;
      for (let y = 0; y < h * scale; y++) for (let x = 0; x < w * scale; x++) {
        const v = t.data[base + Math.floor(y / scale) * w + Math.floor(x / scale)];
        px[(row * tileH + 1 + y) * W + c * tileW + 1 + x] = Math.round(255 * (v - lo) / span);
      }
    }
  });
  return { png: encodePng(W, H, px), rows: maps.map((m) => m.name) };
}
