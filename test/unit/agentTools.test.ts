// The agent tools over an AgentProject, without a protocol in between: the root confines every path,
// test results are reused only while no file changed, a trace answer stays within its budget
// whatever the loop length, secrets from .env never reach an answer, never-send files are refused.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { estimateTokens } from '../../src/core/duck/tokens';
import { AgentProject } from '../../src/host/agents/agentProject';
import { blocksTool } from '../../src/host/agents/blocksTool';
import { failingTests } from '../../src/host/agents/failingTestsTool';
import { fixDiffTool } from '../../src/host/agents/fixTool';
import { ProjectRoot } from '../../src/host/agents/projectRoot';
import { toolOutputOf } from '../../src/host/agents/toolResult';
import { traceTestTool } from '../../src/host/agents/traceTestTool';
import { parser, repoRoot } from './support/fixtures';

const helpersDir = join(repoRoot, 'dist');

describe('ProjectRoot', () => {
  let work: string;
  let root: ProjectRoot;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'ducktrace-root-'));
    mkdirSync(join(work, 'project', 'src'), { recursive: true });
    writeFileSync(join(work, 'project', 'src', 'a.py'), 'def f():\n    return 1\n');
    writeFileSync(join(work, 'secret.py'), 'KEY = 1\n');
    symlinkSync(join(work, 'secret.py'), join(work, 'project', 'src', 'link.py'));
    root = await ProjectRoot.open(join(work, 'project'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('resolves paths inside, relative or absolute, to their real path', async () => {
    assert.equal(await root.resolve('src/a.py'), join(root.path, 'src', 'a.py'));
    assert.equal(await root.resolve(join(root.path, 'src', '..', 'src', 'a.py')), join(root.path, 'src', 'a.py'));
    assert.equal(root.relative(join(root.path, 'src', 'a.py')), 'src/a.py');
  });

  test('refuses .., absolute paths outside, and links that lead out, with one message', async () => {
    for (const given of ['../secret.py', join(work, 'secret.py'), 'src/link.py', '../nonexistent.py']) {
      await assert.rejects(root.resolve(given), /is outside the project folder .*; Ducktrace reads and runs nothing outside it\./, given);
    }
    await assert.rejects(root.resolve('src/link.py'), /a symbolic link leads out of it/);
    await assert.rejects(root.resolve('src/missing.py'), /^AgentToolError: No such file in the project: src\/missing\.py$|No such file in the project: src\/missing\.py/);
  });
});

describe('agent tools on a small pytest project', { timeout: 240_000 }, () => {
  let dir: string;
  let project: AgentProject;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ducktrace-agent-tools-'));
    writeFileSync(join(dir, 'pytest.ini'), '[pytest]\n');
    writeFileSync(join(dir, '.env'), 'SERVICE_TOKEN=tok-4f9c2e7d1b\n');
    // A long loop with an off-by-one at the end: the budget must hold whatever n is.
    writeFileSync(join(dir, 'series.py'), 'def total(n):\n    acc = 0\n    for i in range(n):\n        acc += i\n        if i == n - 1:\n            acc += 1\n    return acc\n');
    writeFileSync(
      join(dir, 'test_series.py'),
      'import os\nfrom series import total\n\ndef test_long():\n    assert total(5000) == 12497500\n\ndef test_token():\n    assert "tok-4f9c2e7d1b" == os.environ.get("NOPE", "")\n',
    );
    mkdirSync(join(dir, 'secrets'));
    writeFileSync(join(dir, 'secrets', 'keys.py'), 'def key():\n    return "x"\n');
    project = await AgentProject.open(dir, { helpersDir, parser, testTimeoutMs: 20_000, neverSend: ['**/secrets/**'] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('failing tests: the .env value never reaches the answer; results are reused until a file changes', async () => {
    const first = await failingTests(project, {});
    assert.match(first.text, /^2 of 2 tests fail \(pytest\)\./);
    assert.doesNotMatch(first.text + JSON.stringify(first.data), /tok-4f9c2e7d1b/);
    assert.match(first.text, /\[REDACTED\]/);
    assert.equal(first.data.fromCache, false);
    const again = await failingTests(project, {});
    assert.equal(again.data.fromCache, true);
    // An edit (a newer modification time) makes the results stale.
    const later = new Date(Date.now() + 5000);
    utimesSync(join(dir, 'series.py'), later, later);
    const after = await failingTests(project, {});
    assert.equal(after.data.fromCache, false);
  });

  test('a trace of a 5,000-iteration loop stays within its budget and says what it left out', async () => {
    for (const maxTokens of [2000, 700]) {
      const answer = await traceTestTool(project, { test: 'test_series.py::test_long', maxTokens });
      assert.equal(answer.isError, undefined, answer.text);
      assert.ok(estimateTokens(answer.text) <= maxTokens, `${estimateTokens(answer.text)} > ${maxTokens}`);
      assert.match(answer.text, /- call 1: total\(n: int = 5000\) → returned 12497501/);
      assert.match(answer.text, /more runs? left out/);
      assert.match(answer.text, /b2 #1: i: int = 0/, 'the first iteration is shown');
      // The loop header's last visit is the exit check after i = 4999 (#5001), or its last assignment (#5000).
      assert.match(answer.text, /b2 #500[01]: (?:read )?i = 4999/, 'and the last');
    }
  });

  test('a function in a never-send file is refused', async () => {
    const answer = await toolOutputOf(() => blocksTool(project, { target: 'secrets/keys.py:key' }));
    assert.equal(answer.isError, true);
    assert.match(answer.text, /neverSend/);
    assert.doesNotMatch(answer.text, /return "x"/);
  });

  test('a fix is checked like the duck\'s: one that deletes another function or breaks the syntax is refused; a good one is a diff', async () => {
    writeFileSync(join(dir, 'pair.py'), 'def first(x):\n    return x + 1\n\n\ndef second(x):\n    return x * 2\n');
    const deletes = await toolOutputOf(() =>
      fixDiffTool(project, { target: 'pair.py:first', edits: [{ search: '    return x + 1\n\n\ndef second(x):\n    return x * 2', replace: '    return x + 2' }] }),
    );
    assert.equal(deletes.isError, true);
    assert.match(deletes.text, /delete the function `second`.*Nothing was proposed/s);
    const broken = await toolOutputOf(() => fixDiffTool(project, { target: 'pair.py:first', code: 'def first(x):\n    return (x + 2\n' }));
    assert.equal(broken.isError, true);
    assert.match(broken.text, /does not parse/);
    const good = await fixDiffTool(project, { target: 'pair.py:first', code: 'def first(x):\n    return x + 2\n' });
    assert.match(good.text, /^-    return x \+ 1\n\+    return x \+ 2$/m);
    assert.equal(good.data.written, false);
  });

  test('a test that passes is traced when the function is named, refused when not', async () => {
    writeFileSync(join(dir, 'test_pass.py'), 'from series import total\n\ndef test_small():\n    assert total(0) == 0\n');
    const named = await traceTestTool(project, { test: 'test_pass.py::test_small', target: 'series.py:total' });
    assert.match(named.text, /The test passed in this run/);
    const unnamed = await toolOutputOf(() => traceTestTool(project, { test: 'test_pass.py::test_small' }));
    assert.equal(unnamed.isError, true);
    assert.match(unnamed.text, /the test passed, so there is no failure to follow/);
  });
});
