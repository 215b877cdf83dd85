// PNG encoder checked by an independent decoder (python zlib + struct: chunk CRCs, IHDR, scanlines) and the
// feature-map grid layout (one row per 4-D activation, one min-max-normalized tile per channel).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { REPO_ROOT } from '../fixtures.ts';
import { describe, expect, it } from 'vitest';
import { encodePng } from '../../src/cli/plot/png.ts';
import { featureMapGrid } from '../../src/cli/plot/feature-maps.ts';
import { PLOT_MARGIN, accuracyPlot } from '../../src/cli/plot/accuracy-plot.ts';
import { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import '../../src/ops/index.ts';

const PY = `
import sys, zlib, struct, json
b = sys.stdin.buffer.read(); assert b[:8] == bytes([137, 80, 78, 71, 13, 10, 26, 10]); o = 8; chunks = {}
while o < len(b):
    n, = struct.unpack('>I', b[o:o+4]); t = b[o+4:o+8]; d = b[o+8:o+8+n]; c, = struct.unpack('>I', b[o+8+n:o+12+n])
    assert zlib.crc32(t + d) == c, t; chunks.setdefault(t.decode(), b''); chunks[t.decode()] += d; o += 12 + n
w, h, depth, ctype = struct.unpack('>IIBB', chunks['IHDR'][:10]); raw = zlib.decompress(chunks['IDAT']); ch = 1 if ctype == 0 else 3
rows = [raw[y*(w*ch+1):(y+1)*(w*ch+1)] for y in range(h)]; assert all(r[0] == 0 for r in rows)
print(json.dumps({'w': w, 'h': h, 'depth': depth, 'ctype': ctype, 'px': [p for r in rows for p in r[1:]]}))`;
const decode = (png: Uint8Array) => JSON.parse(execFileSync('python3', ['-c', PY], { input: png }).toString());

describe('PNG and feature maps', () => {
  it('encodes gray and RGB images a standard decoder reads back', () => {
    const gray = Uint8Array.from({ length: 35 }, (_, i) => i * 7);
    expect(decode(encodePng(7, 5, gray))).toEqual({ w: 7, h: 5, depth: 8, ctype: 0, px: Array.from(gray) });
    const rgb = Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => 255 - i);
    expect(decode(encodePng(3, 2, rgb, 3)).px).toEqual(Array.from(rgb));
  });

  it('renders one row per 4-D activation, channels as min-max normalized tiles', () => {
    const g = new Graph('fm');
    const x = g.addInput('x', { dtype: 'float32', shape: [1, 2, 3, 3] });
    const a = g.addNode('Tanh', [x], {}, { outputNames: ['act1'] }).outputs[0];
    g.outputs = [g.addNode('Neg', [a], {}, { outputNames: ['act2'] }).outputs[0]];
    const input = Tensor.fromArray('float32', [1, 2, 3, 3], Array.from({ length: 18 }, (_, i) => i));
    const { png, rows } = featureMapGrid(g, input, { scale: 1 });
    expect(rows).toEqual(['input', 'act1', 'act2']);
    const d = decode(png);
    expect([d.w, d.h]).toEqual([2 * 5, 3 * 5]);
    // input channel 1 holds 9..17: its tile (row 0, col 1, 1-pixel border) spans 0..255 linearly
    const tile = [0, 1, 2].flatMap((y) => [0, 1, 2].map((x) => d.px[(1 + y) * d.w + 5 + 1 + x]));
    expect(tile).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((k) => Math.round((255 * k) / 8)));
  });

  it('layerc viz --feature-maps: LeNet-BN on a Fashion-MNIST test image, first tile row is the image itself', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'layerc-fm-')), 'maps.png');
    const log = execFileSync(join(REPO_ROOT, 'bin/layerc.js'), ['viz', join(REPO_ROOT, 'examples/lenet_bn.layers'), '--feature-maps', '--image', '2', '-o', out]).toString();
    expect(log).toMatch(/rows: input, conv\d*, bn\d*, sigmoid\d*, maxpool\d*/);
    const d = decode(readFileSync(out));
    expect([d.w, d.h]).toEqual([6 * 58, 5 * 58]); // 6 channels wide, 5 rows; 28x28 tiles at scale 2 + border
    // Independent of layerc's readers: the raw IDX bytes of test image 2, min-max scaled like the tile.
    const img = gunzipSync(readFileSync(join(REPO_ROOT, 'examples/data/t10k-images-idx3-ubyte.gz'))).subarray(16 + 2 * 784, 16 + 3 * 784);
    const lo = Math.min(...img), hi = Math.max(...img);
    for (const [y, x] of [[5, 5], [14, 14], [20, 9]]) expect(d.px[(1 + 2 * y) * d.w + 1 + 2 * x]).toBe(Math.round((255 * (img[y * 28 + x] - lo)) / (hi - lo)));
  });

  it('the accuracy plot is an RGB PNG with a red dot at each epoch, tick labels and axis titles', () => {
    const d = decode(accuracyPlot([0.5, 0.75, 0.9], 200, 120));
    expect([d.w, d.h, d.ctype]).toEqual([200, 120, 2]);
    const at = (x: number, y: number) => Array.from(d.px.slice((y * 200 + x) * 3, (y * 200 + x) * 3 + 3));
    const { left, right, top, bottom } = PLOT_MARGIN;
    const w = 200 - left - right, h = 120 - top - bottom;
    // epoch 3 (90 %) is the last point: x = left + w, y = top + 0.1 h
    expect(at(left + w, Math.round(top + 0.1 * h))).toEqual([200, 40, 40]);
    expect(at(199, 119)).toEqual([255, 255, 255]);
    // "100" right-aligned 6 px left of the axis, centred on the 100 % line, glyphs 3x5 at scale 2 (8 px apart):
    // its last glyph '0' is a ring — corner set, centre of the second row clear.
    const x0 = left - 6 - 22, y0 = top - 5;
    expect(at(x0 + 16, y0)).toEqual([0, 0, 0]);
    expect(at(x0 + 16 + 2, y0 + 2)).toEqual([255, 255, 255]);
    expect(at(x0 + 16 + 4, y0 + 8)).toEqual([0, 0, 0]);
    // "EPOCH" under the x tick labels, "TEST ACCURACY %" above the y axis: black pixels in both bands.
    const dark = (x1: number, x2: number, y1: number, y2: number) => {
      let n = 0;
      for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) if (at(x, y).every((c) => c === 0)) n++;
      return n;
    };
    expect(dark(left, 200, top + h + 19, 120)).toBeGreaterThan(20);
    expect(dark(0, 200, 0, top - 6)).toBeGreaterThan(40);
  });
});
