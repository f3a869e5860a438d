// The Testing view, CodeLens, Quick Fix and Explain and fix, on the sample workspace's failing
// pytest and node:test tests, in a real VS Code.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { suite, test } from './harness';
import { CommandIds } from '../../../src/vscode/commandIds';
import type { DucktraceApi } from '../../../src/vscode/activate';
import type { TestRunReport } from '../../../src/core/failures/testFailure';
import type { ExplainResult } from '../../../src/vscode/testing/explainAndFix';

const workspace = process.env.DUCKTRACE_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
const file = (name: string) => path.join(workspace, name);

async function api(): Promise<DucktraceApi> {
  const ext = vscode.extensions.getExtension<DucktraceApi>('ducktrace.ducktrace');
  assert.ok(ext);
  return ext.activate();
}

function allItems(collection: vscode.TestItemCollection, out: vscode.TestItem[] = []): vscode.TestItem[] {
  collection.forEach((item) => {
    out.push(item);
    allItems(item.children, out);
  });
  return out;
}

let ranOnce: Promise<TestRunReport[]> | undefined;
/** Runs everything once, from the Testing view's own "Run All Tests" command. */
function runAll(a: DucktraceApi): Promise<TestRunReport[]> {
  ranOnce ??= (async () => {
    await a.tests.refresh();
    const expected = a.tests.controller.items.size;
    const reports: TestRunReport[] = [];
    const done = new Promise<void>((resolve) => {
      const sub = a.tests.onDidRun((r) => {
        reports.push(r);
        if (reports.length === expected) {
          sub.dispose();
          resolve();
        }
      });
    });
    await vscode.commands.executeCommand('testing.runAll');
    await done;
    return reports;
  })();
  return ranOnce;
}

