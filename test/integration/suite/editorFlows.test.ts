// Issue 15 in the real editor, where a check inside the extension host says more than a screenshot:
// activation and file watchers (item 8), the Testing view's id map, per-file discovery and Debug
// profile (item 7), a diagnostic linked to the failing test that fails at the same place, and
// one explained from the function alone (item 2), and Disposable's guarantee (issue 16).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { screenshot, SkipTest, suite, test } from './harness';
import { api, configure, removeProjects, reset, workspace } from './loopSupport';
import { Disposable } from '../../../src/vscode/disposable';
import type { ExplainResult } from '../../../src/vscode/testing/explainAndFix';
// @ts-expect-error plain JavaScript test helper without types
import { startScriptedModelServer } from '../../support/scriptedModelServer.mjs';

const made: string[] = [];
let n = 0;

async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

suite('editor flows (issue 15)', () => {
  test('activation: only shallow workspaceContains patterns (root or one level down), no "*"', () => {
    const events: string[] = vscode.extensions.getExtension('ducktrace.ducktrace')!.packageJSON.activationEvents;
    const patterns = events.filter((e) => e.startsWith('workspaceContains:')).map((e) => e.slice('workspaceContains:'.length));
    assert.ok(patterns.length > 0);
    for (const p of patterns) {
      assert.ok(!p.includes('**'), `${p} searches the whole workspace`);
      assert.ok(p.split('/').length <= 2, `${p} reaches deeper than one folder`);
    }
    assert.ok(!events.includes('*') && !events.includes('onStartupFinished'));
  });

  test('file watchers: none without proposals, one per file with a proposal, and it sees a deletion outside VS Code', async () => {
    const { proposals } = await api();
    assert.equal(proposals.watcherCount, 0, 'no watcher at rest');
    const dir = path.join(workspace(), `watched${++n}`);
    fs.mkdirSync(dir, { recursive: true });
    made.push(dir);
    const file = path.join(dir, 'a.py');
    fs.writeFileSync(file, 'x = 1\n');
    const uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(uri);
    assert.ok(await proposals.propose(uri, 'x = 2\n'));
    assert.equal(proposals.watcherCount, 1);
    fs.rmSync(file); // as a terminal or git would
    await until('the proposal of the deleted file to be cancelled', () => proposals.get(uri) === undefined);
    assert.equal(proposals.watcherCount, 0, 'the watcher went with the proposal');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('Testing view: items by test id; a new test file is discovered when it is opened, without a refresh', async () => {
    const { tests } = await api();
    await tests.refresh();
    const pricing = path.join(workspace(), 'test_pricing.py');
    assert.equal(tests.itemFor(`${pricing}::test_ten_percent_off`)?.label, 'test_ten_percent_off');
    assert.equal(tests.itemFor(`${pricing}::no_such_test`), undefined);
    const file = path.join(workspace(), `test_fresh${++n}.py`);
    made.push(file);
    fs.writeFileSync(file, 'def test_one():\n    assert 1\n\n\ndef test_two():\n    assert 2\n');
    const discovered = new Promise<string>((resolve) => {
      const sub = tests.onDidDiscoverFile((f) => {
        if (f === file) {
          sub.dispose();
          resolve(f);
        }
      });
    });
    await vscode.window.showTextDocument(vscode.Uri.file(file));
    await Promise.race([discovered, new Promise((_, reject) => setTimeout(() => reject(new Error('the file was not discovered when opened')), 60_000))]);
    assert.equal(tests.itemFor(`${file}::test_one`)?.label, 'test_one');
    assert.equal(tests.itemFor(`${file}::test_two`)?.range?.start.line, 4);
    // Saving it with a test removed drops that test.
    const editor = vscode.window.activeTextEditor!;
    await editor.edit((b) => b.delete(new vscode.Range(3, 0, 6, 0)));
    const rediscovered = new Promise<void>((resolve) => {
      const sub = tests.onDidDiscoverFile((f) => f === file && (sub.dispose(), resolve()));
    });
    await editor.document.save();
    await rediscovered;
    assert.equal(tests.itemFor(`${file}::test_two`), undefined, 'the removed test is gone');
    assert.ok(tests.itemFor(`${file}::test_one`));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }, 120_000);

  test('Testing view: a Debug profile beside Run; debugging a node:test test runs it under the JavaScript debugger and reports its outcome', async () => {
    const { tests } = await api();
    const dir = path.join(workspace(), `debugjs${++n}`);
    fs.mkdirSync(dir, { recursive: true });
    made.push(dir);
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `debugjs${n}`, private: true, scripts: { test: 'node --test' } }));
    const testFile = path.join(dir, 'math.test.js');
    fs.writeFileSync(testFile, "'use strict';\nconst test = require('node:test');\nconst assert = require('node:assert/strict');\n\ntest('adds', () => {\n  assert.equal(1 + 1, 3);\n});\n");
    await tests.refresh();
    const item = tests.itemFor(`${testFile}::adds`);
    assert.ok(item, 'the test is discovered');
    const sessions: string[] = [];
    const sub = vscode.debug.onDidStartDebugSession((s) => sessions.push(s.type));
    const cancel = new vscode.CancellationTokenSource();
    try {
      await tests.debug(new vscode.TestRunRequest([item]), cancel.token);
    } finally {
      sub.dispose();
      cancel.dispose();
    }
    if (!sessions.length) throw new SkipTest('no JavaScript debugger in this VS Code build');
    assert.ok(sessions.some((t) => /node/.test(t)), `a node debug session ran (${sessions.join(', ')})`);
    assert.equal(tests.outcomes.get(item.id)?.state, 'failed', 'the debug run reports the outcome from the report');
    await vscode.commands.executeCommand('workbench.view.testing.focus');
    await new Promise((r) => setTimeout(r, 800));
    await screenshot('testing-debug-run');
  }, 120_000);

  test('a diagnostic where a failing test fails is linked to that test; with no test, the function is explained from its blocks and the error', async () => {
    const a = await api();
    const server = await startScriptedModelServer({
      steps: [{ reply: JSON.stringify({ summary: 'percent is out of 100.', verdicts: [{ blockId: 'b4', correct: false, why: 'divides by 10' }] }) }],
    });
    const pricing = path.join(workspace(), 'pricing.py');
    const uri = vscode.Uri.file(pricing);
    await vscode.window.showTextDocument(uri);
    const diagnostics = vscode.languages.createDiagnosticCollection('ducktrace-flows');
    try {
      await configure(server.baseURL, 'review');
      const range = new vscode.Range(7, 4, 7, 20);
      diagnostics.set(uri, [new vscode.Diagnostic(range, 'percent is out of 100', vscode.DiagnosticSeverity.Error)]);
      const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, range, vscode.CodeActionKind.QuickFix.value)) ?? [];
      const ours = actions.find((x) => x.title === 'Explain and fix with Ducktrace');
      assert.ok(ours?.command, 'offered inside apply_discount');
      // A failing test known to pass through apply_discount: the diagnostic is linked to it.
      const failure = { testId: `${path.join(workspace(), 'test_pricing.py')}::test_ten_percent_off`, framework: 'pytest' as const, file: path.join(workspace(), 'test_pricing.py'), line: 9, name: 'test_ten_percent_off', message: 'assert 0.0 == 72', stack: [{ file: path.join(workspace(), 'test_pricing.py'), line: 9 }, { file: pricing, line: 8, function: 'apply_discount' }], output: '' };
      a.failures.update([{ testId: failure.testId, framework: 'pytest', file: failure.file, line: 9, name: failure.name, suitePath: [], output: '', outcome: 'failed', durationMs: 1, failure }]);
      assert.equal(a.explainAndFix.failingTestAt(ours.command.arguments![0])?.testId, failure.testId);
      // No failing test reaches it: explained without values, and said so.
      a.failures.update([{ testId: failure.testId, framework: 'pytest', file: failure.file, line: 9, name: failure.name, suitePath: [], output: '', outcome: 'passed', durationMs: 1 }]);
      const result = await vscode.commands.executeCommand<ExplainResult>(ours.command.command, ...ours.command.arguments!);
      assert.equal(result.failure, undefined);
      assert.equal(result.target?.functionName, 'apply_discount');
      assert.match(result.state.noValues ?? '', /no values were recorded/);
      assert.equal(result.state.test?.fromDiagnostic, true);
      assert.match(JSON.stringify(server.requests[0].body.messages), /percent is out of 100/);
      // Outside any function: not offered.
      const top = new vscode.Range(0, 0, 0, 3);
      diagnostics.set(uri, [new vscode.Diagnostic(top, 'module docstring', vscode.DiagnosticSeverity.Error)]);
      const none = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, top, vscode.CodeActionKind.QuickFix.value)) ?? [];
      assert.ok(!none.some((x) => x.title === 'Explain and fix with Ducktrace'), 'not offered outside a function');
    } finally {
      diagnostics.dispose();
      await reset();
      await server.close();
    }
  }, 120_000);

  test('an unsure finder asks "Which function should Ducktrace explain?": Escape sends nothing, a choice is what the model sees', async () => {
    const a = await api();
    const server = await startScriptedModelServer({ steps: [{ reply: JSON.stringify({ summary: 'The shipping fee is 5, the test expects 6.', verdicts: [{ blockId: 'b1', correct: true, why: 'fine' }] }) }] });
    const dir = path.join(workspace(), `choose${++n}`);
    fs.mkdirSync(dir, { recursive: true });
    made.push(dir);
    fs.writeFileSync(path.join(dir, 'shop.py'), ['def subtotal(prices):', '    total = 0', '    for p in prices:', '        total += p', '    return total', '', '', 'def shipping(weight):', '    return 5 if weight < 10 else 0', ''].join('\n'));
    const testFile = path.join(dir, 'test_shop.py');
    fs.writeFileSync(testFile, ['from shop import subtotal, shipping', '', '', 'def test_order_total():', '    assert subtotal([2, 3]) + shipping(4) == 11', ''].join('\n'));
    // Two functions of the workspace on the failing line, both run by the test: neither is sure.
    const failure = { testId: `${testFile}::test_order_total`, framework: 'pytest' as const, file: testFile, line: 5, name: 'test_order_total', message: 'assert (5 + 5) == 11', stack: [{ file: testFile, line: 5, function: 'test_order_total' }] };
    const asked = () => until('the question "Which function"', () => a.explain.current.status.startsWith('Which function should Ducktrace explain?'), 90_000);
    try {
      await configure(server.baseURL, 'review');
      const dismissed = a.explain.run(failure);
      await asked();
      await new Promise((r) => setTimeout(r, 500));
      await screenshot('choose-function');
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      const stopped = await dismissed;
      assert.equal(stopped.phase, 'cancelled');
      assert.match(stopped.status, /No function was chosen/);
      assert.equal(server.requests.length, 0, 'nothing was sent');

      const names: string[] = [];
      for (const moves of [0, 1]) {
        const before = server.requests.length;
        const running = a.explain.run(failure);
        await asked();
        for (let i = 0; i < moves; i++) await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        const state = await running;
        assert.ok(state.target, `a target was chosen (${state.phase}: ${state.error?.message ?? state.status})`);
        names.push(state.target.name);
        // The reply has no fix, so the model is asked once more: every request is about the chosen function.
        const sent = server.requests.slice(before);
        assert.ok(sent.length > 0, 'the model was asked');
        for (const r of sent) assert.match(JSON.stringify(r.body.messages), new RegExp(`def ${state.target.name}\\(`), 'the model sees the chosen function');
      }
      assert.deepEqual([...names].sort(), ['shipping', 'subtotal'], 'the first item and the next one are the two candidates');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      a.explain.cancel();
      await reset();
      await server.close();
    }
  }, 300_000);

  test('Disposable disposes every child when one throws, then reports the error', () => {
    const disposed: string[] = [];
    class Parent extends Disposable {
      constructor() {
        super();
        this.register({ dispose: () => disposed.push('first') });
        this.register({
          dispose: () => {
            throw new Error('boom');
          },
        });
        this.register({ dispose: () => disposed.push('last') });
      }
    }
    assert.throws(() => new Parent().dispose(), /boom/);
    assert.deepEqual(disposed, ['last', 'first'], 'both others were disposed, in reverse order');
  });

  test('clean up', async () => {
    await removeProjects(made);
  }, 60_000);
});
