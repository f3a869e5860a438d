// Iterate Until Green on a JavaScript project (node:test, CommonJS) that is its own package inside
// the workspace (a monorepo package): real `node --test` runs, real patching, a scripted
// OpenAI-compatible server that answers by the function in the prompt. Also: a fix aimed at a
// test helper is refused without the user's permission, and the progress notification and the
// final summary are photographed.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { screenshot, suite, test } from './harness';
import { api, assertReportMatchesRun, configure, removeProjects, reset, workspace } from './loopSupport';
import type { LoopSummary } from '../../../src/core/loop/iterateUntilGreen';
// @ts-expect-error plain JavaScript test helper without types
import { startScriptedModelServer } from '../../support/scriptedModelServer.mjs';

const lines = (...l: string[]) => l.join('\n') + '\n';

const calc = lines(
  "'use strict';",
  '',
  'function add(a, b) {',
  '  return a - b;',
  '}',
  '',
  'function mul(a, b) {',
  '  return a + b;',
  '}',
  '',
  'function sub(a, b) {',
  '  return a - b;',
  '}',
  '',
  'module.exports = { add, mul, sub };',
);
const calcTests = lines(
  "'use strict';",
  "const test = require('node:test');",
  "const assert = require('node:assert/strict');",
  "const { add, mul, sub } = require('./calc');",
  '',
  "test('add', () => {",
  '  assert.equal(add(1, 2), 3);',
  '});',
  '',
  "test('mul', () => {",
  '  assert.equal(mul(2, 3), 6);',
  '});',
  '',
  "test('sub', () => {",
  '  assert.equal(sub(3, 1), 2);',
  '});',
  '',
  "test('add zero', () => {",
  '  assert.equal(add(2, 0), 2);',
  '});',
);
const fixedCalc = calc.replace('function add(a, b) {\n  return a - b;', 'function add(a, b) {\n  return a + b;').replace('function mul(a, b) {\n  return a + b;', 'function mul(a, b) {\n  return a * b;');

const answer = (fn: string, summary: string) => JSON.stringify({ summary, verdicts: [{ blockId: 'b1', correct: false, why: summary }], fix: { kind: 'function', code: fn } });
const goodAdd = { when: 'function add(a, b)', reply: answer('function add(a, b) {\n  return a + b;\n}', 'add subtracts instead of adding.') };
const goodMul = { when: 'function mul(a, b)', reply: answer('function mul(a, b) {\n  return a * b;\n}', 'mul adds instead of multiplying.') };

let n = 0;
const made: string[] = [];
const packageJson = (name: string) => JSON.stringify({ name, private: true, scripts: { test: 'node --test' } }, null, 2) + '\n';

/** A package of its own inside the workspace, with two independent bugs (add, mul). */
function calcProject(): { dir: string; calcFile: string; testFile: string; ids: string[] } {
  const dir = path.join(workspace(), `jsloop${++n}`);
  fs.mkdirSync(dir, { recursive: true });
  made.push(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), packageJson(`jsloop${n}`));
  fs.writeFileSync(path.join(dir, 'calc.js'), calc);
  const testFile = path.join(dir, 'calc.test.js');
  fs.writeFileSync(testFile, calcTests);
  return { dir, calcFile: path.join(dir, 'calc.js'), testFile, ids: ['add', 'mul', 'sub', 'add zero'].map((t) => `${testFile}::${t}`) };
}

