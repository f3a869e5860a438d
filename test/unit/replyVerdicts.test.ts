// Verdicts that land on the right block, however the model names the blocks: `b3`, `[b3]`,
// `block 3`, `Block 3:` counted from 0 or from 1, or the lines it cites; in JSON, the plain-text
// format and prose or markdown alike. And the JSON keys models use instead of the schema's.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseReply } from '../../src/core/duck/replyParser';

// apply_discount in test/fixtures/workspace/pricing.py, as the prompt shows it.
const blocks = [
  { id: 'b1', startLine: 5, endLine: 5 },
  { id: 'b2', startLine: 6, endLine: 6 },
  { id: 'b3', startLine: 7, endLine: 7 },
  { id: 'b4', startLine: 8, endLine: 9 },
];
const context = { functionName: 'apply_discount', language: 'python', blocks };
const fixed = '```python\ndef apply_discount(price, percent):\n    if percent <= 0:\n        return price\n    discounted = price - price * percent / 100\n    return max(discounted, 0)\n```';

function verdictsOf(reply: string, ctx: Parameters<typeof parseReply>[1] = context): [string, boolean][] {
  const r = parseReply(reply, ctx);
  assert.ok(r.ok, r.ok ? '' : r.error);
  for (const v of r.diagnosis.verdicts) assert.ok(v.why.trim(), `verdict ${v.blockId} has a reason`);
  return r.diagnosis.verdicts.map((v) => [v.blockId, v.correct]);
}

test('GPT-style markdown with headings numbering blocks from 0 and the verdict on the next line', () => {
  const reply = [
    '## Analysis',
    '',
    'Let me go through the function block by block.',
    '',
    '### Block 0 (line 5)',
    '**Verdict:** ✅ Correct — the docstring states the intent.',
    '',
    '### Block 1 (line 6)',
    '**Verdict:** ✅ Correct — a non-positive percent means no discount.',
    '',
    '### Block 2 (line 7)',
    '**Verdict:** ✅ Correct',
    '',
    '### Block 3 (lines 8-9)',
    '**Verdict:** ❌ Incorrect — `percent / 10` takes ten times too much off: 80 - 80 * 10 / 10 = 0.',
    '',
    '## Fix',
    '',
    fixed,
  ].join('\n');
  assert.deepEqual(verdictsOf(reply), [
    ['b1', true],
    ['b2', true],
    ['b3', true],
    ['b4', false],
  ]);
});

test('plain markdown counted from 0 without line numbers: "Block 0:" decides the numbering', () => {
  const reply = ['Block 0: CORRECT — docstring.', 'Block 1: CORRECT — the guard is right.', 'Block 2: CORRECT — returns the price unchanged.', 'Block 3: INCORRECT — divides by 10 instead of 100.', '', fixed].join('\n');
  assert.deepEqual(verdictsOf(reply), [
    ['b1', true],
    ['b2', true],
    ['b3', true],
    ['b4', false],
  ]);
});

test('only the wrong block, counted from 0: the cited lines decide the numbering', () => {
  const reply = ['The bug is in the discount computation.', '', '- **Block 3 (lines 8-9)**: incorrect. It should divide by 100.', '', fixed].join('\n');
  assert.deepEqual(verdictsOf(reply), [['b4', false]]);
  // The same numbers citing the lines of 1-based blocks stay 1-based.
  const oneBased = ['- **Block 3 (line 7)**: correct, returns the price.', '- **Block 4 (lines 8-9)**: wrong, divides by 10.', '', fixed].join('\n');
  assert.deepEqual(verdictsOf(oneBased), [
    ['b3', true],
    ['b4', false],
  ]);
});

test('Ollama-style prose: numbered blocks from 1, "is incorrect because", line citations', () => {
  const reply = [
    'Sure! Here is my analysis.',
    '',
    'Block 1 is correct, it is the docstring.',
    'Block 2 is correct because percent <= 0 returns early.',
    'Block 4 is incorrect because it divides by 10.',
    '',
    'Line 8: wrong, the percentage must be divided by 100.',
    '',
    fixed,
  ].join('\n');
  assert.deepEqual(verdictsOf(reply), [
    ['b1', true],
    ['b2', true],
    ['b4', false],
  ]);
});

test('line numbers alone map to the block holding them', () => {
  const reply = ['Lines 8-9: incorrect | the discount is ten times too big', 'Line 6: correct | the guard', '', fixed].join('\n');
  assert.deepEqual(verdictsOf(reply), [
    ['b4', false],
    ['b2', true],
  ]);
});

