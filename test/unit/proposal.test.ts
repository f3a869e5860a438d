import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  applyDocumentChanges,
  applyHunks,
  checkHunk,
  createProposal,
  hunkLines,
  isSettled,
  markSettled,
  proposedText,
  revalidate,
  StaleHunkError,
  type Proposal,
  type TextChange,
} from '../../src/core/patch/proposal';

const before = ['def mean(xs):', '    total = 0', '    for x in xs[1:]:', '        total += x', '    return total / len(xs)', ''].join('\n');
const after = ['def mean(xs):', '    total = 0', '    for x in xs:', '        total += x', '    return total / max(len(xs), 1)', ''].join('\n');

/** Applies a change to text the way an editor would, and to the proposal's bookkeeping. */
function edit(text: string, proposal: Proposal, change: TextChange): string {
  applyDocumentChanges(proposal, [change]);
  return text.slice(0, change.offset) + change.text + text.slice(change.offset + change.length);
}
const offsetOfLine = (text: string, line: number) => text.split('\n').slice(0, line).join('\n').length + (line ? 1 : 0);

test('two separated changed lines give two whole-line hunks with exact old and new text', () => {
  const p = createProposal('mean.py', 1, before, after);
  assert.equal(p.hunks.length, 2);
  assert.deepEqual(p.hunks.map((h) => [h.oldText, h.newText]), [
    ['    for x in xs[1:]:\n', '    for x in xs:\n'],
    ['    return total / len(xs)\n', '    return total / max(len(xs), 1)\n'],
  ]);
  assert.deepEqual(hunkLines(before, p.hunks[0]!), { startLine: 2, oldLineCount: 1, newLineCount: 1 });
  assert.equal(applyHunks(before, p.hunks), after);
  assert.equal(proposedText(before, p), after);
});

test('no change gives no hunks; a proposal is settled once every hunk is decided', () => {
  assert.equal(createProposal('f', 1, before, before).hunks.length, 0);
  const p = createProposal('f', 1, before, after);
  assert.equal(isSettled(p), false);
  markSettled(p, p.hunks[0]!.id, 'accepted');
  markSettled(p, p.hunks[1]!.id, 'rejected');
  assert.equal(isSettled(p), true);
});

test('accepting one of two hunks yields exactly that change', () => {
  const p = createProposal('f', 1, before, after);
  const text = applyHunks(before, [p.hunks[1]!]);
  assert.equal(text, before.replace('len(xs)\n', 'max(len(xs), 1)\n'));
});

test('merging: hunks within the gap become one hunk covering the lines between', () => {
  const p = createProposal('f', 1, before, after, { mergeGapLines: 1 });
  assert.equal(p.hunks.length, 1);
  assert.equal(p.hunks[0]!.oldText, '    for x in xs[1:]:\n        total += x\n    return total / len(xs)\n');
  assert.equal(applyHunks(before, p.hunks), after);
});

test('pure insertions and pure deletions', () => {
  const ins = createProposal('f', 1, 'a\nc\n', 'a\nb\nc\n');
  assert.deepEqual(ins.hunks.map((h) => [h.start, h.end, h.oldText, h.newText]), [[2, 2, '', 'b\n']]);
  assert.equal(applyHunks('a\nc\n', ins.hunks), 'a\nb\nc\n');
  const del = createProposal('f', 1, 'a\nb\nc\n', 'a\nc\n');
  assert.deepEqual(del.hunks.map((h) => [h.oldText, h.newText]), [['b\n', '']]);
  assert.equal(applyHunks('a\nb\nc\n', del.hunks), 'a\nc\n');
});

test('a last line without a line break is handled', () => {
  const p = createProposal('f', 1, 'x = 1\ny = 2', 'x = 1\ny = 3');
  assert.equal(applyHunks('x = 1\ny = 2', p.hunks), 'x = 1\ny = 3');
});

test('an edit above shifts the hunks, which still apply exactly', () => {
  const p = createProposal('f', 1, before, after);
  let text = edit(before, p, { offset: 0, length: 0, text: '# a comment\n# another\n' });
  assert.ok(p.hunks.every((h) => h.state === 'pending'));
  assert.equal(applyHunks(text, p.hunks), '# a comment\n# another\n' + after);
  // A deletion above, ending right where a hunk starts, shifts too.
  text = edit(text, p, { offset: 0, length: '# a comment\n'.length, text: '' });
  assert.equal(applyHunks(text, p.hunks), '# another\n' + after);
});

