import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { streamingVerdicts } from '../../src/core/duck/streamingVerdicts';

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
