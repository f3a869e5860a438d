import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseReply } from '../../src/core/duck/replyParser';
import { applyFix } from '../../src/core/duck/fixApplier';

test('JSON with raw line breaks inside its strings is repaired', () => {
  const reply = '{"summary": "off by one", "verdicts": [{"block": "3", "correct": "incorrect", "why": "x"}], "fix": {"kind": "function", "code": "def f(x):\n    return x + 1"}}';
  const r = parseReply(reply, { functionName: 'f', language: 'python' });
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.deepEqual(r.diagnosis.verdicts, [{ blockId: 'b3', correct: false, why: 'x' }]);
  assert.deepEqual(r.diagnosis.fix, { kind: 'function', code: 'def f(x):\n    return x + 1' });
});

test('a reply the API reports as cut off is refused', () => {
  const r = parseReply('{"summary": "ok", "verdicts": []}', { cutOff: true });
  assert.ok(!r.ok && /cut off/.test(r.error));
});

test('a whole-function fix replaces exactly the function, keeping code after it on the same line', () => {
  const file = 'const a = 1;\r\nexport const f = (x) => {\r\n  return x;\r\n}; // keep\r\nconst b = 2;\r\n';
  const range = { start: { line: 2, character: 17 }, end: { line: 4, character: 1 } };
  const r = applyFix(file, { name: 'f', range, language: 'javascript' }, { kind: 'function', code: 'const f = (x) => {\n    return x + 1;\n}' });
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.equal(r.text, 'const a = 1;\r\nexport const f = (x) => {\r\n  return x + 1;\r\n}; // keep\r\nconst b = 2;\r\n');
});

test('an edit that matches nowhere quotes the lines and the closest match', () => {
  const file = 'def f(x):\n    y = x * 2\n    return y\n';
  const range = { start: { line: 1, character: 0 }, end: { line: 3, character: 12 } };
  const r = applyFix(file, { name: 'f', range, language: 'python' }, { kind: 'search-replace', edits: [{ search: '    y = x * 2\n    return y + 1', replace: '    return x' }] });
  assert.ok(!r.ok);
  assert.match(r.error, /these lines are not in the file:\n {4}\| {5}y = x \* 2/);
  assert.match(r.error, /closest match starts at line 2; its line 3 reads "    return y"/);
});

test('a Python indentation fix made through SEARCH/REPLACE with drifted indentation keeps the new structure', () => {
  const file = 'def total(xs):\n\ts = 0\n\tfor x in xs:\n\t\ts += x\n\t\treturn s\n';
  const range = { start: { line: 1, character: 0 }, end: { line: 5, character: 10 } };
  const fix = { kind: 'search-replace' as const, edits: [{ search: 'for x in xs:\n    s += x\n    return s', replace: 'for x in xs:\n    s += x\nreturn s' }] };
  const r = applyFix(file, { name: 'total', range, language: 'python' }, fix);
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.equal(r.text, 'def total(xs):\n\ts = 0\n\tfor x in xs:\n\t\ts += x\n\treturn s\n');
});
