// Iterate Until Green in the real editor: real pytest runs, real tracing, real patching, with a
// scripted OpenAI-compatible server that answers by the function in the prompt.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { screenshot, suite, test } from './harness';
import { api, assertReportMatchesRun, configure, removeProjects, reset, workspace } from './loopSupport';
// @ts-expect-error plain JavaScript test helper without types
import { startScriptedModelServer } from '../../support/scriptedModelServer.mjs';


const calc = ['def add(a, b):', '    return a - b', '', '', 'def mul(a, b):', '    return a + b', '', '', 'def sub(a, b):', '    return a - b', ''].join('\n');
const tests = [
  'from calc import add, mul, sub',
  '',
  '',
  'def test_add():',
  '    assert add(1, 2) == 3',
  '',
  '',
  'def test_mul():',
  '    assert mul(2, 3) == 6',
  '',
  '',
  'def test_sub():',
  '    assert sub(3, 1) == 2',
  '',
  '',
  'def test_add_zero():',
  '    assert add(2, 0) == 2',
  '',
].join('\n');

const answer = (fn: string, summary: string) => JSON.stringify({ summary, verdicts: [{ blockId: 'b1', correct: false, why: summary }], fix: { kind: 'function', code: fn } });
const goodAdd = { when: 'def add(a, b)', reply: answer('def add(a, b):\n    return a + b', 'add subtracts instead of adding.') };
const goodMul = { when: 'def mul(a, b)', reply: answer('def mul(a, b):\n    return a * b', 'mul adds instead of multiplying.') };

let n = 0;
/** A fresh project folder inside the workspace with two independent bugs (add, mul). */
function project(): { dir: string; calcFile: string; ids: string[] } {
  // Module names differ per project: pytest puts each test folder on sys.path, and one `calc` would shadow the others.
  const dir = path.join(workspace(), `loop${++n}`);
  fs.mkdirSync(dir, { recursive: true });
  made.push(dir);
  fs.writeFileSync(path.join(dir, `calc${n}.py`), calc);
  const testFile = path.join(dir, `test_calc${n}.py`);
  fs.writeFileSync(testFile, tests.replace('from calc import', `from calc${n} import`));
  return { dir, calcFile: path.join(dir, `calc${n}.py`), ids: ['test_add', 'test_mul', 'test_sub'].map((t) => `${testFile}::${t}`) };
}