test('ids in every dress: [b2], `b3`, VERDICT b4, block b1, a table', () => {
  const reply = ['VERDICT [b2]: correct | guard', '- `b3`: ok — returns price', 'VERDICT b4: wrong | / 10', 'Block b1 — correct: docstring', '', fixed].join('\n');
  assert.deepEqual(verdictsOf(reply), [
    ['b2', true],
    ['b3', true],
    ['b4', false],
    ['b1', true],
  ]);
  const table = ['| Block | Verdict | Why |', '|---|---|---|', '| b1 | ✅ Correct | docstring |', '| b4 | ❌ Incorrect | divides by 10 |', '', fixed].join('\n');
  assert.deepEqual(verdictsOf(table), [
    ['b1', true],
    ['b4', false],
  ]);
});

test('prose that merely mentions a block is no verdict; a block the function does not have is left out', () => {
  const r = parseReply(['In block 4 the value of discounted is 0.', 'Block 9: incorrect — nothing there.', 'b4: incorrect — divides by 10', '', fixed].join('\n'), context);
  assert.ok(r.ok);
  assert.deepEqual(
    r.diagnosis.verdicts.map((v) => v.blockId),
    ['b4'],
  );
  assert.ok(r.notes.some((n) => n.includes('block 9')));
});

test('JSON verdicts numbered from 0, by number, by "Block N" and by lines', () => {
  const json = (verdicts: unknown[]) => JSON.stringify({ summary: 'divides by 10', verdicts, fix: null });
  assert.deepEqual(
    verdictsOf(
      json([
        { block: 0, correct: true, why: 'doc' },
        { block: 3, correct: false, why: '/ 10' },
      ]),
    ),
    [
      ['b1', true],
      ['b4', false],
    ],
  );
  assert.deepEqual(verdictsOf(json([{ block: 'Block 3', lines: '8-9', verdict: 'incorrect', reason: '/ 10' }])), [['b4', false]]);
  assert.deepEqual(verdictsOf(json([{ lines: [8, 9], correct: false, why: '/ 10' }])), [['b4', false]]);
  assert.deepEqual(verdictsOf(json([{ block: '[b2]', correct: 'yes', why: 'guard' }])), [['b2', true]]);
});

test('JSON with the keys models use instead of the schema\'s: fixed_code, code, corrected_function, fix, explanation, summary, patch, diff', () => {
  const code = 'def apply_discount(price, percent):\n    return max(price - price * percent / 100, 0)';
  for (const key of ['fixed_code', 'code', 'corrected_function', 'fix']) {
    const r = parseReply(JSON.stringify({ explanation: 'percent is out of 100', [key]: code }), { ...context, requireFix: true });
    assert.ok(r.ok, `${key}: ${r.ok ? '' : r.error}`);
    assert.equal(r.diagnosis.summary, 'percent is out of 100', key);
    assert.deepEqual(r.diagnosis.fix, { kind: 'function', code }, key);
  }
  const diff = '@@ -8 +8 @@\n-    discounted = price - price * percent / 10  # bug: percent is out of 100\n+    discounted = price - price * percent / 100\n';
  for (const key of ['patch', 'diff']) {
    const r = parseReply(JSON.stringify({ summary: 'percent is out of 100', [key]: diff }), { ...context, requireFix: true });
    assert.ok(r.ok, `${key}: ${r.ok ? '' : r.error}`);
    assert.equal(r.diagnosis.fix?.kind, 'diff', key);
  }
});

test('lenient JSON never edits inside strings (the old trailing-comma regex removed the comma in `[x, ]`)', () => {
  // A raw line break in a string and a trailing comma make the strict parse fail; the repair must
  // keep the code's own `, ]` intact.
  const reply = '{"summary": "a list, ]", "verdicts": [], "fix": {"kind": "function", "code": "def apply_discount(price, percent):\n    return [price, ]"},}';
  const r = parseReply(reply, context);
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.equal(r.diagnosis.summary, 'a list, ]');
  assert.deepEqual(r.diagnosis.fix, { kind: 'function', code: 'def apply_discount(price, percent):\n    return [price, ]' });
});

test('prose that only leads into its verdicts gets the wrong blocks\' reasons as its explanation', () => {
  const r = parseReply(["Here's what happens for apply_discount(80, 10):", '', 'Block 0: CORRECT — docstring.', 'Block 3: INCORRECT — takes 80 off instead of 8.', '', fixed].join('\n'), context);
  assert.ok(r.ok);
  assert.equal(r.diagnosis.summary, "Here's what happens for apply_discount(80, 10):\nb4: takes 80 off instead of 8.");
});
