// Workspace Trust: in a workspace VS Code does not trust, Ducktrace runs no tests, tracers or
// interpreters, and says why. The runner's `--untrusted` pass runs these with a canary conftest.py
// that would leave ran.txt behind if pytest ever started.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SkipTest, screenshot, suite, test } from './harness';
import { CommandIds } from '../../../src/vscode/commandIds';
import type { DucktraceApi } from '../../../src/vscode/activate';

const workspace = () => process.env.DUCKTRACE_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders![0]!.uri.fsPath;

suite('workspace trust', () => {
  test('in an untrusted workspace nothing runs, and the Testing view and the Ducktrace view say why', async () => {
    if (!process.env.DUCKTRACE_TEST_UNTRUSTED) throw new SkipTest('runs in the --untrusted pass');
    assert.equal(vscode.workspace.isTrusted, false, 'the workspace is untrusted');
    const api = await vscode.extensions.getExtension<DucktraceApi>('ducktrace.ducktrace')!.activate();
    await api.tests.refresh();
    const items: vscode.TestItem[] = [];
    api.tests.controller.items.forEach((i) => items.push(i));
    assert.deepEqual(items.map((i) => i.label), ['Ducktrace runs no tests in an untrusted workspace']);
    assert.match(String(items[0]!.error), /Trust this workspace/);
    assert.match(api.explain.current.notice?.message ?? '', /not trusted/, 'the Ducktrace view says so before anything is tried');

    const testFile = path.join(workspace(), 'test_pricing.py');
    const state = await api.explain.run({ file: testFile, line: 9, name: 'test_ten_percent_off', message: 'assert 0.0 == 72', stack: [{ file: testFile, line: 9 }] });
    assert.equal(state.phase, 'error');
    assert.match(state.error!.message, /not trusted/);
    assert.equal(await api.iterate.run(), undefined);
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(path.join(workspace(), 'pricing.py')));
    editor.selection = new vscode.Selection(7, 4, 7, 4);
    assert.equal(await api.suspicion.showAtCursor(editor), undefined);
    await vscode.commands.executeCommand(CommandIds.showBlocks); // parsing runs nothing: allowed
    await api.tests.run(new vscode.TestRunRequest(), new vscode.CancellationTokenSource().token);
    await vscode.commands.executeCommand('workbench.view.extension.ducktrace');
    await screenshot('untrusted');
    assert.equal(fs.existsSync(path.join(workspace(), 'ran.txt')), false, 'pytest never ran');
  }, 60_000);
});