test('an edit below or between hunks leaves earlier hunks in place', () => {
  const p = createProposal('f', 1, before, after);
  const between = offsetOfLine(before, 3);
  const text = edit(before, p, { offset: between, length: 0, text: '        # keep going\n' });
  assert.ok(p.hunks.every((h) => h.state === 'pending'));
  assert.equal(applyHunks(text, p.hunks), after.replace('        total += x\n', '        # keep going\n        total += x\n'));
});

test('an edit inside a hunk makes exactly that hunk stale; it refuses to apply', () => {
  const p = createProposal('f', 1, before, after);
  const inside = before.indexOf('xs[1:]') + 3;
  const text = edit(before, p, { offset: inside, length: 1, text: '2' });
  assert.deepEqual(p.hunks.map((h) => h.state), ['stale', 'pending']);
  assert.match(checkHunk(text, p.hunks[0]!)!, /edited after the proposal was made/);
  assert.throws(() => applyHunks(text, [p.hunks[0]!]), StaleHunkError);
  assert.equal(applyHunks(text, [p.hunks[1]!]), text.replace('len(xs)\n', 'max(len(xs), 1)\n'));
});

test('an insertion exactly at the end of a hunk is after it; exactly at its start is before it', () => {
  const p = createProposal('f', 1, before, after);
  const h = p.hunks[0]!;
  let text = edit(before, p, { offset: h.end, length: 0, text: 'X' });
  assert.equal(h.state, 'pending');
  const start = h.start;
  text = edit(text, p, { offset: start, length: 0, text: 'Y' });
  assert.equal(h.state, 'pending');
  assert.equal(h.start, start + 1);
  assert.equal(checkHunk(text, h), undefined);
});

test('an edit spanning two hunks makes both stale', () => {
  const p = createProposal('f', 1, before, after);
  const from = p.hunks[0]!.start + 2;
  const to = p.hunks[1]!.start + 2;
  edit(before, p, { offset: from, length: to - from, text: '' });
  assert.deepEqual(p.hunks.map((h) => h.state), ['stale', 'stale']);
});

test('an insertion hunk goes stale when text is typed at its point, not when typed elsewhere', () => {
  const p = createProposal('f', 1, 'a\nc\n', 'a\nb\nc\n');
  const h = p.hunks[0]!;
  edit('a\nc\n', p, { offset: 0, length: 0, text: 'z' });
  assert.equal(h.state, 'pending');
  assert.equal(h.start, 3);
  edit('za\nc\n', p, { offset: 3, length: 0, text: 'q' });
  assert.equal(h.state, 'stale');
});

test('several changes in one event are applied in the order reported (bottom-up)', () => {
  const p = createProposal('f', 1, before, after);
  const text = before;
  const changes: TextChange[] = [
    { offset: text.length, length: 0, text: '# end\n' },
    { offset: 0, length: 0, text: '# top\n' },
  ];
  applyDocumentChanges(p, changes);
  const edited = '# top\n' + before + '# end\n';
  assert.equal(applyHunks(edited, p.hunks), '# top\n' + after + '# end\n');
});

test('CRLF documents keep CRLF: an LF reply is normalised and offsets stay exact', () => {
  const crlf = before.replace(/\n/g, '\r\n');
  const p = createProposal('f', 1, crlf, after);
  assert.equal(p.hunks.length, 2);
  assert.ok(p.hunks.every((h) => h.newText.endsWith('\r\n')));
  assert.equal(applyHunks(crlf, p.hunks), after.replace(/\n/g, '\r\n'));
  const shifted = edit(crlf, p, { offset: 0, length: 0, text: '# hi\r\n' });
  assert.equal(applyHunks(shifted, p.hunks), '# hi\r\n' + after.replace(/\n/g, '\r\n'));
});

test('revalidate marks hunks stale when the text they were made for is gone (file reloaded)', () => {
  const p = createProposal('f', 1, before, after);
  const reloaded = before.replace('xs[1:]', 'xs[2:]');
  assert.deepEqual(revalidate(p, reloaded), [p.hunks[0]!.id]);
  assert.equal(p.hunks[1]!.state, 'pending');
});

test('overlapping hunks are refused instead of producing garbage', () => {
  const p = createProposal('f', 1, before, after);
  const a = { ...p.hunks[0]! };
  const b = { ...p.hunks[0]!, id: 'other' };
  assert.throws(() => applyHunks(before, [a, b]), /overlaps/);
});
