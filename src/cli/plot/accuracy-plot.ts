// Accuracy per epoch as a small PNG line chart (RGB): axes, 10 % grid lines, the curve, a dot per epoch, and
// labels drawn with a built-in 3x5 pixel font (digits, '%', the capitals of the two axis titles) at scale 2 —
// tick labels 0-100 % every 20 % on the y axis, epoch numbers on the x axis, "EPOCH" below it and
// "TEST ACCURACY %" above the y axis. The y axis spans 0-100 %; the x axis spans the epochs. Meant for the
// README and `layerc train --plot`.
import { encodePng } from './png.ts';

/** Plot margins in pixels (room for the labels); exported for the tests. */
export const PLOT_MARGIN = { left: 44, right: 16, top: 24, bottom: 40 };

// Each glyph: 5 rows of 3 bits, most significant bit = left column.
const FONT: Record<string, number[]> = {
  '0': [7, 5, 5, 5, 7], '1': [2, 6, 2, 2, 7], '2': [7, 1, 7, 4, 7], '3': [7, 1, 7, 1, 7], '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7], '6': [7, 4, 7, 5, 7], '7': [7, 1, 1, 1, 1], '8': [7, 5, 7, 5, 7], '9': [7, 5, 7, 1, 7],
  '%': [5, 1, 2, 4, 5], ' ': [0, 0, 0, 0, 0],
  A: [2, 5, 7, 5, 5], C: [3, 4, 4, 4, 3], E: [7, 4, 6, 4, 7], H: [5, 5, 7, 5, 5], O: [2, 5, 5, 5, 2],
  P: [6, 5, 6, 4, 4], R: [6, 5, 6, 5, 5], S: [3, 4, 2, 1, 6], T: [7, 2, 2, 2, 2], U: [5, 5, 5, 5, 7], Y: [5, 5, 2, 2, 2],
};
const SCALE = 2, ADVANCE = 4 * SCALE, GLYPH_H = 5 * SCALE;

export const textWidth = (s: string) => s.length * ADVANCE - SCALE;

export function accuracyPlot(accuracies: number[], width = 480, height = 270): Uint8Array {
  const px = new Uint8Array(width * height * 3).fill(255);
  const set = (x: number, y: number, [r, g, b]: number[]) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = (Math.round(y) * width + Math.round(x)) * 3;
    px[i] = r; px[i + 1] = g; px[i + 2] = b;
  };
  /** Draws `s` with its top-left corner at (x, y). */
  const text = (s: string, x: number, y: number) => {
    [...s].forEach((ch, k) => FONT[ch]?.forEach((row, r) => {
      for (let c = 0; c < 3; c++) {
        if (!(row & (4 >> c))) continue;
        for (let dy = 0; dy < SCALE; dy++) for (let dx = 0; dx < SCALE; dx++) set(x + k * ADVANCE + c * SCALE + dx, y + r * SCALE + dy, [0, 0, 0]);
      }
    }));
  };
  const { left, right, top, bottom } = PLOT_MARGIN;
  const w = width - left - right, h = height - top - bottom;
  const X = (e: number) => left + (accuracies.length > 1 ? (e / (accuracies.length - 1)) * w : w / 2);
  const Y = (a: number) => top + (1 - a) * h;
  for (let k = 0; k <= 10; k++) for (let x = left; x <= left + w; x++) set(x, Y(k / 10), k % 5 === 0 ? [150, 150, 150] : [225, 225, 225]);
  for (let y = top; y <= top + h; y++) set(left, y, [0, 0, 0]);
  for (let x = left; x <= left + w; x++) set(x, top + h, [0, 0, 0]);
  // Labels: y ticks every 20 %, right-aligned left of the axis; x ticks at (at most ~10) epoch numbers, 1-based.
  for (let k = 0; k <= 10; k += 2) { const s = String(k * 10); text(s, left - 6 - textWidth(s), Y(k / 10) - GLYPH_H / 2); }
  const every = Math.max(1, Math.ceil(accuracies.length / 10));
  for (let e = 0; e < accuracies.length; e++) {
    if ((e + 1) % every && e !== 0) continue;
    const s = String(e + 1);
    for (let d = 1; d <= 4; d++) set(X(e), top + h + d, [0, 0, 0]);
    text(s, X(e) - textWidth(s) / 2, top + h + 7);
  }
  text('EPOCH', left + w / 2 - textWidth('EPOCH') / 2, top + h + 9 + GLYPH_H);
  text('TEST ACCURACY %', left - 6 - textWidth('100'), top - GLYPH_H - 8);
  const blue = [31, 100, 200];
  for (let e = 1; e < accuracies.length; e++) {
    const [x0, y0, x1, y1] = [X(e - 1), Y(accuracies[e - 1]), X(e), Y(accuracies[e])];
    const n = Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))) + 1;
    for (let s = 0; s <= n; s++) for (const d of [-1, 0, 1]) set(x0 + ((x1 - x0) * s) / n, y0 + ((y1 - y0) * s) / n + d, blue);
  }
  accuracies.forEach((a, e) => { for (let dx = -3; dx <= 3; dx++) for (let dy = -3; dy <= 3; dy++) if (dx * dx + dy * dy <= 9) set(X(e) + dx, Y(a) + dy, [200, 40, 40]); });
  return encodePng(width, height, px, 3);
}
