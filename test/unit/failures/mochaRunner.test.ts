// mocha: detection, the project's command, the spec reporter's output in a terminal, and real runs
// of mocha 11 on fixture projects (installed from the npm registry through the fixture cache,
// test/support/fixtureDeps.ts; a failed install fails these tests): the failures with their file,
// line, message, expected and actual; the test files as .mocharc.json's spec selects them (a script
// under test/ that is no test never runs); one file or one test run alone although the config's
// spec names more; the plain run; a test that loops forever and one that waits forever.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { detectFrameworks, isTestFileFor } from '../../../src/core/failures/detectFramework';
import { keptArguments, projectInvocation } from '../../../src/core/failures/testCommand';
import { parseTerminalOutput, recogniseTestCommand, terminalRunResults } from '../../../src/core/failures/terminalOutput';
import { failuresOf, type TestCaseResult, type TestRunReport } from '../../../src/core/failures/testFailure';
import { scanJsTests } from '../../../src/core/failures/jsTestScanner';
import { findTestProjects } from '../../../src/host/runners/projects';
import { runProject } from '../../../src/host/runners/testService';
import { fixtureProject, nodeModulesFor } from '../../support/fixtureDeps';
import { fixturePath, repoRoot } from '../support/fixtures';

const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const copies = new Map<string, string>();
function project(...parts: string[]): string {
  const key = parts.join('/');
  let dir = copies.get(key);
  if (!dir) {
    dir = fixtureProject(fixturePath(...parts));
    made.push(dir);
    copies.set(key, dir);
  }
  return dir;
}

const options = { helpersDir: join(repoRoot, 'dist'), python: 'python3', testTimeoutMs: 3000 };
const byName = (results: readonly TestCaseResult[], name: string) => {
  const r = results.find((x) => x.name === name);
  assert.ok(r, `${name} in ${results.map((x) => `${x.name} (${x.outcome})`).join(', ')}`);
  return r;
};
const outcomes = (report: TestRunReport) => Object.fromEntries(report.results.map((r) => [[...r.suitePath, r.name].join(' > '), r.outcome]));

test('detect: mocha from .mocharc.*, package.json (mocha key, devDependencies, scripts); its default test files', () => {
  const d = (fileNames: string[], packageJson?: object) => detectFrameworks({ fileNames, ...(packageJson ? { packageJson } : {}), hasPythonTests: false, hasNodeTestImports: true });
  for (const rc of ['.mocharc.js', '.mocharc.cjs', '.mocharc.json', '.mocharc.yaml', '.mocharc.yml']) assert.deepEqual(d([rc, 'package.json'], {}), ['mocha'], rc);
  assert.deepEqual(d(['package.json'], { mocha: { spec: 'x' } }), ['mocha']);
  assert.deepEqual(d(['package.json'], { devDependencies: { mocha: '^11' } }), ['mocha']);
  assert.deepEqual(d(['package.json'], { scripts: { test: 'nyc mocha --recursive' } }), ['mocha']);
  assert.deepEqual(d(['package.json'], { scripts: { test: 'node --test' } }), ['node']);
  assert.ok(isTestFileFor('mocha', 'test/a.js') && isTestFileFor('mocha', 'test/b.mjs'));
  assert.ok(!isTestFileFor('mocha', 'test/sub/a.js') && !isTestFileFor('mocha', 'src/a.test.js'), 'mocha\'s default spec is ./test, not recursive');
});

test('the project\'s command: mocha, _mocha, npx mocha, behind nyc and c8, through npm scripts; its flags split as mocha reads them', () => {
  for (const line of ['mocha', 'npx mocha test/a.spec.js', './node_modules/.bin/_mocha', 'nyc --reporter=lcov mocha', 'c8 -r text mocha -r ts-node/register', 'yarn mocha']) assert.equal(recogniseTestCommand(line)?.framework, 'mocha', line);
  assert.equal(recogniseTestCommand('npm test', (n) => (n === 'test' ? 'eslint . && mocha --recursive' : undefined))?.framework, 'mocha');
  const invocation = projectInvocation('mocha', { test: 'nyc mocha -r ts-node/register --timeout 5000 --reporter dot --watch "test/**/*.spec.ts"' });
  assert.ok(invocation);
  const kept = keptArguments(invocation, ['--timeout']);
  assert.deepEqual(kept.flags, ['-r', 'ts-node/register']);
  assert.deepEqual(kept.positionals.map((w) => w.text), ['test/**/*.spec.ts']);
});

