import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { screenshot, suite, test } from './harness';
import { CommandIds } from '../../../src/vscode/commandIds';
import type { DucktraceApi } from '../../../src/vscode/activate';

const workspace = () => process.env.DUCKTRACE_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders![0]!.uri.fsPath;
const api = async () => vscode.extensions.getExtension<DucktraceApi>('ducktrace.ducktrace')!.activate();

suite('suspicious blocks', () => {
  test('ranks the blocks of the function at the cursor from the tests, with no model configured', async () => {
    const { suspicion } = await api();
    const doc = await vscode.workspace.openTextDocument(path.join(workspace(), 'pricing.py'));
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(7, 4, 7, 4); // in apply_discount
    await vscode.commands.executeCommand(CommandIds.showSuspiciousBlocks);
    const summary = suspicion.current;
    assert.ok(summary, 'a ranking was shown');
    assert.equal(summary.failingTests, 1);
    assert.equal(summary.passingTests, 1);
    // The discount line (b4) runs only in the failing test: it comes first.
    assert.equal(summary.blocks[0]?.id, 'b4');
    assert.equal(summary.blocks[0]?.rank, 1);
    await screenshot('suspicious-blocks');
    await editor.edit((b) => b.insert(new vscode.Position(0, 0), '# edited\n'));
    assert.equal(suspicion.current, undefined, 'an edit clears the marks');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }, 60_000);
});
