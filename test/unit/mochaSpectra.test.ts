// The suspicion ranking on mocha projects: the JavaScript coverage mode run under the project's own
// mocha (its options as its mocha merges them, its own test files), per test its outcome and the
// blocks it ran (CommonJS, TypeScript through ts-node), and `localize` ranking the buggy block on a
// CommonJS project (default spec ./test) and an ES module one (spec in package.json's "mocha" key).
// A script under test/ that the project's spec leaves out never runs, even when it mentions the
// function's module. The projects are byte-identical afterwards. mocha comes from the npm registry
// through the fixture cache.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { localizeCommand } from '../../src/host/cli/localizeCommand';
import { runJsSpectra } from '../../src/host/localize/jsSpectra';
import { localize } from '../../src/host/localize/localize';
import { resolveTarget } from '../../src/host/tracers/traceTarget';
import { fixtureProject, projectFileHashes } from '../support/fixtureDeps';
import { fixturePath, parser } from './support/fixtures';

const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function project(...parts: string[]): string {
  const dir = fixtureProject(fixturePath(...parts));
  made.push(dir);
  return dir;
}


const outcomesAndBlocks = (dir: string, spectra: readonly { testId: string; outcome: string; blocks: readonly string[] }[]) =>
  Object.fromEntries(spectra.map((s) => [relative(dir, s.testId), [s.outcome, s.blocks.join(',')]]));

test('mocha, CommonJS: per test its outcome and the blocks it ran, suites in the test id, under the project\'s mocha', async () => {
  const dir = project('trace', 'mocha-cjs');
  const before = projectFileHashes(dir);
  const target = await resolveTarget(dir, { file: 'inventory.js', function: 'restock' }, {}, parser);
  const run = await runJsSpectra(target, { cwd: dir, testFiles: ['test/inventory.test.js'], testTimeoutSeconds: 20, parser });
  const output = run.stdout + run.stderr + (run.problems ?? []).join('\n');
  assert.equal(run.problems, undefined, output);
  assert.deepEqual(
    outcomesAndBlocks(dir, run.spectra),
    {
      'test/inventory.test.js::restock::orders items at or below the threshold': ['failed', 'b1,b2,b3,b4,b5'],
      'test/inventory.test.js::restock::orders nothing when stocked': ['passed', 'b1,b2,b3,b5'],
      'test/inventory.test.js::negative counts throw': ['passed', ''],
    },
    output,
  );
  const failing = run.spectra.find((s) => s.outcome === 'failed')!;
  assert.match(failing.message ?? '', /deep|equal/i);
  assert.match(run.command.join('\n'), /_mocha .*--config .*--no-package/);
  assert.deepEqual(projectFileHashes(dir), before, 'the project is byte-identical afterwards');
});

test('mocha, TypeScript through the project\'s --require ts-node/register (.mocharc.yml): per test its outcome and blocks', async () => {
  const dir = project('trace', 'mocha-ts');
  writeFileSync(join(dir, 'test', 'one.spec.ts'), "import assert from 'node:assert';\nimport { Queue } from '../queue';\n\nit('takes from one item', () => {\n  const q = new Queue<number>();\n  q.push(1);\n  assert.strictEqual(q.take(), 1);\n});\n");
  const target = await resolveTarget(dir, { file: 'queue.ts', function: 'Queue.take' }, {}, parser);
  const run = await runJsSpectra(target, { cwd: dir, testFiles: ['test/queue.spec.ts', 'test/one.spec.ts'], testTimeoutSeconds: 20, parser });
  assert.deepEqual(outcomesAndBlocks(dir, run.spectra), { 'test/queue.spec.ts::Queue::takes the first item pushed': ['failed', 'b1'], 'test/one.spec.ts::takes from one item': ['passed', 'b1'] }, run.stdout + run.stderr);
});