// The bug is in the test's own helper: roundTo truncates. The failing statement calls only the
// helper, so the helper is what the finder blames (code under test would come first).
const geometry = lines("'use strict';", '', 'function area(r) {', '  return Math.PI * r * r;', '}', '', 'module.exports = { area };');
const helpers = lines("'use strict';", '', '/** Rounds x to `digits` decimals. */', 'function roundTo(x, digits) {', '  const f = 10 ** digits;', '  return Math.floor(x * f) / f;', '}', '', 'module.exports = { roundTo };');
const geometryTests = lines(
  "'use strict';",
  "const test = require('node:test');",
  "const assert = require('node:assert/strict');",
  "const { roundTo } = require('./test/helpers');",
  '',
  "test('area of a circle of radius 2', () => {",
  '  assert.equal(roundTo(Math.PI * 4, 2), 12.57);',
  '});',
);
function helperProject(): { dir: string; helpersFile: string; testFile: string; ids: string[] } {
  const dir = path.join(workspace(), `jshelper${++n}`);
  fs.mkdirSync(path.join(dir, 'test'), { recursive: true });
  made.push(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), packageJson(`jshelper${n}`));
  fs.writeFileSync(path.join(dir, 'geometry.js'), geometry);
  fs.writeFileSync(path.join(dir, 'test', 'helpers.js'), helpers);
  const testFile = path.join(dir, 'geometry.test.js');
  fs.writeFileSync(testFile, geometryTests);
  return { dir, helpersFile: path.join(dir, 'test', 'helpers.js'), testFile, ids: [`${testFile}::area of a circle of radius 2`] };
}

const cleanUp = () => removeProjects(made);
const described = (s: LoopSummary | undefined) => `${s?.stop}: ${s?.message} ${JSON.stringify(s?.iterations.map((r) => [r.testName, r.result, r.detail]))}`;

