// mocha in a real VS Code: the workspace's mocha-project subfolder (test/fixtures/runners/mocha/
// project, its node_modules installed by runInCodeServer.mjs) is discovered with the files its
// .mocharc.json selects, run from the Testing view with its failures' messages, values and
// locations, debugged from the Testing view's Debug profile under the JavaScript debugger, Show
// Suspicious Blocks ranks a function from its mocha tests, and Explain and Fix on one of them traces
// it under mocha and proposes the fix inline.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SkipTest, screenshot, suite, test } from './harness';
import type { DucktraceApi } from '../../../src/vscode/activate';
import { CommandIds } from '../../../src/vscode/commandIds';
import type { TestRunReport } from '../../../src/core/failures/testFailure';
// @ts-expect-error plain JavaScript test helper without types
import { startScriptedModelServer } from '../../support/scriptedModelServer.mjs';

const workspace = process.env.DUCKTRACE_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
const project = path.join(workspace, 'mocha-project');
const file = (...parts: string[]) => path.join(project, ...parts);

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
    if (i.id === `project|mocha|${project}`) found = i;
  });
  assert.ok(found, `a mocha project item for ${project}`);
  return found;
}

function installed(): void {
  const installError = process.env.DUCKTRACE_MOCHA_INSTALL_ERROR;
  assert.ok(!installError, `the mocha fixture's dependencies could not be installed, so mocha cannot run: ${installError}`);
}

const fixedSubtotal = 'function subtotal(lines) {\n  let sum = 0;\n  for (let i = 0; i < lines.length; i++) {\n    sum += lines[i].price * lines[i].qty;\n  }\n  return sum;\n}';
const reply = JSON.stringify({
  summary: 'The loop stops one line early: `i < lines.length - 1` skips the last line.',
  verdicts: [
    { block: 'b1', correct: true, why: 'sum starts at 0.' },
    { block: 'b2', correct: false, why: 'The bound leaves out the last line, so sum = 6 instead of 11.' },
  ],
  fix: { kind: 'function', code: fixedSubtotal },
});

