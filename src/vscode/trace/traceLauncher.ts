// The editor's one way to rerun a test under Ducktrace's tracer, for Explain and Fix (values in the
// prompt) and Trace Failing Test (values inline): which folder it runs in, how the tracer's
// `--test` names the test, which Python. One rule for both, so they trace the same run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import type { Target } from '../../core/blocks/targetFinder';
import type { Framework } from '../../core/failures/testFailure';
import { traceSelector } from '../../core/failures/testSelectors';
import type { SandboxSpec } from '../../host/process/sandbox';
import type { FindTargetRequest } from '../../host/tracers/findTarget';
import type { TraceRun } from '../../host/tracers/pythonTracer';
import { traceTest } from '../../host/tracers/traceTest';
import { testSettings } from '../settings';
import { pythonInterpreter } from '../testing/pythonInterpreter';

/** The test to rerun: a TestFailure fits. */
export interface TraceableTest {
  readonly testId: string;
  readonly name: string;
  readonly file: string;
  readonly framework?: Framework;
}

export interface LaunchedTrace {
  readonly run: TraceRun;
  readonly cwd: string;
  readonly selector: string;
}

export class TraceLauncher {
  /** `parser`: the extension's one parser, so a trace loads no grammar of its own. */
  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly parser?: SourceParser,
  ) {}

  /**
   * Reruns `test` with `target` traced. Throws with a message when it cannot be run. `sandbox`:
   * fence the run (after a model's change); `signal`: stop it.
   */
  async trace(test: TraceableTest, target: Target, options: { signal?: AbortSignal; sandbox?: SandboxSpec } = {}): Promise<LaunchedTrace> {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(target.file)) ?? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(test.file));
    if (!folder) throw new Error(`${target.file} is outside the workspace folders`);
    const { cwd, selector } = testSelector(test, target, folder.uri.fsPath);
    const python = target.language === 'python' ? await pythonInterpreter(folder.uri) : undefined;
    const framework = test.framework && test.framework !== 'pytest' ? test.framework : undefined;
    const started = Date.now();
    const run = await traceTest({ cwd, test: selector, target: { file: target.file, function: target.functionName }, python, ...(this.parser ? { parser: this.parser } : {}), ...(framework ? { framework } : {}), ...(options.signal ? { signal: options.signal } : {}), ...(options.sandbox ? { sandbox: options.sandbox } : {}) });
    this.log.info(`Traced ${target.functionName} in ${selector}: ${run.trace.calls.length} call(s), ${run.trace.stats.steps} step(s), ${Date.now() - started} ms${run.timedOut ? ' (stopped at the time limit)' : ''}`);
    return { run, cwd, selector };
  }
}

/**
 * The one run of `test` the target finder may make when the code alone leaves it unsure (which
 * workspace functions ran): the same folder, selector and Python as a trace, the same fence, and
 * twice the test's time limit. Undefined when the test is outside the workspace folders.
 */
export async function locateRun(test: TraceableTest, sandbox?: SandboxSpec): Promise<FindTargetRequest['run'] | undefined> {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(test.file));
  if (!folder) return undefined;
  const language = /\.py$/.test(test.file) ? 'python' : 'javascript';
  const { cwd, selector } = testSelector(test, { language }, folder.uri.fsPath);
  const python = language === 'python' ? await pythonInterpreter(folder.uri) : undefined;
  const framework = test.framework && test.framework !== 'pytest' ? test.framework : undefined;
  return {
    cwd,
    test: selector,
    timeoutMs: Math.max(10_000, testSettings(folder.uri).testTimeoutMs * 2),
    ...(python ? { python } : {}),
    ...(framework ? { framework } : {}),
    ...(sandbox ? { sandbox } : {}),
  };
}

/**
 * Where to run the test and how the tracer's `--test` names it: pytest's node id relative to the
 * workspace folder; JavaScript `FILE::NAME` from the test file's package folder (jest and vitest
 * select by the full name with its suites, node's runner by the test's own name).
 */
export function testSelector(test: TraceableTest, target: Pick<Target, 'language'>, folder: string): { cwd: string; selector: string } {
  if (target.language === 'python') return { cwd: folder, selector: traceSelector({ ...test, framework: 'pytest' }, folder) };
  let cwd = path.dirname(test.file);
  while (!fs.existsSync(path.join(cwd, 'package.json')) && cwd !== folder && path.dirname(cwd) !== cwd) cwd = path.dirname(cwd);
  return { cwd, selector: traceSelector(test, cwd) };
}
