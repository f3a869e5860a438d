import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { StreamingVerdictReader, streamingVerdicts } from '../../src/core/duck/streamingVerdicts';

const full = JSON.stringify({
  summary: 'The loop skips the first value.',
  verdicts: [
    { blockId: 'b1', correct: true, why: 'sum starts at 0 {as it should}' },
    { blockId: 'b2', correct: false, why: 'range starts at 1, so "values[0]" is never added' },
    { blockId: 'b3', correct: true, why: 'divides by the length' },
  ],
  fix: { kind: 'function', code: 'function mean(v) { return 1; }' },
});

test('complete verdicts appear as the text grows, in order, and never a half one', () => {
  const seen: number[] = [];
  for (let n = 0; n <= full.length; n += 7) seen.push(streamingVerdicts(full.slice(0, n)).length);
  assert.deepEqual([...new Set(seen)], [0, 1, 2, 3]);
  assert.ok(seen.every((v, i) => i === 0 || v >= seen[i - 1]!), 'never goes back');
  const last = streamingVerdicts(full);
  assert.deepEqual(last.map((v) => [v.blockId, v.correct]), [['b1', true], ['b2', false], ['b3', true]]);
  assert.equal(last[1]!.why, 'range starts at 1, so "values[0]" is never added');
});

test('braces and quotes inside strings do not confuse it; other objects are ignored', () => {
  assert.deepEqual(streamingVerdicts('{"x": "{\\"blockId\\": \\"b9\\", \\"correct\\": false}"}'), []);
  assert.deepEqual(streamingVerdicts('garbage { not json } {"blockId":"b1","correct":false,"why":"w"}').map((v) => v.blockId), ['b1']);
});

test('the reader keeps its place: any split into pieces gives the same verdicts as the whole', () => {
  for (const size of [1, 2, 3, 5, 8, 13, 64]) {
    const reader = new StreamingVerdictReader();
    let last: ReturnType<StreamingVerdictReader['push']> = [];
    for (let i = 0; i < full.length; i += size) last = reader.push(full.slice(i, i + size));
    assert.deepEqual(last, streamingVerdicts(full), `pieces of ${size}`);
  }
});

test('verdicts by number land on the blocks once the numbering is certain (block 0 seen); by id at once', () => {
  const blocks = [
    { id: 'b1', startLine: 2, endLine: 3 },
    { id: 'b2', startLine: 4, endLine: 4 },
  ];
  const reader = new StreamingVerdictReader(blocks);
  assert.deepEqual(reader.push('{"verdicts": [{"block": 1, "correct": false, "why": "x"}'), [], 'block 1 alone: from 0 or from 1?');
  assert.deepEqual(
    reader.push(', {"block": 0, "correct": true, "why": "y"}').map((v) => [v.blockId, v.correct]),
    [
      ['b2', false],
      ['b1', true],
    ],
  );
  assert.deepEqual(streamingVerdicts('{"block": "b2", "correct": true, "why": ""}', blocks).map((v) => v.blockId), ['b2']);
});

test('a long answer streamed in small pieces: the reader holds at most one open object (64 KB), never the answer, and reads every verdict', () => {
  // Seen: a 1.2 MB answer in 12-character pieces took minutes, because the whole answer was kept
  // and indexed after each piece. The reader now keeps just the innermost open object.
  const verdict = (i: number) => `{"blockId": "b${i}", "correct": ${i % 3 !== 0}, "why": "step ${i}"}`;
  const answer = `{"summary": "${'Checked each block again. '.repeat(40_000)}", "verdicts": [${Array.from({ length: 200 }, (_, i) => verdict(i + 1)).join(', ')}], "fix": {"kind": "function", "code": "${'x'.repeat(50_000)}"}}`;
  const reader = new StreamingVerdictReader();
  let most = 0;
  let last: ReturnType<StreamingVerdictReader['push']> = [];
  for (let i = 0; i < answer.length; i += 12) {
    last = reader.push(answer.slice(i, i + 12));
    most = Math.max(most, reader.heldLength);
  }
  assert.equal(last.length, 200);
  assert.deepEqual(last, streamingVerdicts(answer));
  assert.ok(most <= 64 * 1024 + 12, `held ${most} characters of a ${answer.length}-character answer`);
});
