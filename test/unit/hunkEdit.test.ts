import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hunkEdit } from '../../src/core/patch/hunkEdit';

const apply = (text: string, e: { start: number; end: number; text: string }) => text.slice(0, e.start) + e.text + text.slice(e.end);

test('a replacement replaces exactly its text', () => {
  const text = 'a\nb\nc\n';
  assert.deepEqual(hunkEdit(text, { start: 2, end: 4, newText: 'B\n' }), { start: 2, end: 4, text: 'B\n' });
});

test('an insertion replaces the line it goes before, with the same result', () => {
  const text = 'a\r\nb\r\nc\r\n';
  const e = hunkEdit(text, { start: 3, end: 3, newText: 'x\r\n' });
  assert.deepEqual(e, { start: 3, end: 6, text: 'x\r\nb\r\n' });
  assert.equal(apply(text, e), 'a\r\nx\r\nb\r\nc\r\n');
  const last = hunkEdit('a\nb', { start: 2, end: 2, newText: 'x\n' });
  assert.equal(apply('a\nb', last), 'a\nx\nb');
  assert.deepEqual(hunkEdit('a\n', { start: 2, end: 2, newText: 'x\n' }), { start: 2, end: 2, text: 'x\n' }, 'at the end: nothing to replace');
});
