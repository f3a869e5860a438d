import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { screenshot, suite, test } from './harness';
import { CommandIds } from '../../../src/vscode/commandIds';
import type { DucktraceApi } from '../../../src/vscode/activate';

const workspace = () => process.env.DUCKTRACE_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders![0]!.uri.fsPath;
const api = async () => vscode.extensions.getExtension<DucktraceApi>('ducktrace.ducktrace')!.activate();

suite('show blocks', () => {
  test('draws the blocks of the function at the cursor and clears them on edit', async () => {
    const { blocks } = await api();
    const doc = await vscode.workspace.openTextDocument(path.join(workspace(), 'stats.js'));
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(5, 4, 5, 4); // inside mean()
    await vscode.commands.executeCommand(CommandIds.showBlocks);
    assert.equal(blocks.current?.function.name, 'mean');
    assert.deepEqual(blocks.current?.blocks.map((b) => b.kind), ['straight', 'loop-header', 'straight', 'return']);
    await screenshot('show-blocks');
    await editor.edit((b) => b.insert(new vscode.Position(0, 0), '// edited\n'));
    assert.equal(blocks.current, undefined);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('outside any function it says so instead of failing', async () => {
    const { blocks } = await api();
    const doc = await vscode.workspace.openTextDocument(path.join(workspace(), 'stats.js'));
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    assert.equal(await blocks.showAtCursor(editor), undefined);
    assert.equal(blocks.current, undefined);
  });
});
