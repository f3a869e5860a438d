// The deterministic slice of the fuzzing (`npm run fuzz` runs many more cases).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fuzzProposals } from '../fuzz/proposalFuzz';

test('proposal bookkeeping holds its properties on 1,000 random documents and edits', () => {
  const counts = fuzzProposals(1, 1000);
  assert.equal(counts.cases, 1000);
  assert.ok(counts.staleDetected > 50, `stale hunks were exercised (${counts.staleDetected})`);
  assert.ok(counts.appliedAfterEdits > 300, `pending hunks applied after edits (${counts.appliedAfterEdits})`);
});