const made: string[] = [];
const cleanUp = () => removeProjects(made);
suite('iterate until green', () => {
  test('auto mode: two independent bugs reach green in two iterations; Revert All restores the exact contents', async () => {
    const server = await startScriptedModelServer({ routes: [goodAdd, goodMul] });
    const { iterate, explain } = await api();
    const p = project();
    try {
      await configure(server.baseURL, 'auto');
      const summary = await iterate.run(p.ids);
      assert.ok(summary, 'the loop ran');
      assert.equal(summary.stop, 'green', `${summary.message} ${JSON.stringify(summary.iterations.map((r) => [r.testName, r.result, r.detail]))}`);
      await assertReportMatchesRun(summary, p.dir, p.ids);
      assert.equal(summary.iterations.length, 2);
      assert.deepEqual([...summary.fixed].sort(), [p.ids[0], p.ids[1]]);
      assert.equal(fs.readFileSync(p.calcFile, 'utf8'), calc.replace('return a - b', 'return a + b').replace('return a + b\n\n\ndef sub', 'return a * b\n\n\ndef sub'));
      assert.equal(explain.current.loop?.timeline.length, 2);
      assert.equal(explain.current.loop?.summary?.stop, 'green');
      await vscode.commands.executeCommand('workbench.view.extension.ducktrace');
      await screenshot('iterate-summary');
      await iterate.revertAll(summary);
      assert.equal(fs.readFileSync(p.calcFile, 'utf8'), calc);
    } finally {
      await reset();
      await server.close();
      await cleanUp();
    }
  }, 180_000);

  test('review mode: each fix waits for the user; accepting the hunks reaches green', async () => {
    const server = await startScriptedModelServer({ routes: [goodAdd, goodMul] });
    const { iterate, proposals } = await api();
    const p = project();
    // The "user": accepts every hunk as soon as it is shown.
    const sub = proposals.onDidChange(() => {
      const pending = proposals.get(vscode.Uri.file(p.calcFile));
      if (pending) setTimeout(() => void vscode.commands.executeCommand('ducktrace.acceptAllHunks', vscode.Uri.file(p.calcFile)), 200);
    });
    try {
      await configure(server.baseURL, 'review');
      const summary = await iterate.run(p.ids);
      const seen = `${summary?.message} ${JSON.stringify(summary?.iterations.map((r) => [r.testName, r.result, r.detail]))}`;
      assert.equal(summary?.stop, 'green', seen);
      assert.equal(summary?.iterations.length, 2, seen);
      await assertReportMatchesRun(summary!, p.dir, p.ids);
    } finally {
      sub.dispose();
      await reset();
      await server.close();
      await cleanUp();
    }
  }, 180_000);

  test('a fix that breaks a passing test is reverted and the model is told; no progress stops with a message', async () => {
    // Fixes test_add's message but breaks test_add_zero, which passed: it must be reverted.
    const badAdd = { when: 'def add(a, b)', reply: answer('def add(a, b):\n    return a + b + 1', 'add is off by one.') };
    const sameMul = { when: 'def mul(a, b)', reply: answer('def mul(a, b):\n    return b + a', 'mul adds in the wrong order.'), repeat: true };
    const server = await startScriptedModelServer({ routes: [badAdd, goodAdd, sameMul] });
    const { iterate } = await api();
    const p = project();
    try {
      await configure(server.baseURL, 'auto');
      const summary = await iterate.run(p.ids);
      assert.ok(summary);
      const results = summary.iterations.map((r) => `${r.testName}:${r.result}:${r.detail}`.split(':').slice(0, 2).join(':'));
      assert.ok(results.includes('test_add:reverted'), JSON.stringify(summary.iterations.map((r) => [r.testName, r.result, r.detail])));
      assert.ok(results.includes('test_add:fixed'), results.join(', '));
      assert.ok(results.filter((r) => r === 'test_mul:no-progress').length === 2, results.join(', '));
      assert.equal(summary.stop, 'no-progress');
      // The model heard why its first fix was reverted.
      const asked = server.requests.map((r: { body: { messages: { content: string }[] } }) => r.body.messages.map((m) => m.content).join('\n'));
      assert.ok(asked.some((t: string) => /made these passing tests fail, so it was reverted: test_add_zero/.test(t)));
      assert.match(fs.readFileSync(p.calcFile, 'utf8'), /def add\(a, b\):\n    return a \+ b/);
    } finally {
      await reset();
      await server.close();
      await cleanUp();
    }
  }, 240_000);

  test('Cancel in the middle leaves every file consistent', async () => {
    const slow = { when: 'def add(a, b)', reply: answer('def add(a, b):\n    return a + b', 'x'.repeat(400)), chunkDelayMs: 100, repeat: true };
    const server = await startScriptedModelServer({ routes: [slow] });
    const { iterate, explain } = await api();
    const p = project();
    try {
      await configure(server.baseURL, 'auto');
      const running = iterate.run(p.ids);
      const deadline = Date.now() + 60_000;
      while (!(explain.current.phase === 'asking' && explain.current.status.startsWith('Receiving'))) {
        if (Date.now() > deadline || !iterate.isRunning) throw new Error(`never reached the model (${explain.current.phase}: ${explain.current.status}; ${JSON.stringify(explain.current.loop?.timeline)})`);
        await new Promise((r) => setTimeout(r, 50));
      }
      iterate.cancel();
      const summary = await running;
      assert.equal(summary?.stop, 'cancelled');
      assert.equal(fs.readFileSync(p.calcFile, 'utf8'), calc);
    } finally {
      await reset();
      await server.close();
      await cleanUp();
    }
  }, 120_000);
});