test('the scanner finds mocha\'s describe/context/it/specify with their lines', () => {
  const tests = scanJsTests("describe('a', () => {\n  context('b', () => {\n    specify('c', () => {});\n  });\n  it('d', () => {});\n});\n", '/p/t.js', 'mocha');
  assert.deepEqual(tests.map((t) => [t.suitePath.join('/'), t.name, t.line]), [['a/b', 'c', 3], ['a', 'd', 5]]);
});

test('terminal: mocha\'s spec output gives the failures with messages, expected and actual and the passes, files from the known tests or the stack', () => {
  const text = readFileSync(fixturePath('runners', 'mocha', 'terminal.txt'), 'utf8');
  const file = '/project/test/cart.spec.js';
  const known = scanJsTests(readFileSync(fixturePath('runners', 'mocha', 'project', 'test', 'cart.spec.js'), 'utf8'), file, 'mocha');
  const run = parseTerminalOutput('mocha', text, '/project', known);
  const deep = byName(run.results, 'objects compare deeply');
  assert.equal(deep.testId, `${file}::cart::objects compare deeply`);
  assert.equal(deep.failure?.message, "expected { total: +0, currency: 'EUR' } to deeply equal { total: 1, currency: 'EUR' }");
  assert.equal(deep.failure?.expected, '{\n  "currency": "EUR"\n  "total": 1\n}');
  assert.equal(deep.failure?.actual, '{\n  "currency": "EUR"\n  "total": 0\n}');
  const adds = byName(run.results, 'adds every line');
  assert.deepEqual(adds.suitePath, ['cart', 'subtotal']);
  assert.match(adds.failure?.message ?? '', /^Expected values to be strictly equal:\n\n6 !== 11$/);
  assert.equal(adds.failure?.expected, '11');
  assert.equal(adds.failure?.actual, '6');
  assert.equal(adds.failure?.stack[0]?.file, file);
  const toys = byName(run.results, 'tax of toys');
  assert.equal(toys.failure?.message, 'unknown category toys');
  assert.equal(toys.failure?.stack[0]?.function, 'taxRate');
  assert.equal(byName(run.results, 'is zero for an empty cart').outcome, 'passed');
  assert.deepEqual(byName(run.results, 'is zero for an empty cart').suitePath, ['cart', 'subtotal']);
  assert.equal(byName(run.results, 'books are tax free').outcome, 'passed');
  assert.equal(byName(run.results, 'later').outcome, 'skipped');
  assert.deepEqual(run.files, [file]);
  // Without known tests a failure's file comes from its stack; a pass cannot be placed.
  const blind = parseTerminalOutput('mocha', text, '/project');
  assert.equal(byName(blind.results, 'adds every line').testId, `${file}::cart::subtotal::adds every line`);
  assert.ok(!blind.results.some((r) => r.outcome === 'passed'));
  // A later run where it passes marks the known failure passed.
  const later = terminalRunResults('mocha', { results: [], files: [file] }, 'npx mocha', '/project', 0, [adds.failure!]);
  assert.equal(later[0]?.outcome, 'passed');
});

test('a mocha project: its test files as .mocharc.json selects them; the failures with file, line, message, expected and actual; the plain run agrees', { timeout: 300_000 }, async () => {
  const dir = project('runners', 'mocha', 'project');
  const [found] = await findTestProjects(dir);
  assert.equal(found?.framework, 'mocha');
  assert.deepEqual(found.testFiles.map((f) => f.slice(dir.length + 1)), ['test/cart.spec.js', 'test/other.spec.js']);
  const report = await runProject(found, { ...options, plainCheck: true });
  assert.deepEqual(report.problems, []);
  const file = join(dir, 'test', 'cart.spec.js');
  assert.deepEqual(outcomes(report), {
    'books are tax free': 'passed',
    'cart > tax of toys': 'failed',
    'cart > objects compare deeply': 'failed',
    'cart > later': 'skipped',
    'cart > subtotal > adds every line': 'failed',
    'cart > subtotal > is zero for an empty cart': 'passed',
    'other > is another file': 'passed',
  });
  const adds = byName(report.results, 'adds every line').failure!;
  assert.equal(adds.testId, `${file}::cart::subtotal::adds every line`);
  assert.equal(adds.file, file);
  assert.equal(adds.line, 8);
  assert.equal(adds.framework, 'mocha');
  assert.match(adds.message, /^Expected values to be strictly equal:/);
  assert.equal(adds.expected, '11');
  assert.equal(adds.actual, '6');
  assert.equal(adds.stack[0]?.file, file);
  assert.equal(adds.plainRun?.outcome, 'failed');
  const toys = byName(report.results, 'tax of toys').failure!;
  assert.equal(toys.message, 'unknown category toys');
  assert.deepEqual([toys.stack[0]?.function, toys.stack[0]?.file], ['taxRate', join(dir, 'src', 'cart.js')]);
  assert.equal(toys.expected, undefined);
  const deep = byName(report.results, 'objects compare deeply').failure!;
  assert.match(deep.message, /to deeply equal/);
  assert.match(deep.expected ?? "", /"total": 1/);
  assert.match(deep.actual ?? "", /"total": 0/);
  assert.ok(!existsSync(join(dir, 'RAN-HELPER')), 'test/helpers/writes-file.js is no test and never ran');
});

