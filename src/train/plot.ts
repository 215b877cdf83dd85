// Accuracy per epoch as a small PNG line chart (RGB, no font: axes, 10 % grid lines, the curve and a dot per
// epoch). The y axis spans 0-100 %; the x axis spans the epochs. Meant for the README and `layerc train --plot`.
import { encodePng } from './png.ts';

export function accuracyPlot(accuracies: number[], width = 480, height = 270): Uint8Array {
  const px = new Uint8Array(width * height * 3).fill(255);
  const set = (x: number, y: number, [r, g, b]: number[]) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = (Math.round(y) * width + Math.round(x)) * 3;
    px[i] = r; px[i + 1] = g; px[i + 2] = b;
  };
  const m = 24, w = width - 2 * m, h = height - 2 * m;
  const X = (e: number) => m + (accuracies.length > 1 ? (e / (accuracies.length - 1)) * w : w / 2);
  const Y = (a: number) => m + (1 - a) * h;
  for (let k = 0; k <= 10; k++) for (let x = m; x <= m + w; x++) set(x, Y(k / 10), k % 5 === 0 ? [150, 150, 150] : [225, 225, 225]);
  for (let y = m; y <= m + h; y++) set(m, y, [0, 0, 0]);
  for (let x = m; x <= m + w; x++) set(x, m + h, [0, 0, 0]);
  const blue = [31, 100, 200];
  for (let e = 1; e < accuracies.length; e++) {
    const [x0, y0, x1, y1] = [X(e - 1), Y(accuracies[e - 1]), X(e), Y(accuracies[e])];
    const n = Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))) + 1;
    for (let s = 0; s <= n; s++) for (const d of [-1, 0, 1]) set(x0 + ((x1 - x0) * s) / n, y0 + ((y1 - y0) * s) / n + d, blue);
  }
  accuracies.forEach((a, e) => { for (let dx = -3; dx <= 3; dx++) for (let dy = -3; dy <= 3; dy++) if (dx * dx + dy * dy <= 9) set(X(e) + dx, Y(a) + dy, [200, 40, 40]); });
  return encodePng(width, height, px, 3);
}
