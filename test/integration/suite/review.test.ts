// The inline diff in a real editor: proposals never touch the buffer until accepted, each accept
// is one undo step, and edits while a proposal is pending shift it or make it stale.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { screenshot, suite, test } from './harness';
import { CommandIds } from '../../../src/vscode/commandIds';
import type { DucktraceApi } from '../../../src/vscode/activate';

const workspace = () => process.env.DUCKTRACE_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders![0]!.uri.fsPath;

const original = [
  'def apply_discount(price, percent):',
  '    """Return the price after taking `percent` percent off."""',
  '    if percent <= 0:',
  '        return price',
  '    discounted = price - price * percent / 10',
  '    return max(discounted, 0)',
  '',
].join('\n');
const fixed = original.replace('percent / 10', 'percent / 100').replace('if percent <= 0:', 'if percent <= 0 or price <= 0:');

let counter = 0;
async function openFresh(text = original): Promise<{ uri: vscode.Uri; editor: vscode.TextEditor }> {
  const file = path.join(workspace(), `review_${++counter}.py`);
  fs.writeFileSync(file, text);
  const uri = vscode.Uri.file(file);
  const editor = await vscode.window.showTextDocument(uri);
  return { uri, editor };
}

async function api(): Promise<DucktraceApi> {
  return vscode.extensions.getExtension<DucktraceApi>('ducktrace.ducktrace')!.activate();
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

suite('inline diff review', () => {
  test('a proposal changes nothing until accepted; Reject All leaves the text identical and clean', async () => {
    const { proposals } = await api();
    const { uri, editor } = await openFresh();
    const reviewed = await proposals.propose(uri, fixed);
    assert.equal(reviewed?.proposal.hunks.length, 2);
    assert.equal(editor.document.getText(), original);
    assert.equal(editor.document.isDirty, false);
    assert.equal(fs.readFileSync(uri.fsPath, 'utf8'), original);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.equal(titles.filter((t) => t.includes('Accept')).length, 2, titles.join(' | '));
    assert.equal(titles.filter((t) => t.includes('Reject')).length, 2);
    await vscode.commands.executeCommand(CommandIds.rejectAllHunks, uri);
    assert.equal(editor.document.getText(), original);
    assert.equal(editor.document.isDirty, false);
    assert.equal(proposals.get(uri), undefined);
  });

  test('accepting one of two hunks yields exactly that change, and Reject of the other keeps it', async () => {
    const { proposals } = await api();
    const { uri, editor } = await openFresh();
    const reviewed = (await proposals.propose(uri, fixed))!;
    const [first, second] = reviewed.proposal.hunks;
    assert.ok(await proposals.accept({ uri, hunkId: second!.id }));
    assert.equal(editor.document.getText(), original.replace('percent / 10', 'percent / 100'));
    await proposals.reject({ uri, hunkId: first!.id });
    assert.equal(editor.document.getText(), original.replace('percent / 10', 'percent / 100'));
    // The last decision saved the file (review.saveAndRerun is on by default).
    await until('the file to be saved', () => !editor.document.isDirty);
    assert.equal(fs.readFileSync(uri.fsPath, 'utf8'), original.replace('percent / 10', 'percent / 100'));
  });

  test('Undo after an accept restores exactly the previous text; each hunk is its own undo step', async () => {
    const { proposals } = await api();
    await vscode.workspace.getConfiguration('ducktrace').update('review.saveAndRerun', false, vscode.ConfigurationTarget.Global);
    try {
      const { uri, editor } = await openFresh();
      const reviewed = (await proposals.propose(uri, fixed))!;
      const [first, second] = reviewed.proposal.hunks;
      await proposals.accept({ uri, hunkId: first!.id });
      const afterFirst = editor.document.getText();
      await proposals.accept({ uri, hunkId: second!.id });
      assert.equal(editor.document.getText(), fixed);
      await vscode.window.showTextDocument(editor.document);
      await vscode.commands.executeCommand('undo');
      assert.equal(editor.document.getText(), afterFirst);
      await vscode.commands.executeCommand('undo');
      assert.equal(editor.document.getText(), original);
    } finally {
      await vscode.workspace.getConfiguration('ducktrace').update('review.saveAndRerun', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('an edit inside a pending hunk makes it stale; it is not applied and offers no blind accept', async () => {
    const { proposals } = await api();
    const { uri, editor } = await openFresh();
    const reviewed = (await proposals.propose(uri, fixed))!;
    const target = reviewed.proposal.hunks.find((h) => h.oldText.includes('percent / 10'))!;
    const at = editor.document.positionAt(editor.document.getText().indexOf('percent / 10'));
    await editor.edit((b) => b.insert(at, 'float('));
    assert.equal(target.state, 'stale');
    const textBefore = editor.document.getText();
    assert.equal(await proposals.accept({ uri, hunkId: target.id }), false);
    assert.equal(editor.document.getText(), textBefore);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    assert.ok(lenses.some((l) => l.command?.title.includes('stale')), 'the stale hunk says so');
    await vscode.commands.executeCommand(CommandIds.rejectAllHunks, uri);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('an edit above the hunks shifts them, and they still apply exactly', async () => {
    const { proposals } = await api();
    const { uri, editor } = await openFresh();
    await proposals.propose(uri, fixed);
    await editor.edit((b) => b.insert(new vscode.Position(0, 0), '# Pricing rules\n# (edited while reviewing)\n'));
    await vscode.commands.executeCommand(CommandIds.acceptAllHunks, uri);
    assert.equal(editor.document.getText(), '# Pricing rules\n# (edited while reviewing)\n' + fixed);
  });

  test('a pending proposal survives closing and reopening the file', async () => {
    const { proposals } = await api();
    const { uri } = await openFresh();
    await proposals.propose(uri, fixed);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    const editor = await vscode.window.showTextDocument(uri);
    assert.equal(proposals.get(uri)?.proposal.hunks.filter((h) => h.state === 'pending').length, 2);
    await vscode.commands.executeCommand(CommandIds.acceptAllHunks, uri);
    assert.equal(editor.document.getText(), fixed);
  });

  test('deleting the file cancels its proposal', async () => {
    const { proposals } = await api();
    const { uri } = await openFresh();
    await proposals.propose(uri, fixed);
    const edit = new vscode.WorkspaceEdit();
    edit.deleteFile(uri);
    await vscode.workspace.applyEdit(edit);
    await until('the proposal to be cancelled', () => proposals.get(uri) === undefined);
  });

  test('renaming the file cancels its proposal with a message, and leaves both names untouched', async () => {
    const { proposals } = await api();
    const { uri } = await openFresh();
    await proposals.propose(uri, fixed);
    const renamed = vscode.Uri.file(uri.fsPath.replace(/\.py$/, '_renamed.py'));
    const edit = new vscode.WorkspaceEdit();
    edit.renameFile(uri, renamed);
    assert.ok(await vscode.workspace.applyEdit(edit));
    await until('the proposal to be cancelled', () => proposals.get(uri) === undefined && proposals.get(renamed) === undefined);
    const doc = await vscode.workspace.openTextDocument(renamed);
    assert.equal(doc.getText(), original, 'the renamed file holds the original text, nothing proposed was applied');
  });

  test('Next and Previous move between hunks; the side-by-side diff shows the whole proposal', async () => {
    const { proposals } = await api();
    const { uri, editor } = await openFresh();
    await proposals.propose(uri, fixed);
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    await vscode.commands.executeCommand(CommandIds.nextHunk);
    assert.equal(editor.selection.active.line, 2);
    await vscode.commands.executeCommand(CommandIds.nextHunk);
    assert.equal(editor.selection.active.line, 4);
    await vscode.commands.executeCommand(CommandIds.previousHunk);
    assert.equal(editor.selection.active.line, 2);
    await vscode.commands.executeCommand(CommandIds.openSideBySide, uri);
    const proposed = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'ducktrace-proposed' && d.uri.query === uri.toString());
    assert.equal(proposed?.getText(), fixed);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await vscode.commands.executeCommand(CommandIds.rejectAllHunks, uri);
  });

  test('screenshots of a pending two-hunk proposal, light and dark', async () => {
    const { proposals } = await api();
    const { uri } = await openFresh(fs.readFileSync(path.join(workspace(), 'pricing.py'), 'utf8'));
    const text = fs.readFileSync(uri.fsPath, 'utf8');
    await proposals.propose(uri, text.replace('percent / 10  # bug: percent is out of 100', 'percent / 100').replace('    result = 0\n', '    result = 0.0\n'));
    await vscode.commands.executeCommand('workbench.view.extension.ducktrace');
    await vscode.window.showTextDocument(uri);
    const config = vscode.workspace.getConfiguration('workbench');
    try {
      await config.update('colorTheme', 'Default Light Modern', vscode.ConfigurationTarget.Global);
      await screenshot('review-light');
      await config.update('colorTheme', 'Default Dark Modern', vscode.ConfigurationTarget.Global);
      await screenshot('review-dark');
    } finally {
      await config.update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
      await vscode.commands.executeCommand(CommandIds.rejectAllHunks, uri);
    }
  }, 60_000);
});
