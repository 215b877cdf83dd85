// Offsets -> SourceSpan (1-based line/column plus the line's text, for the caret display).
import type { SourceSpan } from '../../diagnostics.ts';

export function spanAt(source: string, file: string, offset: number, length: number): SourceSpan {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  let lineEnd = source.indexOf('\n', lineStart);
  if (lineEnd < 0) lineEnd = source.length;
  const sourceLine = source.slice(lineStart, lineEnd);
  const column = offset - lineStart + 1;
  return { file, line, column, length: Math.max(1, Math.min(length, sourceLine.length - column + 1)), sourceLine };
}