test('one file, or one test by its full title, runs alone although .mocharc.json\'s spec names more', { timeout: 300_000 }, async () => {
  const dir = project('runners', 'mocha', 'project');
  const [found] = await findTestProjects(dir);
  const other = join(dir, 'test', 'other.spec.js');
  const onlyOther = await runProject(found!, options, { files: [other] });
  assert.deepEqual(outcomes(onlyOther), { 'other > is another file': 'passed' });
  const file = join(dir, 'test', 'cart.spec.js');
  const one = await runProject(found!, options, { tests: [{ file, suitePath: ['cart', 'subtotal'], name: 'adds every line' }] });
  assert.deepEqual(outcomes(one), { 'cart > subtotal > adds every line': 'failed' });
});

test('mocha: the endless loop is a timeout at its line, the endless wait mocha\'s own timeout, the other tests report', { timeout: 300_000 }, async () => {
  const dir = project('runners', 'hanging', 'mocha');
  const [found] = await findTestProjects(dir);
  const report = await runProject(found!, { ...options, testTimeoutMs: 1500 });
  assert.deepEqual(outcomes(report), {
    'even counts down': 'passed',
    'wrong count': 'failed',
    'odd numbers > loops forever': 'failed',
    'runs after the loop': 'passed',
    'waits for ever': 'failed',
    'waits a little': 'passed',
  });
  const loop = byName(report.results, 'loops forever').failure!;
  assert.equal(loop.timedOut, true);
  assert.equal(loop.line, 14);
  const wait = byName(report.results, 'waits for ever').failure!;
  assert.equal(wait.timedOut, true);
  assert.match(wait.message, /^Timeout of 1500ms exceeded/);
  assert.equal(wait.line, 5);
  assert.equal(failuresOf(report).length, 3);
});

test('mocha 8 (its file collection returns a plain list): the same outcomes and the config\'s files', { timeout: 300_000 }, async () => {
  const dir = fixtureProject(fixturePath('runners', 'mocha', 'project'), { install: false });
  made.push(dir);
  symlinkSync(nodeModulesFor({ mocha: '8.4.0', chai: '4.5.0' }, 'mocha 8'), join(dir, 'node_modules'), 'junction');
  const [found] = await findTestProjects(dir);
  assert.deepEqual(found?.testFiles.map((f) => f.slice(dir.length + 1)), ['test/cart.spec.js', 'test/other.spec.js']);
  const report = await runProject(found!, options);
  assert.deepEqual(report.problems, []);
  assert.deepEqual(failuresOf(report).map((f) => [f.name, f.line]).sort(), [['adds every line', 8], ['objects compare deeply', 22], ['tax of toys', 18]]);
  assert.equal(byName(report.results, 'adds every line').failure?.expected, '11');
});

test('a test file that does not load is a failure of that file, with the error and its line', { timeout: 300_000 }, async () => {
  const dir = fixtureProject(fixturePath('runners', 'mocha', 'project'));
  made.push(dir);
  const broken = join(dir, 'test', 'broken.spec.js');
  writeFileSync(broken, "'use strict';\nconst { subtotal } = require('../src/cart');\nit('never runs', () => {\n  subtotal([);\n});\n");
  const [found] = await findTestProjects(dir);
  const report = await runProject(found!, options);
  const file = report.results.find((r) => r.fileLevel);
  assert.ok(file, JSON.stringify(report, null, 1));
  assert.equal(file.file, broken);
  assert.equal(file.failure?.line, 4);
  assert.match(file.failure?.message ?? '', /Unexpected token/);
});
