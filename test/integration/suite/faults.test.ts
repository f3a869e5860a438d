// Faults in the real editor (issue 10), each checking that the user's files are as they were and
// that the message says what went wrong. The window-reload fault needs a reload of the extension
// host itself, so it lives in the end-to-end test (test/e2e/reloadDuringIterate.mjs).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { screenshot, suite, test } from './harness';
import { Checkpoints } from '../../../src/vscode/loop/checkpoints';
import { IterateUntilGreen, restoreFile } from '../../../src/vscode/loop/iterateUntilGreenCommand';
import { api, configure, removeProjects, reset, workspace } from './loopSupport';
// @ts-expect-error plain JavaScript test helper without types
import { startScriptedModelServer } from '../../support/scriptedModelServer.mjs';

const calc = 'def add(a, b):\n    return a - b\n';
const fixed = 'def add(a, b):\n    return a + b\n';
const tests = 'from ckpt_calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n';
const goodAdd = {
  when: 'def add(a, b)',
  repeat: true,
  reply: JSON.stringify({ summary: 'add subtracts.', verdicts: [{ blockId: 'b1', correct: false, why: 'add subtracts.' }], fix: { kind: 'function', code: 'def add(a, b):\n    return a + b' } }),
};

const made: string[] = [];
function project(): { calcFile: string; ids: string[] } {
  const dir = path.join(workspace(), 'checkpoint_fault');
  fs.mkdirSync(dir, { recursive: true });
  made.push(dir);
  const calcFile = path.join(dir, 'ckpt_calc.py');
  fs.writeFileSync(calcFile, calc);
  const testFile = path.join(dir, 'test_ckpt_calc.py');
  fs.writeFileSync(testFile, tests);
  return { calcFile, ids: [`${testFile}::test_add`] };
}

const isDirty = (file: string) => vscode.workspace.textDocuments.some((d) => d.uri.fsPath === file && d.isDirty);

