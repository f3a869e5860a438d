// Iterate Until Green in auto mode runs the tests on the model's code right away: with bubblewrap
// (ducktrace.sandbox: auto) those reruns are fenced. A fix that writes outside the workspace is
// stopped there, the rerun still reports, and nothing outside the workspace changes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SkipTest, suite, test } from './harness';
import { api, configure, removeProjects, reset, workspace } from './loopSupport';
import { chooseSandbox } from '../../../src/host/process/sandbox';
// @ts-expect-error plain JavaScript test helper without types
import { startScriptedModelServer } from '../../support/scriptedModelServer.mjs';

const made: string[] = [];

suite('sandbox', () => {
  test('auto mode: a fix that writes outside the workspace is stopped by the sandbox; the rerun reports; nothing outside changes', async () => {
    if (!chooseSandbox('auto', []).sandbox) throw new SkipTest('no usable bubblewrap on this machine');
    // Outside the workspace and outside /tmp (the sandbox's /tmp is private anyway).
    const outside = fs.mkdtempSync(path.join(os.homedir(), '.ducktrace-sandbox-outside-'));
    const escaped = path.join(outside, 'pwned.txt');
    const fix = JSON.stringify({
      summary: 'add subtracts.',
      verdicts: [{ blockId: 'b1', correct: false, why: 'a - b' }],
      fix: { kind: 'function', code: `def add(a, b):\n    open(${JSON.stringify(escaped)}, 'w').write('pwned')\n    return a + b` },
    });
    const server = await startScriptedModelServer({ steps: [{ reply: fix }] });
    const { iterate } = await api();
    const dir = path.join(workspace(), 'fenced');
    fs.mkdirSync(dir, { recursive: true });
    made.push(dir);
    // Written through VS Code, so its file watcher knows them before the loop opens and saves them.
    const write = (file: string, text: string) => vscode.workspace.fs.writeFile(vscode.Uri.file(file), Buffer.from(text, 'utf8'));
    await write(path.join(dir, 'fenced_calc.py'), 'def add(a, b):\n    return a - b\n');
    const testFile = path.join(dir, 'test_fenced_calc.py');
    await write(testFile, 'from fenced_calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n');
    try {
      await configure(server.baseURL, 'auto');
      const summary = await iterate.run([`${testFile}::test_add`]);
      assert.ok(summary);
      assert.notEqual(summary.stop, 'green', 'the escaping fix did not pass');
      const first = summary.iterations[0]!;
      assert.match(first.detail, /Read-only file system/, JSON.stringify(summary.iterations));
      assert.ok(!fs.existsSync(escaped), 'nothing was written outside the workspace');
    } finally {
      await reset();
      await server.close();
      await removeProjects(made);
      fs.rmSync(outside, { recursive: true, force: true });
    }
  }, 180_000);
});
