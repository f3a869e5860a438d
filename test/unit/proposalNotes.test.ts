import assert from 'node:assert/strict';
import { test } from 'node:test';
import { proposalNotes } from '../../src/core/patch/proposalNotes';

test('a one-line replacement is written after the struck line, without its indentation', () => {
  assert.deepEqual(proposalNotes('    discounted = price - price * percent / 10\n', '    discounted = price - price * percent / 100\n'), [{ line: 0, text: '→ discounted = price - price * percent / 100' }]);
});

test('line by line; more new lines than old join the last old line; fewer leave the rest struck', () => {
  assert.deepEqual(proposalNotes('a\nb\n', 'A\nB\nC\n'), [
    { line: 0, text: '→ A' },
    { line: 1, text: '→ B  ⏎  C' },
  ]);
  assert.deepEqual(proposalNotes('a\nb\nc\n', 'A\n'), [{ line: 0, text: '→ A' }]);
  assert.deepEqual(proposalNotes('a\r\nb\r\n', 'A\r\nB\r\n'), [{ line: 0, text: '→ A' }, { line: 1, text: '→ B' }]);
});

test('an insertion goes after the line above; a removal has no note', () => {
  assert.deepEqual(proposalNotes('', '    if not xs:\n        return 0\n'), [{ line: -1, text: '＋ if not xs:  ⏎  return 0' }]);
  assert.deepEqual(proposalNotes('x = 1\n', ''), []);
});

test('a long line is cut with an ellipsis', () => {
  const [note] = proposalNotes('a\n', `${'x'.repeat(300)}\n`, 50);
  assert.equal(note?.text.length, 50);
  assert.ok(note?.text.endsWith('…'));
});
