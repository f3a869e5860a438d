// Shared by the Iterate Until Green suites: the scripted endpoint in settings, and the clean-up of
// the project folders each test creates inside the workspace.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { LoopSummary } from '../../../src/core/loop/iterateUntilGreen';
import { runFolder } from '../../../src/host/runners/testService';
import type { DucktraceApi } from '../../../src/vscode/activate';

export const workspace = () => process.env.DUCKTRACE_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders![0]!.uri.fsPath;
export const api = async () => vscode.extensions.getExtension<DucktraceApi>('ducktrace.ducktrace')!.activate();

const keys = ['model.provider', 'openai.baseUrl', 'openai.model', 'iterate.mode'];

/** Points Ducktrace at the scripted OpenAI-compatible server, in the given loop mode. */
export async function configure(baseURL: string, mode: 'auto' | 'review'): Promise<void> {
  const c = vscode.workspace.getConfiguration('ducktrace');
  await c.update('model.provider', 'openaiCompatible', vscode.ConfigurationTarget.Global);
  await c.update('openai.baseUrl', baseURL, vscode.ConfigurationTarget.Global);
  await c.update('openai.model', 'scripted-model', vscode.ConfigurationTarget.Global);
  await c.update('iterate.mode', mode, vscode.ConfigurationTarget.Global);
}

export async function reset(): Promise<void> {
  const c = vscode.workspace.getConfiguration('ducktrace');
  for (const k of keys) await c.update(k, undefined, vscode.ConfigurationTarget.Global);
}

/** Removes the projects (emptying `made`), so later suites see the workspace as it was. */
export async function removeProjects(made: string[]): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await vscode.commands.executeCommand('notifications.clearAll');
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  await (await api()).tests.refresh();
}

/**
 * The loop's report matches a run of the tests made now, on the files on disk: every test it says
 * it fixed passes, every in-scope test it says still fails fails, and a green loop leaves no
 * in-scope test failing.
 */
export async function assertReportMatchesRun(summary: LoopSummary, folder: string, scope: readonly string[]): Promise<void> {
  const helpersDir = vscode.Uri.joinPath(vscode.extensions.getExtension('ducktrace.ducktrace')!.extensionUri, 'dist').fsPath;
  const run = await runFolder(folder, 'auto', { helpersDir, python: 'python3', testTimeoutMs: 30_000 });
  const results = run.reports.flatMap((r) => r.results).filter((r) => scope.includes(r.testId));
  const failing = results.filter((r) => r.failure).map((r) => r.testId).sort();
  const passing = new Set(results.filter((r) => r.outcome === 'passed').map((r) => r.testId));
  assert.deepEqual(failing, summary.stillFailing.map((f) => f.testId).sort(), `still failing per the report: ${JSON.stringify(summary.stillFailing.map((f) => f.name))}; failing now: ${JSON.stringify(failing)}`);
  for (const id of summary.fixed) assert.ok(passing.has(id), `${id} is reported fixed but does not pass now`);
  if (summary.stop === 'green') assert.deepEqual(failing, [], 'green, and nothing in scope fails now');
}
