// The Python for pytest: the Python extension's active environment when that extension is
// installed, else the `ducktrace.python.path` setting, else `python3`.
import * as vscode from 'vscode';
import { testSettings } from '../settings';

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
    resolveEnvironment(env: { path: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
}

export async function pythonInterpreter(scope?: vscode.Uri): Promise<string> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (ext) {
    try {
      const api = ext.isActive ? ext.exports : await ext.activate();
      const active = api.environments?.getActiveEnvironmentPath(scope);
      if (active) {
        const resolved = await api.environments?.resolveEnvironment(active);
        const exe = resolved?.executable?.uri?.fsPath;
        if (exe) return exe;
      }
    } catch {
      // The Python extension is optional: fall back to the setting.
    }
  }
  return testSettings(scope).pythonPath || 'python3';
}
