// The deterministic slice of the reply fuzzing (`npm run fuzz` runs 10,000 cases or more, timed).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fuzzReplies, loadReplyFuzzCorpus } from '../fuzz/replyFuzz';

test('reply parser and fix applier hold their properties on 500 mutated and generated replies', async () => {
  const counts = await fuzzReplies(await loadReplyFuzzCorpus(), 1, 500);
  assert.equal(counts.cases, 500);
  assert.equal(counts.revertedExactly, counts.applied, 'every applied fix reverts exactly');
  assert.ok(counts.parseErrors > 20, `clear parse errors were exercised (${counts.parseErrors})`);
  assert.ok(counts.applyErrors > 10, `clear apply errors were exercised (${counts.applyErrors})`);
  assert.ok(counts.applied > 50, `fixes were applied (${counts.applied})`);
  assert.ok(counts.outsideTargetReported > 0, `edits outside the target were reported (${counts.outsideTargetReported})`);
  assert.ok(counts.refusedOutOfScope > 0, `fixes changing more than the target were refused (${counts.refusedOutOfScope})`);
});
