// A test command typed in the integrated terminal, read through shell integration, in a real VS Code.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { screenshot, suite, test } from './harness';
import type { DucktraceApi } from '../../../src/vscode/activate';

const workspace = process.env.DUCKTRACE_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';

async function api(): Promise<DucktraceApi> {
  const ext = vscode.extensions.getExtension<DucktraceApi>('ducktrace.ducktrace');
  assert.ok(ext);
  return ext.activate();
}

/** The terminal's shell integration, or undefined when it did not activate within `ms`. */
function shellIntegrationOf(terminal: vscode.Terminal, ms: number): Promise<vscode.TerminalShellIntegration | undefined> {
  if (terminal.shellIntegration) return Promise.resolve(terminal.shellIntegration);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      sub.dispose();
      resolve(terminal.shellIntegration);
    }, ms);
    const sub = vscode.window.onDidChangeTerminalShellIntegration((e) => {
      if (e.terminal !== terminal) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(e.shellIntegration);
    });
  });
}

function until(check: () => boolean, event: vscode.Event<unknown>, ms: number, what: string): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`${what} within ${ms} ms`));
    }, ms);
    const sub = event(() => {
      if (!check()) return;
      clearTimeout(timer);
      sub.dispose();
      resolve();
    });
  });
}

suite('terminal watching', () => {
  test('a pytest run typed in the terminal shows its failure in the Testing view and the FailureStore, unless the setting is off', async () => {
    const a = await api();
    const testId = `${path.join(workspace, 'test_pricing.py')}::test_ten_percent_off`;
    // Forget what an earlier run of the Testing view found, so only the terminal can bring it back.
    a.failures.update([{ testId, framework: 'pytest', file: path.join(workspace, 'test_pricing.py'), name: 'test_ten_percent_off', suitePath: [], outcome: 'passed', output: '' }]);
    assert.equal(a.failures.get(testId), undefined);
    const terminal = vscode.window.createTerminal({ name: 'Ducktrace terminal test', cwd: workspace, shellPath: '/bin/bash' });
    try {
      terminal.show();
      const integration = await shellIntegrationOf(terminal, 30_000);
      if (!integration) {
        console.log('SKIP terminal watching: shell integration did not activate in the terminal within 30 s (bash, terminal.integrated.shellIntegration.enabled =',
          vscode.workspace.getConfiguration('terminal.integrated').get('shellIntegration.enabled'), ')');
        await screenshot('terminal-no-shell-integration');
        return;
      }
      // Typed as a user would: the watcher learns the command line from the shell's own marks.
      terminal.sendText('python3 -m pytest -q -p no:cacheprovider test_pricing.py');
      await until(() => a.failures.get(testId) !== undefined, a.failures.onDidChange, 60_000, 'the terminal failure was not noticed');
      const failure = a.failures.get(testId);
      assert.ok(failure);
      assert.equal(failure.framework, 'pytest');
      assert.match(failure.message, /^assert 0\.0 == 72/);
      assert.deepEqual([failure.expected, failure.actual], ['72', '0.0']);
      assert.deepEqual(failure.stack.map((f) => [path.basename(f.file), f.line]), [['test_pricing.py', 9]]);
      // The Testing view shows it on the discovered item.
      const item = a.tests.itemFor(testId);
      assert.ok(item, 'the test item exists');
      await until(() => a.tests.outcomes.get(item.id)?.state === 'failed', a.failures.onDidChange, 10_000, 'the item was not marked failed');
      assert.match(String(a.tests.outcomes.get(item.id)?.message?.message), /assert 0\.0 == 72/);
      await screenshot('terminal-pytest-failure');
      // With ducktrace.tests.watchTerminal off, the same run goes unnoticed.
      const config = vscode.workspace.getConfiguration('ducktrace');
      await config.update('tests.watchTerminal', false, vscode.ConfigurationTarget.Global);
      try {
        a.failures.update([{ testId, framework: 'pytest', file: failure.file, name: failure.name, suitePath: [], outcome: 'passed', output: '' }]);
        const ended = new Promise<void>((resolve) => {
          const sub = vscode.window.onDidEndTerminalShellExecution((e) => {
            if (e.terminal !== terminal) return;
            sub.dispose();
            resolve();
          });
        });
        terminal.sendText('python3 -m pytest -q -p no:cacheprovider test_pricing.py');
        await ended;
        await new Promise((r) => setTimeout(r, 1000));
        assert.equal(a.failures.get(testId), undefined, 'not noticed with the setting off');
      } finally {
        await config.update('tests.watchTerminal', undefined, vscode.ConfigurationTarget.Global);
      }
    } finally {
      terminal.dispose();
    }
  }, 120_000);

  test('a mocha run typed in the terminal: its failures (file from the stack) and passes (placed by the discovered tests) in the Testing view', async () => {
    const installError = process.env.DUCKTRACE_MOCHA_INSTALL_ERROR;
    assert.ok(!installError, `the mocha fixture's dependencies could not be installed, so mocha cannot run: ${installError}`);
    const a = await api();
    await a.tests.refresh();
    const project = path.join(workspace, 'mocha-project');
    const testFile = path.join(project, 'test', 'cart.spec.js');
    const testId = `${testFile}::cart::subtotal::adds every line`;
    a.failures.update([{ testId, framework: 'mocha', file: testFile, name: 'adds every line', suitePath: ['cart', 'subtotal'], outcome: 'passed', output: '' }]);
    assert.equal(a.failures.get(testId), undefined);
    const terminal = vscode.window.createTerminal({ name: 'Ducktrace mocha terminal test', cwd: project, shellPath: '/bin/bash' });
    try {
      terminal.show();
      if (!(await shellIntegrationOf(terminal, 30_000))) {
        console.log('SKIP terminal watching (mocha): shell integration did not activate in the terminal within 30 s');
        return;
      }
      terminal.sendText('npx mocha');
      await until(() => a.failures.get(testId) !== undefined, a.failures.onDidChange, 60_000, 'the mocha failure in the terminal was not noticed');
      const failure = a.failures.get(testId);
      assert.ok(failure);
      assert.equal(failure.framework, 'mocha');
      assert.match(failure.message, /^Expected values to be strictly equal:/);
      assert.deepEqual([failure.expected, failure.actual], ['11', '6']);
      const passedItem = a.tests.itemFor(`${testFile}::cart::subtotal::is zero for an empty cart`);
      assert.ok(passedItem, 'the passing test item exists');
      await until(() => a.tests.outcomes.get(passedItem.id)?.state === 'passed', a.failures.onDidChange, 10_000, 'the passing test was not marked passed');
      await screenshot('terminal-mocha-failure');
    } finally {
      terminal.dispose();
    }
  }, 120_000);
});

