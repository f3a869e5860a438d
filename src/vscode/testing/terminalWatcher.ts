// Test commands the user runs in the integrated terminal (pytest, jest, vitest, node --test, mocha,
// npm test): shell integration gives each command line, its cwd and its output; the failures in that
// output go to the Testing view and the FailureStore, and a notification offers Explain and Fix.
import * as vscode from 'vscode';
import { npmScriptOf, parseTerminalOutput, recogniseTestCommand, terminalRunResults } from '../../core/failures/terminalOutput';
import type { TestCaseResult } from '../../core/failures/testFailure';
import { CommandIds } from '../commandIds';
import { Disposable } from '../disposable';
import { testSettings } from '../settings';
import type { FailureStore } from './failureStore';
import type { DucktraceTestController } from './testController';

interface Reading {
  readonly chunks: string[];
  readonly done: Promise<void>;
}

/** After the command ends, how long to wait for the rest of its output stream. */
const drainMs = 3000;

export class TerminalTestWatcher extends Disposable {
  private readonly readings = new Map<vscode.TerminalShellExecution, Reading>();
  private readonly reported = new vscode.EventEmitter<{ commandLine: string; results: TestCaseResult[] }>();
  /** Fires after a terminal test run was read and reported (integration tests wait on it). */
  readonly onDidReport = this.reported.event;

  constructor(
    private readonly tests: DucktraceTestController,
    private readonly store: FailureStore,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(this.reported);
    this.register(vscode.window.onDidStartTerminalShellExecution((e) => this.started(e)));
    this.register(vscode.window.onDidEndTerminalShellExecution((e) => void this.ended(e).catch((err: unknown) => this.log.error(`Reading a terminal test run failed: ${String(err)}`))));
  }

  private enabled(scope: vscode.Uri | undefined): boolean {
    // Explain and Fix reruns tests and tracers: nothing of the terminal is taken in an untrusted workspace.
    return vscode.workspace.isTrusted && testSettings(scope).watchTerminal;
  }

  private started(e: vscode.TerminalShellExecutionStartEvent): void {
    const commandLine = e.execution.commandLine.value;
    if (!this.enabled(e.execution.cwd)) return;
    // npm scripts are checked at the end (reading package.json is async); their output is kept meanwhile.
    if (!recogniseTestCommand(commandLine) && !npmScriptOf(commandLine)) return;
    // read() must be called now, or output already written is lost.
    const stream = e.execution.read();
    const chunks: string[] = [];
    const done = (async () => {
      for await (const data of stream) chunks.push(data);
    })().catch((err: unknown) => this.log.warn(`Terminal output of "${commandLine}" could not be read: ${String(err)}`));
    this.readings.set(e.execution, { chunks, done });
    this.log.debug(`Watching the terminal test run "${commandLine}"`);
  }

  private async ended(e: vscode.TerminalShellExecutionEndEvent): Promise<void> {
    const reading = this.readings.get(e.execution);
    if (!reading) return;
    this.readings.delete(e.execution);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([reading.done, new Promise<void>((r) => (timer = setTimeout(r, drainMs)))]);
    clearTimeout(timer);
    const commandLine = e.execution.commandLine.value;
    const cwdUri = e.execution.cwd ?? e.terminal.shellIntegration?.cwd ?? vscode.workspace.workspaceFolders?.[0]?.uri;
    if (!cwdUri || !this.enabled(cwdUri)) return;
    const cwd = cwdUri.fsPath;
    const scripts = await npmScripts(cwdUri);
    const command = recogniseTestCommand(commandLine, (name) => scripts[name]);
    if (!command) return;
    const output = reading.chunks.join('');
    // node's, vitest's and mocha's output names a passed test without its file: the discovered tests say
    // where it lives, so discover first if nothing is.
    if (this.tests.controller.items.size === 0) await this.tests.refresh();
    const run = parseTerminalOutput(command.framework, output, cwd, this.tests.knownTests(command.framework));
    const results = terminalRunResults(command.framework, run, commandLine, cwd, e.exitCode, this.store.all());
    const failures = results.flatMap((r) => (r.failure ? [r.failure] : []));
    this.log.info(`Terminal: "${commandLine}" (${command.framework}, exit code ${e.exitCode ?? 'unknown'}, ${output.length} characters): ${failures.length} failed, ${results.length - failures.length} passed or skipped`);
    if (!results.length) {
      if (e.exitCode && e.exitCode !== 0) this.log.info('Terminal: the command failed but its output named no failing test Ducktrace can read.');
      return;
    }
    this.tests.reportExternal(results, `Terminal: ${commandLine}`);
    this.reported.fire({ commandLine, results });
    if (failures.length) void this.notify(command.framework, failures);
  }

  private async notify(framework: string, failures: NonNullable<TestCaseResult['failure']>[]): Promise<void> {
    // The most useful one first: a test that ran (not a file that did not load) with a stack.
    const first = failures.find((f) => f.stack.length && !/::\((file|collection)\)$/.test(f.testId)) ?? failures[0];
    const what = failures.length === 1 ? `"${first.name}" failed` : `${failures.length} tests failed, among them "${first.name}"`;
    const explain = 'Explain and Fix';
    const show = 'Show in Testing';
    const choice = await vscode.window.showWarningMessage(`Ducktrace (terminal, ${framework}): ${what}: ${first.message.split('\n')[0]}`, explain, show);
    if (choice === explain) await vscode.commands.executeCommand(CommandIds.explainAndFix, first.testId);
    else if (choice === show) await vscode.commands.executeCommand('workbench.view.testing.focus');
  }
}

/** The `scripts` of `package.json` in `dir`; empty when there is none. */
async function npmScripts(dir: vscode.Uri): Promise<Record<string, string>> {
  try {
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(dir, 'package.json')));
    const scripts = (JSON.parse(text) as { scripts?: unknown }).scripts;
    if (!scripts || typeof scripts !== 'object') return {};
    return Object.fromEntries(Object.entries(scripts).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}