test('localize on a mocha project (CommonJS): the buggy comparison among the first two (after the push only the failing test runs), from its own test files', async () => {
  const dir = project('trace', 'mocha-cjs');
  const before = projectFileHashes(dir);
  const result = await localize({ cwd: dir, target: { file: 'inventory.js', function: 'restock' }, testTimeoutSeconds: 20, parser });
  const { suspicion } = result;
  assert.equal(suspicion.failingTests, 1, JSON.stringify(result.run.spectra));
  assert.equal(suspicion.passingTests, 1);
  assert.equal(result.selection, 'test/inventory.test.js');
  // b3 is `if (item.count < threshold)`: `<` where `<=` belongs.
  const b3 = target(result, 'b3');
  assert.match(b3, /item\.count < threshold/);
  assert.ok(suspicion.blocks.findIndex((b) => b.id === 'b3') < 2, `b3 among the first two: ${suspicion.blocks.map((b) => `${b.id} ${b.score.toFixed(2)}`).join(', ')}`);
  assert.equal(result.values?.tests.length, 2, `one failing and one passing test traced: ${result.values?.problems.join('; ')}`);
  assert.deepEqual(projectFileHashes(dir), before);
});

test('localize on a mocha project (ES modules, spec in package.json): the block of the wrong boundary ranked first', async () => {
  const dir = project('trace', 'mocha-esm');
  const before = projectFileHashes(dir);
  const result = await localize({ cwd: dir, target: { file: 'lib/grades.js', function: 'grade' }, testTimeoutSeconds: 20, parser });
  const { suspicion } = result;
  assert.deepEqual(
    outcomesAndBlocks(dir, result.run.spectra),
    {
      'spec/grades.spec.js::grade::gives an A from 90': ['failed', 'b1,b3,b4'],
      'spec/grades.spec.js::grade::gives a C below 80': ['passed', 'b1,b3,b5'],
    },
    result.run.stdout + result.run.stderr,
  );
  assert.equal(suspicion.failingTests, 1);
  assert.equal(suspicion.passingTests, 1);
  // b1 is `if (score > 90)`: `>` where `>=` belongs; it met 90 and 90 in the failing test.
  assert.equal(suspicion.blocks[0]!.id, 'b1', suspicion.blocks.map((b) => `${b.id} ${b.score.toFixed(2)} ${b.reason}`).join('\n'));
  assert.match(target(result, 'b1'), /score > 90/);
  assert.deepEqual(projectFileHashes(dir), before);
});

