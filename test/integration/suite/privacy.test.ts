// Every editor entry point goes through the one pipeline (diagnoseFailure), so its privacy rules
// hold for each: Explain and Fix (from a failure), the Quick Fix on an error diagnostic, and
// Iterate Until Green. The workspace's .env holds a password that also sits in the code under test
// and in the test's message: it must never reach the (scripted) model. A function matching
// ducktrace.privacy.neverSend stops with a message and no request.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { suite, test } from './harness';
import { api, configure, removeProjects, reset, workspace } from './loopSupport';
import type { TestFailure } from '../../../src/core/failures/testFailure';
// @ts-expect-error plain JavaScript test helper without types
import { startScriptedModelServer } from '../../support/scriptedModelServer.mjs';

const secret = 'zebra-9481-hunter';
const made: string[] = [];

const vault = ['def unlock(code):', `    password = "${secret}"  # read from .env in production`, '    return code == password[::-1]', '', '', 'def add(a, b):', '    return a - b', ''].join('\n');
const tests = [
  'from vault_mod import add, unlock',
  '',
  '',
  'def test_add():',
  `    assert add(1, 2) == 3, "${secret}"`,
  '',
  '',
  'def test_unlock():',
  `    assert unlock("${secret}")`,
  '',
].join('\n');
const fixedAdd = JSON.stringify({ summary: 'add subtracts.', verdicts: [{ blockId: 'b1', correct: false, why: 'a - b' }], fix: { kind: 'function', code: 'def add(a, b):\n    return a + b' } });

/** A project folder inside the workspace, and the workspace's .env (removed again by cleanUp). */
function project(): { dir: string; vaultFile: string; testFile: string; ids: string[] } {
  const dir = path.join(workspace(), 'privacy');
  fs.mkdirSync(dir, { recursive: true });
  made.push(dir, path.join(workspace(), '.env'));
  fs.writeFileSync(path.join(workspace(), '.env'), `DB_PASSWORD=${secret}\n`);
  fs.writeFileSync(path.join(dir, 'vault_mod.py'), vault);
  const testFile = path.join(dir, 'test_vault_mod.py');
  fs.writeFileSync(testFile, tests);
  return { dir, vaultFile: path.join(dir, 'vault_mod.py'), testFile, ids: [`${testFile}::test_add`] };
}

function failureOf(testFile: string): TestFailure {
  return {
    testId: `${testFile}::test_add`,
    framework: 'pytest',
    file: testFile,
    line: 5,
    name: 'test_add',
    message: `AssertionError: ${secret}\nassert -1 == 3\n +  where -1 = add(1, 2)`,
    expected: '3',
    actual: '-1',
    stack: [{ file: testFile, line: 5, function: 'test_add' }],
    output: '',
  };
}

const sentText = (server: { requests: { body: { messages: { content: string }[] } }[] }) => server.requests.map((r) => r.body.messages.map((m) => m.content).join('\n')).join('\n');

async function neverSend(patterns: string[] | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('ducktrace').update('privacy.neverSend', patterns, vscode.ConfigurationTarget.Global);
}

suite('privacy on every entry point', () => {
  test('Explain and Fix: the .env value never reaches the model; a never-send function stops with a message and no request', async () => {
    const server = await startScriptedModelServer({ steps: [{ reply: fixedAdd }] });
    const p = project();
    try {
      await configure(server.baseURL, 'review');
      const result = await vscode.commands.executeCommand<{ state: { phase: string; error?: { message: string }; target?: { name: string } } }>('ducktrace.explainAndFix', failureOf(p.testFile));
      assert.equal(result.state.phase, 'proposed', result.state.error?.message);
      assert.equal(result.state.target?.name, 'add');
      assert.equal(server.requests.length, 1);
      assert.ok(!sentText(server).includes(secret), 'the .env value reached the model');
      assert.match(sentText(server), /\[REDACTED\]/);
      await vscode.commands.executeCommand('ducktrace.rejectAllHunks', vscode.Uri.file(p.vaultFile));

      await neverSend(['**/vault_mod.py']);
      const refused = await vscode.commands.executeCommand<{ state: { phase: string; error?: { message: string } } }>('ducktrace.explainAndFix', failureOf(p.testFile));
      assert.equal(refused.state.phase, 'error');
      assert.match(refused.state.error?.message ?? '', /vault_mod\.py matches a neverSend pattern/);
      assert.equal(server.requests.length, 1, 'no request for a never-send function');
    } finally {
      await neverSend(undefined);
      await reset();
      await server.close();
      await removeProjects(made);
    }
  }, 120_000);

  test('Quick Fix on an error diagnostic: the .env value never reaches the model; a never-send function stops with a message', async () => {
    const server = await startScriptedModelServer({ steps: [{ reply: fixedAdd }] });
    const p = project();
    try {
      await configure(server.baseURL, 'review');
      // What the Quick Fix on the failing assert passes: the diagnostic's place (no failure from a test run).
      const arg = { uri: vscode.Uri.file(p.testFile).toString(), line: 5, message: `AssertionError: ${secret}` };
      const result = await vscode.commands.executeCommand<{ state: { phase: string; error?: { message: string }; target?: { name: string } } }>('ducktrace.explainAndFix', arg);
      assert.equal(result.state.target?.name, 'add', result.state.error?.message);
      assert.equal(server.requests.length, 1);
      assert.ok(!sentText(server).includes(secret), 'the .env value reached the model');
      await vscode.commands.executeCommand('ducktrace.rejectAllHunks', vscode.Uri.file(p.vaultFile));

      await neverSend(['**/vault_mod.py']);
      const refused = await vscode.commands.executeCommand<{ state: { phase: string; error?: { message: string } } }>('ducktrace.explainAndFix', arg);
      assert.equal(refused.state.phase, 'error');
      assert.match(refused.state.error?.message ?? '', /neverSend/);
      assert.equal(server.requests.length, 1);
    } finally {
      await neverSend(undefined);
      await reset();
      await server.close();
      await removeProjects(made);
    }
  }, 120_000);

  test('Iterate Until Green: the .env value never reaches the model; a never-send function is reported as not-sent with no request', async () => {
    const server = await startScriptedModelServer({ steps: [{ reply: fixedAdd }] });
    const { iterate, explain } = await api();
    const p = project();
    try {
      await configure(server.baseURL, 'auto');
      await neverSend(['**/vault_mod.py']);
      const refused = await iterate.run(p.ids);
      assert.ok(refused);
      assert.deepEqual(refused.iterations.map((r) => r.result), ['not-sent'], JSON.stringify(refused.iterations));
      assert.match(refused.iterations[0]!.detail, /neverSend/);
      assert.equal(server.requests.length, 0);
      assert.equal(explain.current.loop?.timeline[0]?.result, 'not-sent');
      assert.equal(fs.readFileSync(p.vaultFile, 'utf8'), vault);

      await neverSend(undefined);
      const summary = await iterate.run(p.ids);
      assert.equal(summary?.stop, 'green', summary?.message);
      assert.equal(server.requests.length, 1);
      assert.ok(!sentText(server).includes(secret), 'the .env value reached the model');
      assert.match(sentText(server), /\[REDACTED\]/);
    } finally {
      await neverSend(undefined);
      await reset();
      await server.close();
      await removeProjects(made);
    }
  }, 240_000);
});