/** Resolves once `check` holds, looking every 200 ms; rejects after `ms`. */
async function poll(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

suite('terminal watching: JavaScript', () => {
  // Typed in the terminal, each run's passed tests must turn green in the Testing view, not only
  // its failures red: node's spec reporter and vitest's lines name a passed test without its file.
  const runs = [
    { what: 'node --test', cwd: () => workspace, command: 'node --test stats.test.js', passed: () => `${path.join(workspace, 'stats.test.js')}::max of a list`, failed: () => `${path.join(workspace, 'stats.test.js')}::mean of three numbers` },
    {
      what: 'npx vitest run',
      cwd: () => path.join(workspace, 'vitest-project'),
      command: 'npx vitest run',
      passed: () => `${path.join(workspace, 'vitest-project', 'cart.test.js')}::subtotal::is zero for an empty cart`,
      failed: () => `${path.join(workspace, 'vitest-project', 'cart.test.js')}::subtotal::adds every line`,
    },
  ];
  for (const run of runs) {
    test(`a ${run.what} run typed in the terminal shows its passed and its failed tests in the Testing view`, async () => {
      if (run.what.includes('vitest')) assert.ok(!process.env.DUCKTRACE_VITEST_INSTALL_ERROR, `vitest could not be installed: ${process.env.DUCKTRACE_VITEST_INSTALL_ERROR}`);
      const a = await api();
      if (a.tests.controller.items.size === 0) await a.tests.refresh();
      const passedItem = a.tests.itemFor(run.passed());
      const failedItem = a.tests.itemFor(run.failed());
      assert.ok(passedItem && failedItem, `both tests are discovered: ${run.passed()}, ${run.failed()}`);
      // Forget what earlier runs showed, so only this terminal run can set them.
      a.tests.outcomes.delete(passedItem.id);
      a.tests.outcomes.delete(failedItem.id);
      const terminal = vscode.window.createTerminal({ name: `Ducktrace terminal ${run.what}`, cwd: run.cwd(), shellPath: '/bin/bash' });
      try {
        terminal.show();
        const integration = await shellIntegrationOf(terminal, 30_000);
        if (!integration) {
          console.log(`SKIP terminal watching (${run.what}): shell integration did not activate within 30 s`);
          return;
        }
        terminal.sendText(run.command);
        await poll(() => a.tests.outcomes.get(failedItem.id)?.state === 'failed', 90_000, `${run.failed()} was not marked failed`);
        await poll(() => a.tests.outcomes.get(passedItem.id)?.state === 'passed', 5_000, `${run.passed()} was not marked passed`);
        await vscode.commands.executeCommand('workbench.view.testing.focus');
        await screenshot(`terminal-${run.what.includes('vitest') ? 'vitest' : 'node'}-passed-and-failed`);
      } finally {
        terminal.dispose();
      }
    }, 150_000);
  }
});
