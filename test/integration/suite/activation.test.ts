import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { suite, test } from './harness';
import { CommandIds } from '../../../src/vscode/commandIds';
import type { DucktraceApi } from '../../../src/vscode/activate';

const extensionId = 'ducktrace.ducktrace';

async function activated(): Promise<DucktraceApi> {
  const ext = vscode.extensions.getExtension<DucktraceApi>(extensionId);
  assert.ok(ext, `extension ${extensionId} is installed`);
  return ext.activate();
}

suite('activation', () => {
  test('runs in a real VS Code', () => {
    assert.match(vscode.version, /^1\.\d+\.\d+/);
  });

  test('is not active before anything asks for it (lazy activation)', () => {
    const ext = vscode.extensions.getExtension(extensionId);
    assert.ok(ext);
    const events: string[] = ext.packageJSON.activationEvents ?? [];
    assert.ok(!events.includes('*'), 'no "*" activation event');
    assert.ok(!events.includes('onStartupFinished'), 'no onStartupFinished activation event');
  });

  test('activates and creates the "Ducktrace" log output channel', async () => {
    const api = await activated();
    assert.equal(api.log.name, 'Ducktrace');
    assert.equal(typeof api.log.logLevel, 'number', 'it is a LogOutputChannel');
    assert.equal(api.version, vscode.extensions.getExtension(extensionId)?.packageJSON.version);
  });

  test('registers every command it contributes, and contributes every command it registers', async () => {
    await activated();
    const ext = vscode.extensions.getExtension(extensionId)!;
    const contributed: string[] = (ext.packageJSON.contributes?.commands ?? []).map((c: { command: string }) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const id of contributed) assert.ok(registered.has(id), `${id} is registered`);
    assert.deepEqual([...contributed].sort(), Object.values(CommandIds).sort());
  });

  test('"Ducktrace: Show Log" runs', async () => {
    await activated();
    await vscode.commands.executeCommand(CommandIds.showLog);
  });
});
