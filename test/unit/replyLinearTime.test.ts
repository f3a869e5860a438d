// The reply shapes that made the old parser backtrack for minutes (test/fuzz/pathologicalReplies.ts),
// at a size where a backtracking parser already takes very long: each is read or refused with a
// clear message. `npm run fuzz` times them at 100,000 characters (over 1 second fails).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { findDefinitions } from '../../src/core/duck/definitions';
import { parseSearchReplace, parseUnifiedDiff } from '../../src/core/duck/editFormats';
import { applyFix } from '../../src/core/duck/fixApplier';
import { parseReply } from '../../src/core/duck/replyParser';
import { streamingVerdicts } from '../../src/core/duck/streamingVerdicts';
import { pathologicalFixes, pathologicalReplies, pathologicalTarget } from '../fuzz/pathologicalReplies';

test('every pathological reply is read or refused with a message, and its parts are scanned', () => {
  let count = 0;
  for (const { name, text } of pathologicalReplies(5_000)) {
    for (const language of ['python', 'javascript']) {
      const r = parseReply(text, { functionName: 'f', language, requireFix: count % 2 === 0, blocks: [{ id: 'b1', startLine: 1, endLine: 2 }] });
      assert.ok(r.ok || r.error.trim().length > 0, name);
    }
    streamingVerdicts(text);
    parseSearchReplace(text);
    parseUnifiedDiff(text);
    findDefinitions(text, 'python');
    findDefinitions(text, 'javascript');
    count++;
  }
  assert.ok(count > 390, `${count} shapes`);
});

test('the two replies seen hanging for minutes are read at once, as prose', () => {
  const fix = parseReply(`FIX${' '.repeat(3000)}x`, { functionName: 'f', language: 'python' });
  assert.ok(fix.ok && fix.format === 'prose');
  const b1 = parseReply(`b1${' '.repeat(3000)}\t \t${' '.repeat(3000)}`, { functionName: 'f', language: 'python' });
  assert.ok(b1.ok && b1.diagnosis.verdicts.length === 0);
});

test('fixes of pathological shape are applied or refused with a message', () => {
  for (const { name, fix } of pathologicalFixes(5_000)) {
    const r = applyFix(pathologicalTarget.text, pathologicalTarget.target, fix);
    assert.ok(r.ok || r.error.trim().length > 0, name);
  }
});

test('a reply over the size cap is refused with the setting to change; under it, read', () => {
  const big = `SUMMARY: too long\n${'x'.repeat(1024 * 1024)}`;
  const r = parseReply(big, {});
  assert.ok(!r.ok);
  assert.match(r.error, /The reply is 1 MB, over the 977 KB limit for model replies \(ducktrace\.model\.maxReplyBytes\), so it was not read and nothing was changed/);
  assert.ok(parseReply(big, { maxReplyBytes: 2 * 1024 * 1024 }).ok);
  // Bytes, not characters: 400,000 three-byte characters are 1.2 MB.
  assert.ok(!parseReply('€'.repeat(400_000), {}).ok);
  assert.ok(parseReply('€'.repeat(300_000), {}).ok);
});
