// Every saved model reply in test/fixtures/replies/, parsed and applied to its target file (through
// the checked apply every path uses) against the NAME.expected.json next to it. Adding a fixture is
// adding two files (three with a new patched result); nothing here changes.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { applyFixInScope } from '../../src/core/duck/fixScope';
import { parseReply } from '../../src/core/duck/replyParser';
import { languageForFile } from '../../src/core/blocks/languages';
import { fixturePath, parseSource, parser } from './support/fixtures';
import { replyFixtures } from './support/replyFixtures';

test('there are at least 30 reply fixtures', () => {
  assert.ok(replyFixtures().length >= 30, `only ${replyFixtures().length} fixtures`);
});

for (const { name, reply, expected } of replyFixtures()) {
  test(`reply fixture ${name}`, async () => {
    const source = readFileSync(fixturePath('replies', 'targets', expected.target), 'utf8');
    const language = languageForFile(expected.target)!;
    const parsedSource = await parseSource(source, language);
    try {
      const fn = parsedSource.fn(parsedSource.functions.find((f) => f.qualifiedName === expected.function || f.name === expected.function)!.qualifiedName);
      // The blocks as the prompt showed them: verdicts by number or line land on these.
      const blocks = parsedSource.blocks(fn.qualifiedName).map((b) => ({ id: b.id, startLine: b.range.start.line, endLine: b.range.end.line }));
      const parsed = parseReply(reply, { functionName: expected.function, language, requireFix: expected.requireFix, blocks });
      if (!expected.parse.ok) {
        assert.equal(parsed.ok, false, `expected a parse error, got ${JSON.stringify(parsed)}`);
        if (!parsed.ok) assert.ok(parsed.error.includes(expected.parse.error), `error '${parsed.error}' should include '${expected.parse.error}'`);
        return;
      }
      assert.ok(parsed.ok, `parse failed: ${parsed.ok ? '' : parsed.error}`);
      const { diagnosis, format } = parsed;
      const want = expected.parse;
      if (want.format) assert.equal(format, want.format);
      if (want.fixKind !== undefined) assert.equal(diagnosis.fix?.kind ?? null, want.fixKind);
      if (want.summaryIncludes) assert.ok(diagnosis.summary.includes(want.summaryIncludes), `summary: ${diagnosis.summary}`);
      if (want.testIsWrong) assert.ok(diagnosis.testIsWrong?.claim.includes(want.testIsWrong), `testIsWrong: ${JSON.stringify(diagnosis.testIsWrong)}`);
      else assert.equal(diagnosis.testIsWrong, undefined);
      if (want.verdicts) assert.deepEqual(diagnosis.verdicts.map((v) => [v.blockId, v.correct]), want.verdicts);
      for (const v of diagnosis.verdicts) assert.ok(v.why.length > 0, `verdict ${v.blockId} has no reason`);

      if (!expected.apply) return;
      assert.ok(diagnosis.fix, 'expected a fix to apply');
      const result = await applyFixInScope(parser, source, { name: expected.function, range: fn.range, language, file: expected.target }, diagnosis.fix);
      if (!expected.apply.ok) {
        assert.equal(result.ok, false, 'expected the fix not to apply');
        if (!result.ok) assert.ok(result.error.includes(expected.apply.error), `error '${result.error}' should include '${expected.apply.error}'`);
        return;
      }
      assert.ok(result.ok, `apply failed: ${result.ok ? '' : result.error}`);
      assert.equal(result.text, readFileSync(fixturePath('replies', expected.apply.patched), 'utf8'));
      assert.equal(result.outsideTarget, expected.apply.outsideTarget ?? false);
      if (expected.apply.outsideRanges) assert.deepEqual(result.outsideRanges.map((r) => [r.startLine, r.endLine]), expected.apply.outsideRanges);
      if (expected.apply.notesInclude) assert.ok(result.notes.some((n) => n.includes((expected.apply as { notesInclude: string }).notesInclude)), `notes: ${result.notes.join('; ')}`);
    } finally {
      parsedSource.tree.delete();
    }
  });
}