suite('mocha', () => {
  test('discovers the mocha project with the test files its .mocharc.json selects, suites and tests at their lines', async () => {
    installed();
    const a = await api();
    await a.tests.refresh();
    const item = projectItem(a);
    assert.match(item.label, /^mocha · mocha-project/);
    const tests = allItems(item.children);
    const adds = tests.find((i) => i.label === 'adds every line');
    assert.ok(adds, `'adds every line' in ${tests.map((i) => i.label).join(', ')}`);
    assert.equal(adds.uri?.fsPath, file('test', 'cart.spec.js'));
    assert.equal(adds.range?.start.line, 7);
    assert.equal(adds.parent?.label, 'subtotal', 'under its describe');
    assert.ok(!tests.some((i) => i.uri?.fsPath === file('test', 'helpers', 'writes-file.js')), 'a script under test/ that the spec leaves out is no test file');
  }, 120_000);

  test('running it marks the failing tests failed, with message, expected/actual, location and stack', async () => {
    installed();
    const a = await api();
    await a.tests.refresh();
    const reports: TestRunReport[] = [];
    const sub = a.tests.onDidRun((r) => reports.push(r));
    try {
      await a.tests.run(new vscode.TestRunRequest([projectItem(a)]), new vscode.CancellationTokenSource().token);
    } finally {
      sub.dispose();
    }
    assert.deepEqual(reports.map((r) => [r.framework, r.problems]), [['mocha', []]], 'one mocha run, without problems');
    const items = allItems(projectItem(a).children);
    const outcome = (label: string) => {
      const item = items.find((i) => i.label === label);
      assert.ok(item, label);
      return a.tests.outcomes.get(item.id);
    };
    assert.equal(outcome('is zero for an empty cart')?.state, 'passed');
    assert.equal(outcome('is another file')?.state, 'passed');
    const adds = outcome('adds every line');
    assert.equal(adds?.state, 'failed');
    assert.match(String(adds?.message?.message), /Expected values to be strictly equal/);
    assert.equal(adds?.message?.expectedOutput, '11');
    assert.equal(adds?.message?.actualOutput, '6');
    assert.equal(adds?.message?.contextValue, 'ducktraceFailure');
    assert.equal(adds?.message?.location?.uri.fsPath, file('test', 'cart.spec.js'));
    const tax = outcome('tax of toys');
    assert.equal(tax?.state, 'failed');
    assert.equal(tax?.message?.stackTrace?.[0]?.uri?.fsPath, file('src', 'cart.js'));
    assert.deepEqual(a.failures.all().filter((f) => f.framework === 'mocha').map((f) => f.name).sort(), ['adds every line', 'objects compare deeply', 'tax of toys']);
    assert.ok(!fs.existsSync(file('RAN-HELPER')), 'test/helpers/writes-file.js never ran');
  }, 180_000);

  test('the Debug profile runs a mocha test under the JavaScript debugger and reports its outcome from the same report as Run', async () => {
    if (process.env.DUCKTRACE_TEST_UNTRUSTED) throw new SkipTest('runs in the trusted pass');
    installed();
    const a = await api();
    await a.tests.refresh();
    const items = allItems(projectItem(a).children);
    const adds = items.find((i) => i.label === 'adds every line');
    const empty = items.find((i) => i.label === 'is zero for an empty cart');
    assert.ok(adds && empty);
    a.tests.outcomes.delete(adds.id);
    a.tests.outcomes.delete(empty.id);
    const sessions: string[] = [];
    const sub = vscode.debug.onDidStartDebugSession((s) => sessions.push(s.type));
    const cancel = new vscode.CancellationTokenSource();
    try {
      await a.tests.debug(new vscode.TestRunRequest([adds, empty]), cancel.token);
    } finally {
      sub.dispose();
      cancel.dispose();
    }
    if (!sessions.length) throw new SkipTest('no JavaScript debugger in this VS Code build');
    assert.ok(sessions.some((t) => /node/.test(t)), `a node debug session ran (${sessions.join(', ')})`);
    assert.equal(a.tests.outcomes.get(adds.id)?.state, 'failed', 'the debug run reports the failure from the report');
    assert.equal(a.tests.outcomes.get(adds.id)?.message?.expectedOutput, '11');
    assert.equal(a.tests.outcomes.get(empty.id)?.state, 'passed');
    assert.ok(!fs.existsSync(file('RAN-HELPER')), 'test/helpers/writes-file.js never ran');
    await vscode.commands.executeCommand('workbench.view.testing.focus');
    await new Promise((r) => setTimeout(r, 800));
    await screenshot('testing-debug-run-mocha');
  }, 180_000);

  test('Show Suspicious Blocks ranks a function from its mocha tests and paints the heat, with no model configured', async () => {
    if (process.env.DUCKTRACE_TEST_UNTRUSTED) throw new SkipTest('runs in the trusted pass');
    installed();
    const { suspicion } = await api();
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file('src', 'cart.js')));
    editor.selection = new vscode.Selection(4, 4, 4, 4); // the loop of subtotal
    await vscode.commands.executeCommand(CommandIds.showSuspiciousBlocks);
    const summary = suspicion.current;
    assert.ok(summary, 'a ranking was shown');
    // adds every line and objects compare deeply reach subtotal and fail; is zero for an empty cart passes.
    assert.equal(summary.failingTests, 2);
    assert.equal(summary.passingTests, 1);
    const hot = summary.blocks.filter((b) => b.heat > 0);
    assert.ok(hot.length >= 3, `heat on the blocks the failing tests ran: ${summary.blocks.map((b) => `${b.id} ${b.heat.toFixed(2)}`).join(', ')}`);
    assert.ok(summary.blocks.some((b) => b.id === 'b3' && /only failing tests run it/.test(b.reason)), 'the loop body, run only by failing tests, comes with its reason');
    assert.ok(!fs.existsSync(file('RAN-HELPER')), 'test/helpers/writes-file.js never ran');
    await screenshot('suspicious-blocks-mocha');
    await vscode.commands.executeCommand(CommandIds.clearSuspiciousBlocks);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  }, 180_000);

  test('Explain and Fix on a mocha failure: traced under mocha, the fix proposed inline, nothing written', async () => {
    if (process.env.DUCKTRACE_TEST_UNTRUSTED) throw new SkipTest('runs in the trusted pass');
    installed();
    const server = await startScriptedModelServer({ steps: [{ reply }] });
    const { explain, proposals } = await api();
    const cart = file('src', 'cart.js');
    const before = fs.readFileSync(cart, 'utf8');
    const config = vscode.workspace.getConfiguration('ducktrace');
    try {
      await config.update('model.provider', 'openaiCompatible', vscode.ConfigurationTarget.Global);
      await config.update('openai.baseUrl', server.baseURL, vscode.ConfigurationTarget.Global);
      await config.update('openai.model', 'scripted-model', vscode.ConfigurationTarget.Global);
      const testFile = file('test', 'cart.spec.js');
      const state = await explain.run({
        testId: `${testFile}::cart::subtotal::adds every line`,
        framework: 'mocha',
        file: testFile,
        line: 8,
        name: 'adds every line',
        message: 'Expected values to be strictly equal:\n\n6 !== 11',
        expected: '11',
        actual: '6',
        stack: [{ file: testFile, line: 10, function: 'Context.<anonymous>' }],
        output: '',
      });
      assert.equal(state.phase, 'proposed', state.error?.message);
      assert.equal(state.target?.name, 'subtotal');
      // The test ran again under mocha with the tracer: the values after the loop's block.
      assert.ok(state.blocks.some((b) => (b.values ?? []).some((v) => /sum = 6/.test(v))), JSON.stringify(state.blocks.map((b) => [b.id, b.values])));
      assert.equal(state.hunks.length, 1);
      assert.equal(fs.readFileSync(cart, 'utf8'), before, 'nothing written to disk');
      assert.ok(proposals.get(vscode.Uri.file(cart)));
      await vscode.commands.executeCommand('workbench.view.extension.ducktrace');
      await screenshot('explain-proposed-mocha');
      await vscode.commands.executeCommand('ducktrace.rejectAllHunks', vscode.Uri.file(cart));
      assert.equal(fs.readFileSync(cart, 'utf8'), before);
    } finally {
      for (const key of ['model.provider', 'openai.baseUrl', 'openai.model']) await config.update(key, undefined, vscode.ConfigurationTarget.Global);
      await server.close();
    }
  }, 180_000);
});
