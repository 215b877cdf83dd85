// A linear pre-scan of DSL source, before the grammar runs: ohm memoizes every rule at every position, so a
// multi-megabyte program (200k statements) or a 10M-character identifier exhausts the heap inside the parser.
// One pass over the characters enforces the source limits (bytes, statements, identifier length) and points
// at the first statement or identifier past a limit.
import { exceed, type Limits } from '../../limits.ts';
import { LayercError } from '../../diagnostics.ts';
import { spanAt } from './span.ts';

const identStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const identRest = (c: number) => identStart(c) || (c >= 48 && c <= 57);

export function scanDsl(source: string, file: string, limits: Limits): void {
  const at = (offset: number, f: () => never): never => {
    try { return f(); } catch (e) { throw e instanceof LayercError ? e.within({ span: spanAt(source, file, offset, 1), file }) : e; }
  };
  if (source.length > limits.maxDslBytes) exceed(`the program has ${source.length} characters`, 'maxDslBytes', limits);
  let statements = 0, depth = 0;
  for (let i = 0; i < source.length;) {
    const c = source.charCodeAt(i);
    if (c === 35) { while (i < source.length && source.charCodeAt(i) !== 10) i++; continue; } // # comment
    if (c === 34) { i++; while (i < source.length && source.charCodeAt(i) !== 34 && source.charCodeAt(i) !== 10) i++; i++; continue; } // "string"
    if (identStart(c)) {
      const start = i;
      while (i < source.length && identRest(source.charCodeAt(i))) i++;
      if (i - start > limits.maxIdentifierLength) at(start, () => exceed(`an identifier has ${i - start} characters`, 'maxIdentifierLength', limits));
      if (depth === 0 && i - start === 6 && source.startsWith('return', start)) statements++;
      continue;
    }
    if (c === 40) depth++;
    else if (c === 41) depth = Math.max(0, depth - 1);
    else if (c === 61 && depth === 0) statements++; // a binding (keyword arguments and defaults sit inside parentheses)
    if (statements > limits.maxDslStatements) at(i, () => exceed(`the program has more than ${limits.maxDslStatements} statements`, 'maxDslStatements', limits));
    i++;
  }
}