suite('faults', () => {
  test('fault: checkpoint storage not writable: Iterate Until Green changes nothing and says so; it works again once the storage is fixed', async () => {
    const server = await startScriptedModelServer({ routes: [goodAdd] });
    const { iterate, checkpoints } = await api();
    const folder = checkpoints.folder.fsPath;
    const p = project();
    try {
      assert.deepEqual(await checkpoints.pending(), [], 'no checkpoints left from an earlier test');
      // As root, chmod does not stop writes: the checkpoint folder is made a file instead.
      fs.rmSync(folder, { recursive: true, force: true });
      fs.mkdirSync(path.dirname(folder), { recursive: true });
      fs.writeFileSync(folder, 'not a folder');
      await configure(server.baseURL, 'auto');
      const summary = await iterate.run(p.ids);
      assert.ok(summary, 'the loop ran');
      assert.equal(summary.stop, 'error', summary.message);
      assert.ok(summary.message.includes(folder), `the message names the checkpoint folder: ${summary.message}`);
      assert.match(summary.message, /Could not save a checkpoint of .*ckpt_calc\.py .*checkpoint folder .* is not writable: a file is in its way\); nothing was changed\./s);
      assert.ok(fs.readFileSync(p.calcFile).equals(Buffer.from(calc)), 'ckpt_calc.py is byte-identical');
      assert.ok(!isDirty(p.calcFile), 'ckpt_calc.py has no unsaved change in the editor');
      assert.equal(summary.originals.size, 0);
      assert.equal(server.requests.length, 1, 'the model was asked once; its fix was never applied');
      await screenshot('fault-checkpoint-storage-not-writable');

      // The storage is fixed: the same loop now checkpoints, fixes, and can be reverted exactly.
      fs.rmSync(folder, { force: true });
      const again = await iterate.run(p.ids);
      assert.equal(again?.stop, 'green', again?.message);
      assert.equal(fs.readFileSync(p.calcFile, 'utf8'), fixed);
      assert.equal(again.originals.get(p.calcFile), calc, 'the original was checkpointed');
      assert.deepEqual(await checkpoints.pending(), [], 'a finished loop leaves no checkpoints');
      await iterate.revertAll(again);
      assert.ok(fs.readFileSync(p.calcFile).equals(Buffer.from(calc)));
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
      await reset();
      await server.close();
      await removeProjects(made);
    }
  }, 180_000);

  test('fault: the extension shuts down in the middle of Iterate Until Green: the loop stops before its next change and keeps its checkpoints', async () => {
    // What a window reload does to the old extension host, short of ending this one: the
    // extension is disposed while the model is still answering the second iteration.
    const partial = JSON.stringify({ summary: 'add is wrong.', verdicts: [{ blockId: 'b1', correct: false, why: 'add is wrong.' }], fix: { kind: 'function', code: 'def add(a, b):\n    return a * b' } });
    const lateMs = 8_000;
    const server = await startScriptedModelServer({ steps: [{ reply: partial }, { delayMs: lateMs, reply: goodAdd.reply }] });
    const ducktrace = await api();
    const storage = vscode.Uri.file(fs.mkdtempSync(path.join(path.dirname(workspace()), 'ckpt-shutdown-')));
    const checkpoints = new Checkpoints(storage);
    const state = new Map<string, unknown>();
    const context = {
      extensionUri: vscode.extensions.getExtension('ducktrace.ducktrace')!.extensionUri,
      workspaceState: { get: (k: string) => state.get(k), update: async (k: string, v: unknown) => void state.set(k, v), keys: () => [...state.keys()] },
    } as unknown as vscode.ExtensionContext;
    const loop = new IterateUntilGreen(context, ducktrace.explain, ducktrace.presenter, ducktrace.proposals, ducktrace.tests, checkpoints, ducktrace.log);
    const p = project();
    try {
      await configure(server.baseURL, 'auto');
      let ended = false;
      const running = loop.run(p.ids).finally(() => (ended = true));
      const deadline = Date.now() + 90_000;
      while (!(server.requests.length >= 2 && fs.readFileSync(p.calcFile, 'utf8') !== calc)) {
        if (Date.now() > deadline || ended) throw new Error(`never reached the second question with the file changed (${server.requests.length} requests)`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const asked = Date.now();
      const changed = fs.readFileSync(p.calcFile, 'utf8');
      assert.equal(changed, 'def add(a, b):\n    return a * b\n');
      loop.dispose();
      const summary = await running;
      assert.equal(summary?.stop, 'cancelled', summary?.message);
      assert.equal(loop.lastSummary, undefined, 'a loop stopped by shutdown announces nothing');
      assert.deepEqual((await checkpoints.pending()).map((c) => [c.file, c.original]), [[p.calcFile, calc]], 'the checkpoint stays for the next window');
      // The late answer arrives after the shutdown: nothing applies it.
      await new Promise((r) => setTimeout(r, Math.max(0, asked + lateMs + 3_000 - Date.now())));
      assert.equal(fs.readFileSync(p.calcFile, 'utf8'), changed);
      assert.ok(!isDirty(p.calcFile));
    } finally {
      loop.dispose();
      fs.rmSync(storage.fsPath, { recursive: true, force: true });
      await reset();
      await server.close();
      await removeProjects(made);
    }
  }, 180_000);

  test('fault: the checkpoints of an interrupted loop are not settled yet: a new Iterate Until Green does not start over them', async () => {
    const server = await startScriptedModelServer({ routes: [goodAdd] });
    const { iterate, checkpoints } = await api();
    const p = project();
    // What an interrupted loop left: its checkpoint of the true original, the file changed since.
    const changedByThatLoop = 'def add(a, b):\n    return a * b\n';
    fs.writeFileSync(p.calcFile, changedByThatLoop);
    try {
      await checkpoints.save(p.calcFile, calc);
      await configure(server.baseURL, 'auto');
      const summary = await iterate.run(p.ids);
      assert.equal(summary, undefined, 'the loop did not start');
      assert.equal(server.requests.length, 0, 'the model was not asked');
      assert.equal(fs.readFileSync(p.calcFile, 'utf8'), changedByThatLoop);
      assert.ok(checkpoints.isOffering, 'the Restore/Keep question is asked again');
      await screenshot('fault-unsettled-checkpoints');
      assert.deepEqual((await checkpoints.pending()).map((c) => [c.file, c.original]), [[p.calcFile, calc]], 'the original is still kept');
    } finally {
      await vscode.commands.executeCommand('notifications.clearAll');
      await checkpoints.clear();
      await reset();
      await server.close();
      await removeProjects(made);
    }
  }, 60_000);

  test('fault: Restore after an interrupted loop cannot write one file: that checkpoint is kept and named, the others are restored exactly (a deleted file comes back)', async () => {
    const storage = vscode.Uri.file(fs.mkdtempSync(path.join(path.dirname(workspace()), 'ckpt-restore-')));
    const dir = path.join(workspace(), 'restore_fault');
    fs.mkdirSync(dir, { recursive: true });
    const changed = path.join(dir, 'changed.py');
    const deleted = path.join(dir, 'deleted.py');
    // A file stands where the folder of blocked.py would be: nothing can write blocked.py.
    fs.writeFileSync(path.join(dir, 'not_a_folder'), '');
    const blocked = path.join(dir, 'not_a_folder', 'blocked.py');
    const log = vscode.window.createOutputChannel('Ducktrace restore test', { log: true });
    try {
      const checkpoints = new Checkpoints(storage);
      fs.writeFileSync(changed, 'def f():\n    return 2\n');
      await checkpoints.save(changed, 'def f():\r\n    return 1\r\n');
      await checkpoints.save(deleted, 'x = 1\n');
      await checkpoints.save(blocked, 'y = 2\n');
      const failed = await checkpoints.restoreAll(await checkpoints.pending(), restoreFile, log);
      assert.equal(failed.length, 1, failed.join('\n'));
      assert.match(failed[0], /blocked\.py \(/);
      assert.ok(fs.readFileSync(changed).equals(Buffer.from('def f():\r\n    return 1\r\n')), 'changed.py is back, byte for byte');
      assert.ok(!isDirty(changed));
      assert.equal(fs.readFileSync(deleted, 'utf8'), 'x = 1\n', 'deleted.py is recreated');
      assert.deepEqual((await checkpoints.pending()).map((c) => c.file), [blocked], 'only the checkpoint that could not be restored is kept');
    } finally {
      log.dispose();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      fs.rmSync(storage.fsPath, { recursive: true, force: true });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fault: a crash in the middle of writing a checkpoint leaves the earlier checkpoint whole', async () => {
    const storage = vscode.Uri.file(fs.mkdtempSync(path.join(path.dirname(workspace()), 'ckpt-crash-')));
    const file = path.join(workspace(), 'crash.py');
    const real = vscode.workspace.fs;
    // The "crash": the first half of the bytes reach the disk, then the write dies.
    const crashing = {
      createDirectory: (uri: vscode.Uri) => real.createDirectory(uri),
      writeFile: async (uri: vscode.Uri, content: Uint8Array) => {
        fs.writeFileSync(uri.fsPath, content.subarray(0, Math.floor(content.length / 2)));
        throw new Error('simulated crash in the middle of a write');
      },
      rename: (a: vscode.Uri, b: vscode.Uri, o?: { overwrite?: boolean }) => real.rename(a, b, o),
      delete: (uri: vscode.Uri, o?: { recursive?: boolean; useTrash?: boolean }) => real.delete(uri, o),
      readDirectory: (uri: vscode.Uri) => real.readDirectory(uri),
      readFile: (uri: vscode.Uri) => real.readFile(uri),
    };
    try {
      await new Checkpoints(storage).save(file, 'the true original\n');
      await assert.rejects(new Checkpoints(storage, crashing).save(file, 'a later text\n'), /checkpoint folder .* is not writable: simulated crash/);
      const pending = await new Checkpoints(storage).pending();
      assert.deepEqual(pending.map((c) => [c.file, c.original]), [[file, 'the true original\n']]);
    } finally {
      fs.rmSync(storage.fsPath, { recursive: true, force: true });
    }
  });

  test('a checkpoint is complete on disk before the loop goes on, and a torn one from a crash is ignored', async () => {
    const { checkpoints } = await api();
    const folder = checkpoints.folder.fsPath;
    const file = path.join(workspace(), 'torn.py');
    const original = 'x = "é"\r\nno final newline';
    try {
      await checkpoints.save(file, original);
      const names = fs.readdirSync(folder);
      assert.equal(names.length, 1, `one finished checkpoint, no temp file: ${names.join(', ')}`);
      assert.match(names[0]!, /^[0-9a-f]{24}\.json$/);
      assert.equal(JSON.parse(fs.readFileSync(path.join(folder, names[0]!), 'utf8')).original, original);
      // What a crash in the middle of a write leaves: a temp file cut short. It must not count.
      fs.writeFileSync(path.join(folder, `${names[0]}.dead.tmp`), '{"file": "/x.py", "orig');
      const pending = await checkpoints.pending();
      assert.deepEqual(pending.map((c) => [c.file, c.original]), [[file, original]]);
      // Saving again (a later loop) replaces the checkpoint whole.
      await checkpoints.save(file, 'y = 2\n');
      assert.deepEqual((await checkpoints.pending()).map((c) => c.original), ['y = 2\n']);
    } finally {
      await checkpoints.clear();
    }
    assert.ok(!fs.existsSync(folder));
  });
});
