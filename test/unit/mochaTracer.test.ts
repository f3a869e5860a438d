// The JavaScript tracer under mocha 11: CommonJS (default spec ./test), ES modules (type: module,
// chai, spec in package.json's "mocha" key: mocha loads them with require() on this Node, so the
// target's text is swapped where Node reads it) and TypeScript through the project's own
// `--require ts-node/register` (.mocharc.yml). Fixture projects with one bug each, mocha from the
// npm registry through the fixture cache (a failed install fails these tests). Exact values; only
// the selected test runs (by --grep, its full title anchored); the outcome traced equals the
// outcome untraced before and after; the project's files are byte-identical afterwards.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { detectJsRunner } from '../../src/host/tracers/jsTestLaunch';
import { runJavaScriptTestUntraced, traceJavaScriptTest } from '../../src/host/tracers/jsTracer';
import { resolveTarget } from '../../src/host/tracers/traceTarget';
import { fixtureProject, projectFileHashes } from '../support/fixtureDeps';
import { fixturePath, parser } from './support/fixtures';

const made: string[] = [];
const copies = new Map<string, string>();
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function project(name: string): string {
  let dir = copies.get(name);
  if (!dir) {
    dir = fixtureProject(fixturePath('trace', name));
    made.push(dir);
    copies.set(name, dir);
  }
  return dir;
}


/** mocha's counts: `1 passing`, `2 failing`, `1 pending`. */
function tally(output: string): string {
  const counts = [...output.replace(/\x1b\[[0-9;]*m/g, '').matchAll(/^\s+(\d+) (passing|failing|pending)\b/gm)].map((m) => `${m[1]} ${m[2]}`);
  assert.ok(counts.length, `no counts in:\n${output}`);
  return counts.join(', ');
}

const v = (type: string, text: string, length?: number) => (length === undefined ? { type, text } : { type, text, length });

async function traceChecked(name: string, testId: string, file: string, fn: string, selected: string) {
  const cwd = project(name);
  const before = projectFileHashes(cwd);
  const plain = await runJavaScriptTestUntraced({ cwd, test: testId });
  assert.equal(plain.launch.runner, 'mocha');
  const target = await resolveTarget(cwd, { file, function: fn }, {}, parser);
  const run = await traceJavaScriptTest(target, { cwd, test: testId });
  const output = run.stdout + run.stderr;
  assert.equal(run.exitCode, plain.exitCode, `traced exit code = untraced\n${output}`);
  assert.equal(tally(output), tally(plain.stdout + plain.stderr), 'traced tally = untraced');
  assert.equal(tally(output), selected, 'only the selected test ran');
  assert.deepEqual(projectFileHashes(cwd), before, 'the project is byte-identical after tracing');
  const later = await runJavaScriptTestUntraced({ cwd, test: testId });
  assert.equal(later.exitCode, plain.exitCode);
  assert.equal(tally(later.stdout + later.stderr), tally(plain.stdout + plain.stderr));
  assert.doesNotMatch(later.stdout + later.stderr, /__ducktrace|__dt[RCE]/);
  return run;
}

test('mocha projects are traced with mocha: from the project (.mocharc, package.json) or what the test file imports', () => {
  assert.equal(detectJsRunner(fixturePath('trace', 'mocha-cjs'), fixturePath('trace', 'mocha-cjs', 'test', 'inventory.test.js')), 'mocha');
  assert.equal(detectJsRunner(fixturePath('trace', 'mocha-esm'), fixturePath('trace', 'mocha-esm', 'spec', 'grades.spec.js')), 'mocha');
  assert.equal(detectJsRunner(fixturePath('trace', 'mocha-ts'), fixturePath('trace', 'mocha-ts', 'test', 'queue.spec.ts')), 'mocha');
});

test('mocha, CommonJS: every iteration of the loop, the return, only the failing test rerun', { timeout: 300_000 }, async () => {
  const run = await traceChecked('mocha-cjs', 'test/inventory.test.js::restock::orders items at or below the threshold', 'inventory.js', 'restock', '0 passing, 1 failing');
  assert.equal(run.trace.calls.length, 1, run.stdout + run.stderr);
  const [call] = run.trace.calls;
  assert.deepEqual(call.args, { items: v('Array', "[{name: 'nails', count: 3}, {name: 'glue', count: 5}, {name: 'tape', count: 9}]", 3), threshold: v('number', '5') });
  assert.deepEqual(call.steps.map((s) => `${s.blockId}#${s.iteration}`), ['b1#1', 'b2#1', 'b3#1', 'b4#1', 'b2#2', 'b3#2', 'b2#3', 'b3#3', 'b5#1']);
  assert.deepEqual(call.steps[4].vars.item, v('Object', "{name: 'glue', count: 5}", 2));
  assert.deepEqual(call.returned, v('Array', "['nails']", 1));
});

test('mocha, ES modules loaded through require(): the boundary value and the wrong branch', { timeout: 300_000 }, async () => {
  const run = await traceChecked('mocha-esm', 'spec/grades.spec.js::grade::gives an A from 90', 'lib/grades.js', 'grade', '0 passing, 1 failing');
  assert.equal(run.trace.calls.length, 1, run.stdout + run.stderr);
  const [call] = run.trace.calls;
  assert.deepEqual(call.args, { score: v('number', '90') });
  assert.deepEqual(call.steps.map((s) => s.blockId), ['b1', 'b3', 'b4']);
  assert.deepEqual(call.returned, v('string', "'B'", 1));
});

test("mocha, TypeScript through the project's ts-node/register: a method with this", { timeout: 300_000 }, async () => {
  const run = await traceChecked('mocha-ts', 'test/queue.spec.ts::Queue::takes the first item pushed', 'queue.ts', 'Queue.take', '0 passing, 1 failing');
  assert.equal(run.trace.calls.length, 1, run.stdout + run.stderr);
  const [call] = run.trace.calls;
  assert.deepEqual(call.steps[0]?.vars.last, v('number', '1'));
  assert.deepEqual(call.steps[0]?.vars.item, v('string', "'b'", 1));
  assert.deepEqual(call.returned, v('string', "'b'", 1));
});

test('a passing test traced under mocha passes too, and a name alone (no suites) selects it', { timeout: 300_000 }, async () => {
  const run = await traceChecked('mocha-cjs', 'test/inventory.test.js::orders nothing when stocked', 'inventory.js', 'restock', '1 passing');
  assert.equal(run.exitCode, 0);
  assert.equal(run.trace.calls.length, 1);
});