suite('iterate until green (JavaScript)', () => {
  test('auto mode: a node:test package in a subfolder with two independent bugs reaches green in two iterations', async () => {
    // A slow answer for add, so the progress notification can be photographed while the model is asked.
    const slowAdd = { ...goodAdd, reply: answer('function add(a, b) {\n  return a + b;\n}', `add subtracts instead of adding. ${'It returns a - b where the test expects the sum. '.repeat(8)}`), chunkDelayMs: 120 };
    const server = await startScriptedModelServer({ routes: [slowAdd, goodMul] });
    const { iterate, explain } = await api();
    const p = calcProject();
    try {
      await configure(server.baseURL, 'auto');
      await vscode.commands.executeCommand('notifications.clearAll');
      const running = iterate.run(p.ids);
      const deadline = Date.now() + 90_000;
      while (!(explain.current.phase === 'asking' && explain.current.status.startsWith('Receiving'))) {
        if (Date.now() > deadline || !iterate.isRunning) throw new Error(`never reached the model (${explain.current.phase}: ${explain.current.status})`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await screenshot('iterate-js-progress');
      const summary = await running;
      assert.ok(summary, 'the loop ran');
      assert.equal(summary.stop, 'green', described(summary));
      await assertReportMatchesRun(summary, p.dir, p.ids);
      assert.equal(summary.iterations.length, 2, described(summary));
      assert.deepEqual(summary.iterations.map((r) => [r.testName, r.result]).sort(), [['add', 'fixed'], ['mul', 'fixed']]);
      assert.deepEqual([...summary.fixed].sort(), [p.ids[0], p.ids[1]].sort());
      assert.deepEqual(summary.stillFailing, []);
      assert.equal(fs.readFileSync(p.calcFile, 'utf8'), fixedCalc);
      assert.equal(fs.readFileSync(p.testFile, 'utf8'), calcTests, 'the test file is untouched');
      assert.equal(server.requests.length, 2, 'one model request per bug');
      await vscode.commands.executeCommand('workbench.view.extension.ducktrace');
      await new Promise((r) => setTimeout(r, 500)); // the summary notification
      await screenshot('iterate-js-summary');
      await iterate.revertAll(summary);
      assert.equal(fs.readFileSync(p.calcFile, 'utf8'), calc);
    } finally {
      await reset();
      await server.close();
      await cleanUp();
    }
  }, 240_000);

  test('review mode: each fix waits for the user; accepting the hunks as they appear reaches green', async () => {
    const server = await startScriptedModelServer({ routes: [goodAdd, goodMul] });
    const { iterate, proposals } = await api();
    const p = calcProject();
    let shown = 0;
    // The "user": accepts every hunk as soon as it is shown.
    const sub = proposals.onDidChange(() => {
      if (proposals.get(vscode.Uri.file(p.calcFile))) {
        shown++;
        setTimeout(() => void vscode.commands.executeCommand('ducktrace.acceptAllHunks', vscode.Uri.file(p.calcFile)), 200);
      }
    });
    try {
      await configure(server.baseURL, 'review');
      const summary = await iterate.run(p.ids);
      assert.ok(summary, 'the loop ran');
      assert.equal(summary.stop, 'green', described(summary));
      await assertReportMatchesRun(summary, p.dir, p.ids);
      assert.equal(summary.iterations.length, 2, described(summary));
      assert.ok(shown >= 2, `both fixes were shown for review (${shown})`);
      assert.equal(fs.readFileSync(p.calcFile, 'utf8'), fixedCalc);
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === p.calcFile);
      assert.ok(!doc?.isDirty, 'accepted fixes are saved');
    } finally {
      sub.dispose();
      await reset();
      await server.close();
      await cleanUp();
    }
  }, 240_000);

  test('a fix aimed at a test helper is refused without permission; the question is asked once and remembered', async () => {
    const fixHelper = { when: 'function roundTo(x, digits)', reply: answer('function roundTo(x, digits) {\n  const f = 10 ** digits;\n  return Math.round(x * f) / f;\n}', 'roundTo truncates instead of rounding.'), repeat: true };
    const server = await startScriptedModelServer({ routes: [fixHelper] });
    const { iterate } = await api();
    const p = helperProject();
    const ask = iterate.askTestEditPermission;
    let asked = 0;
    try {
      await vscode.commands.executeCommand('ducktrace.forgetTestEditPermission');
      // The modal cannot be clicked from the extension host: answer it as the user would.
      iterate.askTestEditPermission = async () => {
        asked++;
        return 'deny';
      };
      await configure(server.baseURL, 'auto');
      const first = await iterate.run(p.ids);
      assert.ok(first, 'the loop ran');
      assert.equal(first.stop, 'no-progress', described(first));
      assert.deepEqual(first.iterations.map((r) => [r.testName, r.result, r.file]), [['area of a circle of radius 2', 'test-file-refused', p.helpersFile]]);
      assert.equal(server.requests.length, 1, 'the model was asked');
      assert.equal(asked, 1, 'the permission was asked once');
      assert.equal(fs.readFileSync(p.helpersFile, 'utf8'), helpers, 'the test helper is byte-identical');
      assert.equal(fs.readFileSync(p.testFile, 'utf8'), geometryTests);
      assert.equal(first.originals.size, 0, 'nothing was changed or checkpointed');
      assert.match(first.stillFailing[0]?.why ?? '', /test file/);

      // The answer is remembered for the workspace: the next loop refuses without asking.
      const second = await iterate.run(p.ids);
      assert.equal(second?.iterations[0]?.result, 'test-file-refused', described(second));
      assert.equal(asked, 1, 'not asked again');
      assert.equal(fs.readFileSync(p.helpersFile, 'utf8'), helpers);

      // A dismissed question refuses this time only and is not remembered.
      await vscode.commands.executeCommand('ducktrace.forgetTestEditPermission');
      iterate.askTestEditPermission = async () => {
        asked++;
        return undefined;
      };
      const third = await iterate.run(p.ids);
      assert.equal(third?.iterations[0]?.result, 'test-file-refused', described(third));
      iterate.askTestEditPermission = async () => {
        asked++;
        return 'allow';
      };
      const fourth = await iterate.run(p.ids);
      assert.equal(asked, 3, 'asked again after a dismissed question');
      assert.equal(fourth?.stop, 'green', described(fourth));
      assert.match(fs.readFileSync(p.helpersFile, 'utf8'), /Math\.round\(x \* f\)/);
    } finally {
      iterate.askTestEditPermission = ask;
      await vscode.commands.executeCommand('ducktrace.forgetTestEditPermission');
      await reset();
      await server.close();
      await cleanUp();
    }
  }, 300_000);
});
