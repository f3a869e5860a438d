// Finds the tests of a JavaScript/TypeScript test file without running it (node's runner has no
// collection mode; jest and vitest only list files): `describe`/`suite` blocks and `test`/`it`
// calls with a literal name (mocha's `context` and `specify` too). Nesting follows the braces. Runs replace these with what really ran.
import { testIdOf, type DiscoveredTest, type Framework } from './testFailure';

const call = /\b(describe|suite|context|test|it|specify)(?:\.(?:only|skip|todo|concurrent|each\([^)]*\)))?\s*\(\s*(['"`])((?:\\.|(?!\2).)*)\2/g;

export function scanJsTests(source: string, file: string, framework: Framework): DiscoveredTest[] {
  const tests: DiscoveredTest[] = [];
  // Open suites, each active while the bracket depth stays at or above the depth its call opened.
  const suites: { name: string; depth: number }[] = [];
  let depth = 0;
  let line = 1;
  let i = 0;
  const matches = [...source.matchAll(call)];
  let next = 0;
  let quote: string | undefined;
  let comment: 'line' | 'block' | undefined;
  while (i <= source.length) {
    if (next < matches.length && matches[next].index === i && !quote && !comment) {
      const m = matches[next++];
      const kind = m[1];
      const name = m[3].replace(/\\(.)/g, '$1');
      const suitePath = suites.map((s) => s.name);
      if (kind === 'describe' || kind === 'suite' || kind === 'context') suites.push({ name, depth: depth + 1 });
      else tests.push({ testId: testIdOf(file, suitePath, name), framework, file, line, name, suitePath });
      // Skip over the name so that braces inside it do not count.
      for (let j = i; j < i + m[0].length; j++) if (source[j] === '\n') line++;
      i += m[0].length;
      depth++; // the call's own `(`, consumed with the match
      continue;
    }
    while (next < matches.length && (matches[next].index ?? 0) < i) next++;
    const c = source[i];
    const n = source[i + 1];
    if (c === '\n') {
      line++;
      if (comment === 'line') comment = undefined;
    } else if (comment === 'block') {
      if (c === '*' && n === '/') {
        comment = undefined;
        i++;
      }
    } else if (comment) {
      // inside a line comment
    } else if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '/' && n === '/') comment = 'line';
    else if (c === '/' && n === '*') comment = 'block';
    else if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '{' || c === '(') depth++;
    else if (c === '}' || c === ')') {
      depth--;
      while (suites.length && depth < suites[suites.length - 1].depth) suites.pop();
    }
    i++;
  }
  return tests;
}