suite('testing', () => {
  test('discovers the pytest and node:test tests with files and lines', async () => {
    const a = await api();
    await a.tests.refresh();
    const items = allItems(a.tests.controller.items);
    const labels = items.map((i) => i.label);
    assert.ok(labels.some((l) => l.startsWith('pytest')), `a pytest project in ${labels.join(', ')}`);
    assert.ok(labels.some((l) => l.startsWith('node --test')), `a node --test project in ${labels.join(', ')}`);
    const py = items.find((i) => i.label === 'test_ten_percent_off');
    assert.ok(py, 'test_ten_percent_off is discovered');
    assert.equal(py.uri?.fsPath, file('test_pricing.py'));
    assert.equal(py.range?.start.line, 7, 'at its def line (0-based 7)');
    const js = items.find((i) => i.label === 'mean of three numbers');
    assert.ok(js, 'the node:test test is discovered');
    assert.equal(js.range?.start.line, 5);
  }, 60_000);

  test('running from the Testing view marks the failing tests failed, with message, diff and stack', async () => {
    const a = await api();
    const reports = await runAll(a);
    // The vitest project (vitest-project/) runs too; the vitest suite checks it.
    const ours = reports.filter((r) => r.framework === 'pytest' || r.framework === 'node');
    assert.equal(ours.length, 2, 'a pytest run and a node --test run');
    assert.deepEqual(ours.map((r) => r.problems), ours.map(() => []), 'no run-level problems');
    const items = allItems(a.tests.controller.items);
    const outcome = (label: string) => {
      const item = items.find((i) => i.label === label);
      assert.ok(item, label);
      return a.tests.outcomes.get(item.id);
    };
    assert.equal(outcome('test_no_discount')?.state, 'passed');
    assert.equal(outcome('max of a list')?.state, 'passed');
    const py = outcome('test_ten_percent_off');
    assert.equal(py?.state, 'failed');
    assert.match(String(py?.message?.message), /assert 0\.0 == 72/);
    assert.equal(py?.message?.expectedOutput, '72');
    assert.equal(py?.message?.actualOutput, '0.0');
    assert.equal(py?.message?.contextValue, 'ducktraceFailure');
    assert.equal(py?.message?.location?.uri.fsPath, file('test_pricing.py'));
    assert.equal(py?.message?.location?.range.start.line, 8);
    const frames = py?.message?.stackTrace ?? [];
    assert.ok(frames.length >= 1);
    assert.equal(frames[0].uri?.fsPath, file('test_pricing.py'));
    assert.equal(frames[0].label, 'test_ten_percent_off');
    const js = outcome('mean of three numbers');
    assert.equal(js?.state, 'failed');
    assert.equal(js?.message?.expectedOutput, '4');
    assert.equal(js?.message?.stackTrace?.[0].uri?.fsPath, file('stats.test.js'));
    assert.equal(a.failures.all().filter((f) => f.framework === 'pytest' || f.framework === 'node').length, 2);
  }, 90_000);

  test('a CodeLens "Explain and fix" sits above each failing test', async () => {
    const a = await api();
    await runAll(a);
    const uri = vscode.Uri.file(file('test_pricing.py'));
    await vscode.window.showTextDocument(uri);
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri).then(undefined, (e: unknown) => assert.fail(`python lenses: ${String(e)}`))) ?? [];
    const ours = lenses.filter((l) => l.command?.command === CommandIds.explainAndFix);
    assert.equal(ours.length, 1, `one lens (got ${lenses.map((l) => l.command?.title).join(', ')})`);
    assert.equal(ours[0].range.start.line, 7);
    assert.match(ours[0].command?.title ?? '', /Explain and fix/);
    const jsUri = vscode.Uri.file(file('stats.test.js'));
    await vscode.window.showTextDocument(jsUri);
    const jsLenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', jsUri)) ?? [];
    assert.deepEqual(jsLenses.filter((l) => l.command?.command === CommandIds.explainAndFix).map((l) => l.range.start.line), [5]);
  }, 90_000);

  test('an error diagnostic offers the Quick Fix "Explain and fix with Ducktrace"', async () => {
    await api();
    const uri = vscode.Uri.file(file('pricing.py'));
    await vscode.window.showTextDocument(uri);
    const diagnostics = vscode.languages.createDiagnosticCollection('ducktrace-test');
    try {
      const range = new vscode.Range(7, 4, 7, 20);
      diagnostics.set(uri, [new vscode.Diagnostic(range, 'percent is out of 100', vscode.DiagnosticSeverity.Error)]);
      const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, range, vscode.CodeActionKind.QuickFix.value)) ?? [];
      const ours = actions.find((x) => x.title === 'Explain and fix with Ducktrace');
      assert.ok(ours, `offered (got ${actions.map((x) => x.title).join(', ')})`);
      assert.equal(ours.kind?.value, vscode.CodeActionKind.QuickFix.value);
      assert.equal(ours.command?.command, CommandIds.explainAndFix);
      // A warning gets nothing.
      diagnostics.set(uri, [new vscode.Diagnostic(range, 'style', vscode.DiagnosticSeverity.Warning)]);
      const none = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, range, vscode.CodeActionKind.QuickFix.value)) ?? [];
      assert.ok(!none.some((x) => x.title === 'Explain and fix with Ducktrace'));
    } finally {
      diagnostics.dispose();
    }
  });

  test('"Explain and fix" on a failure shows the function it points at', async () => {
    const a = await api();
    await runAll(a);
    const failure = a.failures.all().find((f) => f.framework === 'pytest');
    assert.ok(failure);
    const result = await vscode.commands.executeCommand<ExplainResult | undefined>(CommandIds.explainAndFix, failure.testId);
    assert.ok(result);
    assert.equal(result.failure?.testId, failure.testId);
    assert.deepEqual(result.workspaceFrames.map((f) => [path.basename(f.file), f.line]), [['test_pricing.py', 9]]);
    assert.equal(result.target?.functionName, 'apply_discount');
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, file('pricing.py'));
    assert.equal(vscode.window.activeTextEditor?.selection.start.line, 3, 'the def of apply_discount is selected');
    // The Testing view's item (context menu, inline action) resolves to the same failure.
    const item = a.tests.itemFor(failure.testId);
    assert.ok(item);
    const viaItem = await vscode.commands.executeCommand<ExplainResult | undefined>(CommandIds.explainAndFix, item);
    assert.equal(viaItem?.failure?.testId, failure.testId);
    const viaMessage = await vscode.commands.executeCommand<ExplainResult | undefined>(CommandIds.explainAndFix, { test: item, message: new vscode.TestMessage('x') });
    assert.equal(viaMessage?.target?.functionName, 'apply_discount');
    const js = a.failures.all().find((f) => f.framework === 'node');
    assert.ok(js);
    const jsResult = await vscode.commands.executeCommand<ExplainResult | undefined>(CommandIds.explainAndFix, js.testId);
    assert.equal(jsResult?.target?.functionName, 'mean');
  }, 90_000);
});
