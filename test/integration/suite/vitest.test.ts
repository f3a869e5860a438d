// The vitest adapter in a real VS Code: the workspace's vitest-project subfolder (from
// test/fixtures/vitest-project, its node_modules installed by runInCodeServer.mjs) is discovered,
// run, and its failures show in the Testing view with message, expected/actual and stack frames.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SkipTest, screenshot, suite, test } from './harness';
import { CommandIds } from '../../../src/vscode/commandIds';
import type { DucktraceApi } from '../../../src/vscode/activate';
import type { ShownTrace } from '../../../src/vscode/trace/inlineValues';
import type { TestRunReport } from '../../../src/core/failures/testFailure';

const workspace = process.env.DUCKTRACE_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
const project = path.join(workspace, 'vitest-project');
const file = (name: string) => path.join(project, name);

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

function projectItem(a: DucktraceApi): vscode.TestItem {
  let found: vscode.TestItem | undefined;
  a.tests.controller.items.forEach((i) => {
    if (i.id === `project|vitest|${project}`) found = i;
  });
  assert.ok(found, `a vitest project item for ${project}`);
  return found;
}

suite('vitest', () => {
  test('discovers the vitest project in a subfolder, with its describe and tests', async () => {
    const installError = process.env.DUCKTRACE_VITEST_INSTALL_ERROR;
    assert.ok(!installError, `the vitest fixture's dependencies could not be installed, so vitest cannot run: ${installError}`);
    const a = await api();
    await a.tests.refresh();
    const item = projectItem(a);
    assert.match(item.label, /^vitest · vitest-project/);
    const tests = allItems(item.children);
    const adds = tests.find((i) => i.label === 'adds every line');
    assert.ok(adds, `'adds every line' in ${tests.map((i) => i.label).join(', ')}`);
    assert.equal(adds.uri?.fsPath, file('cart.test.js'));
    assert.equal(adds.range?.start.line, 4);
    assert.equal(adds.parent?.label, 'subtotal', 'under its describe');
  }, 60_000);

  test('running it marks the failing tests failed, with message, expected/actual and stack frames', async () => {
    const installError = process.env.DUCKTRACE_VITEST_INSTALL_ERROR;
    assert.ok(!installError, `the vitest fixture's dependencies could not be installed, so vitest cannot run: ${installError}`);
    const a = await api();
    await a.tests.refresh();
    const reports: TestRunReport[] = [];
    const sub = a.tests.onDidRun((r) => reports.push(r));
    try {
      await a.tests.run(new vscode.TestRunRequest([projectItem(a)]), new vscode.CancellationTokenSource().token);
    } finally {
      sub.dispose();
    }
    assert.deepEqual(reports.map((r) => [r.framework, r.problems]), [['vitest', []]], 'one vitest run, without problems');
    const items = allItems(projectItem(a).children);
    const outcome = (label: string) => {
      const item = items.find((i) => i.label === label);
      assert.ok(item, label);
      return a.tests.outcomes.get(item.id);
    };
    assert.equal(outcome('is zero for an empty cart')?.state, 'passed');

    // An assertion: a diff, located at the expect line, with its frame in the test file.
    const adds = outcome('adds every line');
    assert.equal(adds?.state, 'failed');
    assert.match(String(adds?.message?.message), /expected 6 to be 11/);
    assert.equal(adds?.message?.expectedOutput, '11');
    assert.equal(adds?.message?.actualOutput, '6');
    assert.equal(adds?.message?.contextValue, 'ducktraceFailure');
    assert.equal(adds?.message?.location?.uri.fsPath, file('cart.test.js'));
    assert.equal(adds?.message?.location?.range.start.line, 5);
    const frames = adds?.message?.stackTrace ?? [];
    assert.ok(frames.some((f) => f.uri?.fsPath === file('cart.test.js') && f.position?.line === 5), `a frame at cart.test.js:6 in ${frames.map((f) => `${f.uri?.fsPath}:${(f.position?.line ?? -1) + 1}`).join(', ')}`);

    // A throw inside the code under test: the top frame is in the source file.
    const tax = outcome('tax of toys');
    assert.equal(tax?.state, 'failed');
    assert.match(String(tax?.message?.message), /unknown category toys/);
    const taxFrames = tax?.message?.stackTrace ?? [];
    assert.equal(taxFrames[0]?.uri?.fsPath, file('src/cart.js'), `top frame in src/cart.js: ${taxFrames.map((f) => `${f.uri?.fsPath}:${(f.position?.line ?? -1) + 1}`).join(', ')}`);
    assert.equal(taxFrames[0]?.position?.line, 11);
    assert.match(taxFrames[0]?.label ?? '', /taxRate/);
    assert.ok(taxFrames.some((f) => f.uri?.fsPath === file('cart.test.js')), 'and a frame in the test');

    const failures = a.failures.all().filter((f) => f.framework === 'vitest');
    assert.deepEqual(failures.map((f) => f.name).sort(), ['adds every line', 'tax of toys']);
  }, 180_000);

  test('trace values of a failing vitest test: Trace Failing Test reruns it under vitest and shows subtotal\'s values inline', async () => {
    if (process.env.DUCKTRACE_TEST_UNTRUSTED) throw new SkipTest('runs in the trusted pass');
    const installError = process.env.DUCKTRACE_VITEST_INSTALL_ERROR;
    assert.ok(!installError, `the vitest fixture's dependencies could not be installed, so vitest cannot run: ${installError}`);
    const testFile = file('cart.test.js');
    // The failure as the Testing view records it (a TestFailure's shape).
    const failure = { testId: `${testFile}::subtotal::adds every line`, framework: 'vitest' as const, file: testFile, line: 6, name: 'adds every line', message: 'expected 6 to be 11', stack: [{ file: testFile, line: 6 }], output: '' };
    const shown = await vscode.commands.executeCommand<ShownTrace | undefined>(CommandIds.traceFailingTest, failure);
    assert.ok(shown, 'a trace is shown');
    assert.equal(shown.target.functionName, 'subtotal');
    assert.equal(shown.target.file, file('src/cart.js'));
    assert.equal(shown.trace.calls.length, 1);
    assert.equal(shown.trace.calls[0]?.returned?.text, '6');
    const values = Object.fromEntries(shown.lines.map((l) => [`${l.blockId}@${l.line}`, l.text]));
    assert.match(values['b3@5'] ?? '', /sum = 6/, JSON.stringify(values));
    assert.equal(values['b4@7'], 'no change', JSON.stringify(values));
    await new Promise((r) => setTimeout(r, 500));
    await screenshot('trace-values-vitest-subtotal');
    await vscode.commands.executeCommand(CommandIds.clearTrace);
  }, 120_000);
});
