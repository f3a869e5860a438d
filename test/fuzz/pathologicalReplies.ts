// Replies of the shapes that made the old line-matching regular expressions backtrack for minutes
// (a line `FIX` followed by 3,000 spaces; a line starting `b1` followed by long whitespace), and
// more of the same family: a marker or a definition's start, a long run of one character, a tail.
// `npm run fuzz` times each at 100,000 characters per run (a backtracking parser takes hours on
// them); the unit tests read them at a small size for their results only.

export interface PathologicalReply {
  readonly name: string;
  readonly text: string;
}

const runChars = [' ', '\t', ' \t', '*', '#', ':', ' :', '-', '`', '(', '{', '"', '=', 'a', 'b1 ', '\n', ' \n'];
const heads = ['FIX', '**FIX', 'SUMMARY', '## Summary', 'b1', 'VERDICT b1', '- **b1**', 'Block 0', 'Line 12', 'TEST IS WRONG', '```', '~~~', '<<<<<<< SEARCH', '@@ -1 +1 @@', 'def f(', 'function f(', 'async f() : ', 'const f = (', 'x.y.z = ', '{"summary": "', '"', '{', '✅ b1'];
const tails = ['x', '`x', '**', ':', ')', '{', '}', '=>', ''];

/** Every shape with runs of about `n` characters (the larger cases scale with it too). */
export function* pathologicalReplies(n: number, realReply?: string): Generator<PathologicalReply> {
  const run = (chars: string) => chars.repeat(Math.ceil(n / chars.length));
  for (const head of heads) {
    for (const chars of runChars) {
      const tail = tails[(head.length + chars.length) % tails.length]!;
      yield { name: `${head} + ${JSON.stringify(chars)} x ${n} + ${tail}`, text: head + run(chars) + tail };
    }
  }
  yield { name: 'FIX + 3,000 spaces + x (as seen)', text: `FIX${' '.repeat(3000)}x` };
  yield { name: 'b1 + long whitespace (as seen)', text: `b1${' '.repeat(3000)}\t \t${' '.repeat(3000)}` };
  const k = Math.max(10, Math.floor(n / 5));
  yield { name: 'many unclosed JavaScript definitions in a fence', text: '```js\n' + 'function a() {\n'.repeat(k) + '```\n' };
  yield { name: 'nested Python definitions, then blank lines', text: '```python\n' + Array.from({ length: Math.min(600, k) }, (_, i) => `${' '.repeat(i)}def f${i}(x):`).join('\n') + '\n' + '\n'.repeat(k) + '```\n' };
  yield { name: 'many unclosed Python signatures', text: '```python\n' + 'def f(\n'.repeat(k) + '```\n' };
  yield { name: 'many small objects in prose', text: '{"a": 1} '.repeat(k) };
  yield { name: 'unbalanced braces, then a diagnosis key', text: '{'.repeat(n) + '"summary"' };
  yield { name: 'many SEARCH markers', text: '<<<<<<< SEARCH\n'.repeat(k) };
  yield { name: 'many hunk headers', text: '```diff\n' + '@@ -1 +1 @@\n'.repeat(k) + '```' };
  yield { name: 'many arrows on one line', text: '```js\nconst f = () => ' + '=> '.repeat(n) + ';\n```' };
  if (realReply) yield { name: 'a real reply repeated to ~1 MB', text: realReply.repeat(Math.max(1, Math.floor(1_000_000 / Math.max(1, realReply.length)))) };
}

/** Fixes of the same shapes, for the fix applier. */
export function* pathologicalFixes(n: number): Generator<{ name: string; fix: import('../../src/core/duck/diagnosis').Fix }> {
  for (const chars of runChars) {
    const run = chars.repeat(Math.ceil(n / chars.length));
    const label = JSON.stringify(chars);
    yield { name: `function with ${label} in its body`, fix: { kind: 'function', code: `def f(x):\n    return ${run}x` } };
    yield { name: `function ending in ${label}`, fix: { kind: 'function', code: `def f(x):${run}` } };
    yield { name: `search ending in ${label}`, fix: { kind: 'search-replace', edits: [{ search: `    return x${run}`, replace: '    return x + 1' }] } };
    yield { name: `replace with ${label}`, fix: { kind: 'search-replace', edits: [{ search: '    return x', replace: `    return x${run}` }] } };
    yield { name: `diff adding ${label}`, fix: { kind: 'diff', diff: `@@ -2 +2 @@\n-    return x\n+    return ${run}\n` } };
  }
}

/** The file and target the pathological fixes apply to. */
export const pathologicalTarget = {
  text: 'def f(x):\n    return x\n\n\ndef g(y):\n    return y\n',
  target: { name: 'f', range: { start: { line: 1, character: 0 }, end: { line: 2, character: 12 } }, language: 'python' as const },
};