test('localize on a mocha project whose spec leaves a script under test/ out: it never runs, even though it mentions the module', async () => {
  const dir = project('runners', 'mocha', 'project');
  // Found by its name and folder as a test reaching cart.js, but .mocharc.json's spec (test/**/*.spec.js) leaves it out.
  writeFileSync(join(dir, 'test', 'helpers', 'uses-cart.js'), "'use strict';\nrequire('../../src/cart');\nrequire('node:fs').writeFileSync(require('node:path').join(__dirname, '..', '..', 'RAN-CART-HELPER'), 'ran');\n");
  const result = await localize({ cwd: dir, target: { file: 'src/cart.js', function: 'subtotal' }, testTimeoutSeconds: 20, parser, values: false });
  assert.ok(!existsSync(join(dir, 'RAN-CART-HELPER')), 'test/helpers/uses-cart.js did not run');
  assert.ok(!existsSync(join(dir, 'RAN-HELPER')), 'test/helpers/writes-file.js did not run');
  assert.match((result.run.problems ?? []).join('\n'), /left out: test\/helpers\/uses-cart\.js \(not a test file of the project's mocha/);
  assert.doesNotMatch(result.run.command.join(' '), /uses-cart/);
  assert.deepEqual(
    outcomesAndBlocks(dir, result.run.spectra),
    {
      'test/cart.spec.js::cart::subtotal::adds every line': ['failed', 'b1,b2,b3,b4'],
      'test/cart.spec.js::cart::subtotal::is zero for an empty cart': ['passed', 'b1,b2,b4'],
      'test/cart.spec.js::cart::tax of toys': ['failed', ''],
      'test/cart.spec.js::cart::objects compare deeply': ['failed', 'b1,b2,b4'],
      'test/cart.spec.js::cart::later': ['skipped', ''],
      'test/cart.spec.js::books are tax free': ['passed', ''],
    },
  );
  assert.equal(result.suspicion.failingTests, 2, 'tax of toys fails without reaching subtotal: it does not count');
  assert.equal(result.suspicion.passingTests, 1);
});

test('none of the named files is one the project\'s mocha runs: said, and nothing runs', async () => {
  const dir = project('runners', 'mocha', 'project');
  await assert.rejects(
    localize({ cwd: dir, target: { file: 'src/cart.js', function: 'subtotal' }, testFiles: ['test/helpers/writes-file.js'], framework: 'mocha', parser, values: false }),
    /none of test\/helpers\/writes-file\.js is a test file the project's mocha runs \(its spec finds test\/cart\.spec\.js, test\/other\.spec\.js\)/,
  );
  assert.ok(!existsSync(join(dir, 'RAN-HELPER')));
});

test('mocha: an endless loop in the function fails its test at the block budget; a test stuck outside it stops the run at the per-test limit, the tests before it still count', async () => {
  const dir = project('runners', 'mocha', 'project');
  writeFileSync(join(dir, 'src', 'spin.js'), "'use strict';\nfunction spin(n) {\n  let i = 0;\n  while (n % 2 === 1 || i < n) {\n    i++;\n  }\n  return i;\n}\nmodule.exports = { spin };\n");
  writeFileSync(
    join(dir, 'test', 'spin.spec.js'),
    "'use strict';\nconst assert = require('node:assert');\nconst { spin } = require('../src/spin');\nit('spin even', () => assert.strictEqual(spin(4), 4));\nit('spin odd', () => spin(3));\nit('stuck outside', () => { for (;;) {} });\nit('never reached', () => assert.ok(spin(2)));\n",
  );
  const target = await resolveTarget(dir, { file: 'src/spin.js', function: 'spin' }, {}, parser);
  const run = await runJsSpectra(target, { cwd: dir, testFiles: ['test/spin.spec.js'], testTimeoutSeconds: 2, maxBlocksPerTest: 20_001, parser });
  const byTest = Object.fromEntries(run.spectra.map((s) => [relative(dir, s.testId), s]));
  assert.equal(byTest['test/spin.spec.js::spin even']?.outcome, 'passed', run.stdout + run.stderr);
  const odd = byTest['test/spin.spec.js::spin odd'];
  assert.equal(odd?.outcome, 'failed');
  assert.equal(odd?.timedOut, true);
  assert.match(odd?.message ?? '', /Ducktrace stopped this test: it ran more than 20001 blocks/);
  assert.equal(byTest['test/spin.spec.js::stuck outside'], undefined, 'the test that never ended');
  assert.equal(byTest['test/spin.spec.js::never reached'], undefined);
  assert.match((run.problems ?? []).join('\n'), /a test under mocha ran past 2 s outside the function/);
  assert.equal(run.timedOut, true);
});

test('ducktrace localize --framework mocha --json: the same JSON as the other runners', async () => {
  const dir = project('trace', 'mocha-cjs');
  const out = { stdout: '', stderr: '' };
  const code = await localizeCommand.run(['--cwd', dir, '--target', 'inventory.js:restock', '--framework', 'mocha', '--no-values', '--json'], {
    stdout: (t: string) => (out.stdout += t),
    stderr: (t: string) => (out.stderr += t),
  });
  assert.equal(code, 0, out.stderr);
  const json = JSON.parse(out.stdout);
  assert.equal(json.failingTests, 1);
  assert.equal(json.passingTests, 1);
  assert.deepEqual(json.tests[`${dir}/test/inventory.test.js::restock::orders nothing when stocked`], { outcome: 'passed', blocks: ['b1', 'b2', 'b3', 'b5'] });
  assert.deepEqual(Object.keys(json.blocks[0]).sort(), ['heat', 'id', 'range', 'rank', 'reason', 'score']);
});

function target(result: Awaited<ReturnType<typeof localize>>, id: string): string {
  const block = result.target.blocks.blocks.find((b) => b.id === id)!;
  const lines = readFileSync(result.target.file, 'utf8').split('\n');
  return lines.slice(block.range.start.line - 1, block.range.end.line).join('\n');
}
