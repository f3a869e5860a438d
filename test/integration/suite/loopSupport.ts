// Shared by the Iterate Until Green suites: the scripted endpoint in settings, and the clean-up of
// the project folders each test creates inside the workspace.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
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
